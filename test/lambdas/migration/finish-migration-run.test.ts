import { IoTClient, ListCertificatesCommand, ListOutgoingCertificatesCommand, type Certificate } from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { CertificateOutcome } from '../../../lambdas/migration/certificate-outcome';
import { finishMigrationRun, type FinishRunRequest } from '../../../lambdas/migration/finish-migration-run';
import { runFiles } from '../../../lambdas/migration/migration-objects';
import {
  certificateArnOf,
  certificateIdOf,
  InMemoryMigrationObjects,
  iotError,
  MIGRATION_ID,
  OTHER_ACCOUNT,
  RUN_NAME,
  TARGET_ACCOUNT,
  writeMapRunResults,
} from './migration-fixtures';

const iot = mockClient(IoTClient);
const files = runFiles(MIGRATION_ID, RUN_NAME);

beforeEach(() => {
  iot.reset();
  iot.on(ListOutgoingCertificatesCommand).resolves({ outgoingCertificates: [] });
  iot.on(ListCertificatesCommand).resolves({ certificates: [] });
});

function item(n: number, status = 'INACTIVE') {
  return { certificateId: certificateIdOf(n), certificateArn: certificateArnOf(certificateIdOf(n)), status, policies: [], thingCount: 0 };
}

interface RunFiles {
  settled?: CertificateOutcome[];
  items: Array<{ certificateId: string; status?: string }>;
  map?: { succeeded?: CertificateOutcome[][]; failed?: Array<{ items: unknown[]; error: string; cause: string }> };
  reconcile?: FinishRunRequest['reconcile'];
  decision?: FinishRunRequest['decision'];
}

/** The files a run leaves for its last step, and that step's request: the source side's (OFFERS) unless the target side's (ACCEPTANCES) is asked for. */
async function runToFinish(options: RunFiles): Promise<{ objects: InMemoryMigrationObjects; request: FinishRunRequest }> {
  const reconcile = options.reconcile ?? 'OFFERS';
  const settledKey = reconcile === 'OFFERS' ? files.inspectedOutcomes : files.plannedOutcomes;
  const itemsKey = reconcile === 'OFFERS' ? files.transferItems : files.answerItems;
  const objects = new InMemoryMigrationObjects();
  await objects.writeJson(settledKey, options.settled ?? []);
  await objects.writeJson(itemsKey, options.items);
  const resultsManifestKey = options.map ? await writeMapRunResults(objects, files.mapResults, options.map) : null;
  return {
    objects,
    request: {
      migrationId: MIGRATION_ID,
      runName: RUN_NAME,
      settledKey,
      itemsKey,
      resultsManifestKey,
      unprocessedOutcome: 'NOT_APPROVED',
      reconcile,
      targetAwsAccount: reconcile === 'OFFERS' ? TARGET_ACCOUNT : null,
      decision: reconcile === 'ACCEPTANCES' ? (options.decision === undefined ? 'APPROVED' : options.decision) : null,
    },
  };
}

async function finish(options: RunFiles) {
  const { objects, request } = await runToFinish(options);
  const finished = await finishMigrationRun({ objects, iot: new IoTClient({}) }, request);
  return { finished, outcomes: objects.json(files.outcomes) as CertificateOutcome[] };
}

const offered = (n: number): CertificateOutcome => ({ certificateId: certificateIdOf(n), outcome: 'OFFERED', previousStatus: 'INACTIVE' });
const accepted = (n: number): CertificateOutcome => ({
  certificateId: certificateIdOf(n),
  outcome: 'ACCEPTED',
  previousStatus: 'PENDING_TRANSFER',
});
const failedWith = (n: number, errorName: string, previousStatus = 'INACTIVE'): CertificateOutcome => ({
  certificateId: certificateIdOf(n),
  outcome: 'FAILED',
  errorName,
  errorMessage: errorName,
  previousStatus,
});
const pendingTo = (n: number, transferredTo: string) => ({ certificateId: certificateIdOf(n), transferredTo });
const listed = (n: number, status: string): Certificate => ({
  certificateId: certificateIdOf(n),
  certificateArn: certificateArnOf(certificateIdOf(n), TARGET_ACCOUNT),
  status: status as Certificate['status'],
});
const DONE_AFTER_ALL = /^done after all/;

describe('finishMigrationRun', () => {
  it('writes the settled outcomes and the outcomes of every succeeded batch into the run outcomes file', async () => {
    const settled: CertificateOutcome[] = [{ certificateId: certificateIdOf(9), outcome: 'ALREADY_TRANSFERRED' }];
    const { finished, outcomes } = await finish({
      settled,
      items: [item(1), item(2), item(3)],
      map: { succeeded: [[offered(1), offered(2)], [offered(3)]] },
    });
    expect(outcomes).toEqual([settled[0], offered(1), offered(2), offered(3)]);
    expect(finished).toEqual({ outcomesKey: files.outcomes, counts: { ALREADY_TRANSFERRED: 1, OFFERED: 3 } });
  });

  it('reports each certificate of a failed batch as FAILED with the batch error and cause', async () => {
    const { outcomes, finished } = await finish({
      items: [item(1), item(2, 'ACTIVE'), item(3)],
      map: {
        succeeded: [[offered(1)]],
        failed: [{ items: [item(2, 'ACTIVE'), item(3)], error: 'States.Timeout', cause: 'the batch ran out of time' }],
      },
    });
    expect(outcomes).toEqual([
      offered(1),
      {
        certificateId: certificateIdOf(2),
        outcome: 'FAILED',
        errorName: 'States.Timeout',
        errorMessage: 'the batch failed: the batch ran out of time',
        previousStatus: 'ACTIVE',
      },
      {
        certificateId: certificateIdOf(3),
        outcome: 'FAILED',
        errorName: 'States.Timeout',
        errorMessage: 'the batch failed: the batch ran out of time',
        previousStatus: 'INACTIVE',
      },
    ]);
    expect(finished.counts).toEqual({ OFFERED: 1, FAILED: 2 });
  });

  it('keeps a failed batch cause to 512 characters', async () => {
    const { outcomes } = await finish({
      items: [item(1)],
      map: { failed: [{ items: [item(1)], error: 'States.TaskFailed', cause: 'c'.repeat(2000) }] },
    });
    expect(outcomes[0]?.errorMessage).toHaveLength(512);
  });

  it('reports a certificate no batch reported as NotProcessed, so none goes missing', async () => {
    const { outcomes } = await finish({ items: [item(1), item(2)], map: { succeeded: [[offered(1)]] } });
    expect(outcomes).toEqual([
      offered(1),
      {
        certificateId: certificateIdOf(2),
        outcome: 'FAILED',
        errorName: 'NotProcessed',
        errorMessage: 'the map run did not report this certificate',
        previousStatus: 'INACTIVE',
      },
    ]);
  });

  it('reports every item as not approved when the map did not run, and asks AWS IoT nothing', async () => {
    const settled: CertificateOutcome[] = [
      { certificateId: certificateIdOf(9), outcome: 'FAILED', errorName: 'CertificateNotFound', errorMessage: 'gone' },
    ];
    const { outcomes, finished } = await finish({ settled, items: [item(1, 'ACTIVE'), { certificateId: certificateIdOf(2) }] });
    expect(outcomes).toEqual([
      settled[0],
      { certificateId: certificateIdOf(1), outcome: 'NOT_APPROVED', previousStatus: 'ACTIVE' },
      { certificateId: certificateIdOf(2), outcome: 'NOT_APPROVED' },
    ]);
    expect(finished.counts).toEqual({ FAILED: 1, NOT_APPROVED: 2 });
    expect(iot.calls()).toHaveLength(0);
  });

  it('writes an empty outcomes file for a run with nothing in it', async () => {
    const { outcomes, finished } = await finish({ items: [] });
    expect(outcomes).toEqual([]);
    expect(finished.counts).toEqual({});
  });

  describe('checking failed items against AWS IoT', () => {
    it.each(['OFFERS', 'ACCEPTANCES'] as const)(
      'asks AWS IoT nothing (%s) when no item of the map failed, even beside settled failures',
      async (reconcile) => {
        const settled: CertificateOutcome[] = [failedWith(9, 'CertificateNotFound')];
        const done = reconcile === 'OFFERS' ? offered : accepted;
        const { outcomes } = await finish({ reconcile, settled, items: [item(1), item(2)], map: { succeeded: [[done(1), done(2)]] } });
        expect(outcomes).toEqual([settled[0], done(1), done(2)]);
        expect(iot.calls()).toHaveLength(0);
      },
    );

    it('reports as OFFERED, with a message saying it was done after all, a failed item AWS IoT shows pending to the target', async () => {
      iot.on(ListOutgoingCertificatesCommand).resolves({ outgoingCertificates: [pendingTo(2, TARGET_ACCOUNT)] });
      const { outcomes, finished } = await finish({
        items: [item(1), item(2, 'ACTIVE')],
        map: { succeeded: [[offered(1), failedWith(2, 'ServiceUnavailableException', 'ACTIVE')]] },
      });
      expect(outcomes).toEqual([
        offered(1),
        {
          certificateId: certificateIdOf(2),
          outcome: 'OFFERED',
          previousStatus: 'ACTIVE',
          errorMessage: expect.stringMatching(DONE_AFTER_ALL),
        },
      ]);
      expect(outcomes[1]?.errorMessage).toContain('ServiceUnavailableException');
      expect(finished.counts).toEqual({ OFFERED: 2 });
      expect(iot).toHaveReceivedCommandTimes(ListOutgoingCertificatesCommand, 1);
      expect(iot).not.toHaveReceivedCommand(ListCertificatesCommand);
    });

    it('reconciles the items of failed batches and the items no batch reported, as well as failed results', async () => {
      iot.on(ListOutgoingCertificatesCommand).resolves({ outgoingCertificates: [1, 2, 3].map((n) => pendingTo(n, TARGET_ACCOUNT)) });
      const { outcomes } = await finish({
        items: [item(1), item(2), item(3)],
        map: {
          succeeded: [[failedWith(1, 'ThrottlingException')]],
          failed: [{ items: [item(2)], error: 'States.Timeout', cause: 'out of time' }],
        },
      });
      expect(outcomes.map((outcome) => [outcome.certificateId, outcome.outcome])).toEqual([
        [certificateIdOf(1), 'OFFERED'],
        [certificateIdOf(2), 'OFFERED'],
        [certificateIdOf(3), 'OFFERED'],
      ]);
      for (const outcome of outcomes) expect(outcome.errorMessage).toMatch(DONE_AFTER_ALL);
    });

    it('keeps FAILED an item that is pending to another account, or not pending at all', async () => {
      iot.on(ListOutgoingCertificatesCommand).resolves({ outgoingCertificates: [pendingTo(1, OTHER_ACCOUNT)] });
      const { outcomes } = await finish({
        items: [item(1), item(2)],
        map: { succeeded: [[failedWith(1, 'ThrottlingException'), failedWith(2, 'InvalidRequestException')]] },
      });
      expect(outcomes).toEqual([failedWith(1, 'ThrottlingException'), failedWith(2, 'InvalidRequestException')]);
    });

    it('follows every page of the outgoing offers', async () => {
      iot.on(ListOutgoingCertificatesCommand).resolves({ outgoingCertificates: [pendingTo(7, TARGET_ACCOUNT)], nextMarker: 'bmV4dA==' });
      iot.on(ListOutgoingCertificatesCommand, { marker: 'bmV4dA==' }).resolves({ outgoingCertificates: [pendingTo(1, TARGET_ACCOUNT)] });
      const { outcomes } = await finish({ items: [item(1)], map: { succeeded: [[failedWith(1, 'ThrottlingException')]] } });
      expect(outcomes[0]?.outcome).toBe('OFFERED');
      expect(iot).toHaveReceivedCommandTimes(ListOutgoingCertificatesCommand, 2);
    });

    it('never reconciles a settled failure, even one AWS IoT shows pending to the target', async () => {
      iot
        .on(ListOutgoingCertificatesCommand)
        .resolves({ outgoingCertificates: [pendingTo(1, TARGET_ACCOUNT), pendingTo(9, TARGET_ACCOUNT)] });
      const settled = [failedWith(9, 'ConsentRequired')];
      const { outcomes } = await finish({ settled, items: [item(1)], map: { succeeded: [[failedWith(1, 'ThrottlingException')]] } });
      expect(outcomes.map((outcome) => [outcome.certificateId, outcome.outcome])).toEqual([
        [certificateIdOf(9), 'FAILED'],
        [certificateIdOf(1), 'OFFERED'],
      ]);
      expect(outcomes[0]).toEqual(settled[0]);
    });

    it.each(['ACTIVE', 'INACTIVE'])('reports as ACCEPTED, on the target side, a failed item that is %s in this account', async (status) => {
      iot.on(ListCertificatesCommand).resolves({ certificates: [listed(1, status)] });
      const { outcomes, finished } = await finish({
        reconcile: 'ACCEPTANCES',
        items: [{ certificateId: certificateIdOf(1) }],
        map: { succeeded: [[failedWith(1, 'ThrottlingException', 'PENDING_TRANSFER')]] },
      });
      expect(outcomes).toEqual([
        {
          certificateId: certificateIdOf(1),
          outcome: 'ACCEPTED',
          previousStatus: 'PENDING_TRANSFER',
          errorMessage: expect.stringMatching(DONE_AFTER_ALL),
        },
      ]);
      expect(finished.counts).toEqual({ ACCEPTED: 1 });
      expect(iot).not.toHaveReceivedCommand(ListOutgoingCertificatesCommand);
    });

    it('never reports a failed reject as accepted: with the approvers rejecting, the target side asks AWS IoT nothing', async () => {
      iot.on(ListCertificatesCommand).resolves({ certificates: [listed(1, 'ACTIVE')] });
      const { outcomes } = await finish({
        reconcile: 'ACCEPTANCES',
        decision: 'REJECTED',
        items: [{ certificateId: certificateIdOf(1) }],
        map: { succeeded: [[failedWith(1, 'TransferAlreadyCompletedException', 'PENDING_TRANSFER')]] },
      });
      expect(outcomes[0]?.outcome).toBe('FAILED');
      expect(iot).not.toHaveReceivedCommand(ListCertificatesCommand);
    });

    it('keeps FAILED, on the target side, a failed item still pending here or not in this account', async () => {
      iot.on(ListCertificatesCommand).resolves({ certificates: [listed(1, 'PENDING_TRANSFER'), listed(3, 'REVOKED')] });
      const { outcomes } = await finish({
        reconcile: 'ACCEPTANCES',
        items: [1, 2, 3].map((n) => ({ certificateId: certificateIdOf(n) })),
        map: { succeeded: [[1, 2, 3].map((n) => failedWith(n, 'ThrottlingException', 'PENDING_TRANSFER'))] },
      });
      expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['FAILED', 'FAILED', 'FAILED']);
    });

    it('follows every page of the account certificates on the target side', async () => {
      iot.on(ListCertificatesCommand).resolves({ certificates: [listed(7, 'ACTIVE')], nextMarker: 'cGFnZTI=' });
      iot.on(ListCertificatesCommand, { marker: 'cGFnZTI=' }).resolves({ certificates: [listed(1, 'ACTIVE')] });
      const { outcomes } = await finish({
        reconcile: 'ACCEPTANCES',
        items: [{ certificateId: certificateIdOf(1) }],
        map: { succeeded: [[failedWith(1, 'ThrottlingException', 'PENDING_TRANSFER')]] },
      });
      expect(outcomes[0]?.outcome).toBe('ACCEPTED');
      expect(iot).toHaveReceivedCommandTimes(ListCertificatesCommand, 2);
    });

    it('fails the step with the IoT error name, writing no outcomes, when AWS IoT cannot be asked, so the workflow retries it', async () => {
      iot.on(ListOutgoingCertificatesCommand).rejects(iotError('ThrottlingException', 'Rate exceeded'));
      const { objects, request } = await runToFinish({ items: [item(1)], map: { succeeded: [[failedWith(1, 'ThrottlingException')]] } });
      await expect(finishMigrationRun({ objects, iot: new IoTClient({}) }, request)).rejects.toMatchObject({
        name: 'ThrottlingException',
        retryable: true,
      });
      expect(objects.json(files.outcomes)).toBeUndefined();
    });
  });
});
