import type { CertificateOutcome } from '../../../lambdas/migration/certificate-outcome';
import { finishMigrationRun, type FinishRunRequest } from '../../../lambdas/migration/finish-migration-run';
import { runFiles } from '../../../lambdas/migration/migration-objects';
import { certificateArnOf, certificateIdOf, InMemoryMigrationObjects, MIGRATION_ID, RUN_NAME, writeMapRunResults } from './migration-fixtures';

const files = runFiles(MIGRATION_ID, RUN_NAME);

function item(n: number, status = 'INACTIVE') {
  return { certificateId: certificateIdOf(n), certificateArn: certificateArnOf(certificateIdOf(n)), status, policies: [], thingCount: 0 };
}

async function finish(options: {
  settled?: CertificateOutcome[];
  items: Array<{ certificateId: string; status?: string }>;
  map?: { succeeded?: CertificateOutcome[][]; failed?: Array<{ items: unknown[]; error: string; cause: string }> };
}) {
  const objects = new InMemoryMigrationObjects();
  await objects.writeJson(files.inspectedOutcomes, options.settled ?? []);
  await objects.writeJson(files.transferItems, options.items);
  const resultsManifestKey = options.map ? await writeMapRunResults(objects, files.mapResults, options.map) : null;
  const request: FinishRunRequest = {
    migrationId: MIGRATION_ID,
    runName: RUN_NAME,
    settledKey: files.inspectedOutcomes,
    itemsKey: files.transferItems,
    resultsManifestKey,
    unprocessedOutcome: 'NOT_APPROVED',
  };
  const finished = await finishMigrationRun({ objects }, request);
  return { finished, outcomes: objects.json(files.outcomes) as CertificateOutcome[] };
}

const offered = (n: number): CertificateOutcome => ({ certificateId: certificateIdOf(n), outcome: 'OFFERED', previousStatus: 'INACTIVE' });

describe('finishMigrationRun', () => {
  it('writes the settled outcomes and the outcomes of every succeeded batch into the run outcomes file', async () => {
    const settled: CertificateOutcome[] = [{ certificateId: certificateIdOf(9), outcome: 'ALREADY_TRANSFERRED' }];
    const { finished, outcomes } = await finish({ settled, items: [item(1), item(2), item(3)], map: { succeeded: [[offered(1), offered(2)], [offered(3)]] } });
    expect(outcomes).toEqual([settled[0], offered(1), offered(2), offered(3)]);
    expect(finished).toEqual({ outcomesKey: files.outcomes, counts: { ALREADY_TRANSFERRED: 1, OFFERED: 3 } });
  });

  it('reports each certificate of a failed batch as FAILED with the batch error and cause', async () => {
    const { outcomes, finished } = await finish({
      items: [item(1), item(2, 'ACTIVE'), item(3)],
      map: { succeeded: [[offered(1)]], failed: [{ items: [item(2, 'ACTIVE'), item(3)], error: 'States.Timeout', cause: 'the batch ran out of time' }] },
    });
    expect(outcomes).toEqual([
      offered(1),
      { certificateId: certificateIdOf(2), outcome: 'FAILED', errorName: 'States.Timeout', errorMessage: 'the batch failed: the batch ran out of time', previousStatus: 'ACTIVE' },
      { certificateId: certificateIdOf(3), outcome: 'FAILED', errorName: 'States.Timeout', errorMessage: 'the batch failed: the batch ran out of time', previousStatus: 'INACTIVE' },
    ]);
    expect(finished.counts).toEqual({ OFFERED: 1, FAILED: 2 });
  });

  it('keeps a failed batch cause to 512 characters', async () => {
    const { outcomes } = await finish({ items: [item(1)], map: { failed: [{ items: [item(1)], error: 'States.TaskFailed', cause: 'c'.repeat(2000) }] } });
    expect(outcomes[0]?.errorMessage).toHaveLength(512);
  });

  it('reports a certificate no batch reported as NotProcessed, so none goes missing', async () => {
    const { outcomes } = await finish({ items: [item(1), item(2)], map: { succeeded: [[offered(1)]] } });
    expect(outcomes).toEqual([
      offered(1),
      { certificateId: certificateIdOf(2), outcome: 'FAILED', errorName: 'NotProcessed', errorMessage: 'the map run did not report this certificate', previousStatus: 'INACTIVE' },
    ]);
  });

  it('reports every item as not approved when the map did not run', async () => {
    const settled: CertificateOutcome[] = [{ certificateId: certificateIdOf(9), outcome: 'FAILED', errorName: 'CertificateNotFound', errorMessage: 'gone' }];
    const { outcomes, finished } = await finish({ settled, items: [item(1, 'ACTIVE'), { certificateId: certificateIdOf(2) }] });
    expect(outcomes).toEqual([
      settled[0],
      { certificateId: certificateIdOf(1), outcome: 'NOT_APPROVED', previousStatus: 'ACTIVE' },
      { certificateId: certificateIdOf(2), outcome: 'NOT_APPROVED' },
    ]);
    expect(finished.counts).toEqual({ FAILED: 1, NOT_APPROVED: 2 });
  });

  it('writes an empty outcomes file for a run with nothing in it', async () => {
    const { outcomes, finished } = await finish({ items: [] });
    expect(outcomes).toEqual([]);
    expect(finished.counts).toEqual({});
  });
});
