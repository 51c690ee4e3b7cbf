import { countOutcomes, failed, type CertificateOutcome, type CertificateOutcomeName } from './certificate-outcome';
import { readMapRunResults, runFiles, type MigrationObjects } from './migration-objects';
import type { MigrationRunRequest } from './plan-outbound-migration';

export interface FinishRunRequest extends MigrationRunRequest {
  /** The certificates settled before the map: the plan's, or the source inspection's. */
  settledKey: string;
  /** The items the map was to process. */
  itemsKey: string;
  /** The ResultWriter's manifest.json; null when the map did not run (the approvers rejected). */
  resultsManifestKey: string | null;
  /** What the items are reported as when the map did not run. */
  unprocessedOutcome: CertificateOutcomeName;
}

export interface FinishedRun {
  outcomesKey: string;
  counts: Partial<Record<CertificateOutcomeName, number>>;
}

/** Every certificate's outcome in one file, the settled ones and the map's, so the job's report misses none. */
export async function finishMigrationRun(deps: { objects: MigrationObjects }, request: FinishRunRequest): Promise<FinishedRun> {
  const outcomes = [...((await deps.objects.readJson(request.settledKey)) as CertificateOutcome[])];
  const items = (await deps.objects.readJson(request.itemsKey)) as Array<{ certificateId: string; status?: string }>;
  if (request.resultsManifestKey === null) {
    outcomes.push(...items.map((item): CertificateOutcome => ({ certificateId: item.certificateId, outcome: request.unprocessedOutcome, ...(item.status ? { previousStatus: item.status } : {}) })));
  } else {
    const { results, failedBatches } = await readMapRunResults<{ certificateId: string; status?: string }, CertificateOutcome>(deps.objects, request.resultsManifestKey);
    outcomes.push(...results);
    for (const batch of failedBatches) {
      for (const item of batch.items) outcomes.push(failed(item.certificateId, batch.error, `the batch failed: ${batch.cause}`.slice(0, 512), item.status));
    }
    const reported = new Set(outcomes.map((outcome) => outcome.certificateId));
    for (const item of items) if (!reported.has(item.certificateId)) outcomes.push(failed(item.certificateId, 'NotProcessed', 'the map run did not report this certificate', item.status));
  }
  const outcomesKey = runFiles(request.migrationId, request.runName).outcomes;
  await deps.objects.writeJson(outcomesKey, outcomes);
  return { outcomesKey, counts: countOutcomes(outcomes) };
}
