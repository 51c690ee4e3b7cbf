import type { IoTClient } from '@aws-sdk/client-iot';
import { listCertificates, outgoingOffers } from './certificate-listing';
import { countOutcomes, failed, MIGRATION_FAILURES, type CertificateOutcome, type CertificateOutcomeName } from './certificate-outcome';
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
  /**
   * How a failed item is checked against AWS IoT before it is reported: an outage can
   * hide that the Action went through. OFFERS (source side): pending to the target
   * after all; ACCEPTANCES (target side): in this account after all.
   */
  reconcile: 'OFFERS' | 'ACCEPTANCES';
  /** The source side's target account, for OFFERS; null on the target side. */
  targetAwsAccount: string | null;
  /** The target approvers' decision, for ACCEPTANCES: a failed reject is never reported as accepted. */
  decision: 'APPROVED' | 'REJECTED' | null;
}

export interface FinishedRun {
  outcomesKey: string;
  counts: Partial<Record<CertificateOutcomeName, number>>;
}

/** Every certificate's outcome in one file, the settled ones and the map's, so the job's report misses none. */
export async function finishMigrationRun(
  deps: { objects: MigrationObjects; iot: IoTClient },
  request: FinishRunRequest,
): Promise<FinishedRun> {
  const outcomes = [...((await deps.objects.readJson(request.settledKey)) as CertificateOutcome[])];
  const items = (await deps.objects.readJson(request.itemsKey)) as Array<{ certificateId: string; status?: string }>;
  if (request.resultsManifestKey === null) {
    outcomes.push(
      ...items.map((item): CertificateOutcome => ({
        certificateId: item.certificateId,
        outcome: request.unprocessedOutcome,
        ...(item.status ? { previousStatus: item.status } : {}),
      })),
    );
  } else {
    const { results, failedBatches } = await readMapRunResults<{ certificateId: string; status?: string }, CertificateOutcome>(
      deps.objects,
      request.resultsManifestKey,
    );
    const fromMap = [...results];
    for (const batch of failedBatches) {
      for (const item of batch.items)
        fromMap.push(failed(item.certificateId, batch.error, `the batch failed: ${batch.cause}`.slice(0, 512), item.status));
    }
    const reported = new Set(fromMap.map((outcome) => outcome.certificateId));
    for (const item of items)
      if (!reported.has(item.certificateId))
        fromMap.push(failed(item.certificateId, 'NotProcessed', 'the map run did not report this certificate', item.status));
    outcomes.push(...(await reconciled(deps.iot, request, fromMap)));
  }
  const outcomesKey = runFiles(request.migrationId, request.runName).outcomes;
  await deps.objects.writeJson(outcomesKey, outcomes);
  return { outcomesKey, counts: countOutcomes(outcomes) };
}

/** Failed items whose Action AWS IoT shows as done after all are reported as done. */
async function reconciled(iot: IoTClient, request: FinishRunRequest, outcomes: CertificateOutcome[]): Promise<CertificateOutcome[]> {
  if (!outcomes.some((outcome) => outcome.outcome === 'FAILED')) return outcomes;
  if (request.reconcile === 'ACCEPTANCES' && request.decision !== 'APPROVED') return outcomes;
  const done =
    request.reconcile === 'OFFERS'
      ? new Set([...(await outgoingOffers(iot))].filter(([, offeredTo]) => offeredTo === request.targetAwsAccount).map(([id]) => id))
      : new Set(
          [...(await listCertificates(iot))]
            .filter(([, listed]) => listed.status === 'ACTIVE' || listed.status === 'INACTIVE')
            .map(([id]) => id),
        );
  // Failures certflow decided itself (consent missing, ...) ran no Action: only IoT errors are checked.
  const noAction: readonly string[] = Object.values(MIGRATION_FAILURES);
  return outcomes.map((outcome): CertificateOutcome =>
    outcome.outcome === 'FAILED' && !noAction.includes(outcome.errorName ?? '') && done.has(outcome.certificateId)
      ? {
          certificateId: outcome.certificateId,
          outcome: request.reconcile === 'OFFERS' ? 'OFFERED' : 'ACCEPTED',
          ...(outcome.previousStatus ? { previousStatus: outcome.previousStatus } : {}),
          errorMessage:
            `done after all: AWS IoT shows it, though the run saw ${outcome.errorName ?? 'an error'}: ${outcome.errorMessage ?? ''}`.slice(
              0,
              1024,
            ),
        }
      : outcome,
  );
}
