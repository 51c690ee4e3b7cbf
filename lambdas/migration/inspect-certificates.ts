import type { IoTClient } from '@aws-sdk/client-iot';
import { MIGRATION_SAMPLE_MAX, type MigrationSummary } from '../approvals/approval-request';
import { toIotActionError } from '../iot-api/iot-errors';
import { attachedPolicies, principalThings } from '../outbound-workflow/inspect-certificate';
import { failed, MIGRATION_FAILURES, type CertificateOutcome } from './certificate-outcome';
import { readMapRunResults, runFiles, type MigrationObjects } from './migration-objects';
import type { MigrationProgress } from './migration-progress';
import type { CertificateToInspect, MigrationPlan, MigrationRunRequest } from './plan-outbound-migration';
import { countFinishedBatch, ITEM_BACKOFF } from './migration-batch';
import { withBackoff } from './request-pacer';

/** A certificate ready for the transfer step, with what must change first. */
export interface CertificateToTransfer extends CertificateToInspect {
  policies: string[];
  thingCount: number;
}

export type InspectionResult = ({ kind: 'INSPECTED' } & CertificateToTransfer) | ({ kind: 'SETTLED' } & CertificateOutcome);

/**
 * One Distributed Map batch of the source side's inspection: the policies and things
 * of each certificate, for the approvers' summary and the preparation. Read-only, so a
 * retried batch changes nothing.
 */
export async function inspectCertificates(
  deps: { iot: IoTClient; progress: MigrationProgress },
  batch: { runName: string; items: CertificateToInspect[] },
): Promise<InspectionResult[]> {
  const results: InspectionResult[] = [];
  for (const item of batch.items) {
    try {
      const [policies, things] = await withBackoff(
        () => Promise.all([attachedPolicies(deps.iot, item.certificateArn), principalThings(deps.iot, item.certificateArn)]),
        ITEM_BACKOFF,
      );
      results.push({ kind: 'INSPECTED', ...item, policies, thingCount: things.length });
    } catch (thrown) {
      const error = toIotActionError(thrown);
      if (error.name !== 'ResourceNotFoundException') throw error;
      results.push({
        kind: 'SETTLED',
        ...failed(item.certificateId, MIGRATION_FAILURES.notFound, 'the certificate was deleted during the migration', item.status),
      });
    }
  }
  await countFinishedBatch(
    deps.progress,
    batch.runName,
    'inspect',
    results.map((result) => ({ certificateId: result.certificateId, failed: result.kind === 'SETTLED' })),
  );
  return results;
}

export interface InspectionSummary {
  summary: MigrationSummary;
  itemsKey: string;
  itemCount: number;
  settledKey: string;
}

/**
 * After inspection: the certificates to transfer (for the transfer map), every settled
 * certificate (for the report) and the summary the source approvers decide on.
 */
export async function summarizeInspection(
  deps: { objects: MigrationObjects; progress: MigrationProgress },
  request: MigrationRunRequest & { plan: MigrationPlan; inspectionManifestKey: string | null },
): Promise<InspectionSummary> {
  const { results, failedBatches } =
    request.inspectionManifestKey === null
      ? { results: [], failedBatches: [] }
      : await readMapRunResults<CertificateToInspect, InspectionResult>(deps.objects, request.inspectionManifestKey);
  const settled = (await deps.objects.readJson(request.plan.settledKey)) as CertificateOutcome[];
  const toTransfer: CertificateToTransfer[] = [];
  for (const result of results) {
    if (result.kind === 'INSPECTED') {
      const { kind, ...item } = result;
      toTransfer.push(item);
    } else {
      const { kind, ...outcome } = result;
      settled.push(outcome);
    }
  }
  for (const batch of failedBatches) {
    for (const item of batch.items)
      settled.push(failed(item.certificateId, batch.error, `inspection failed: ${batch.cause}`.slice(0, 512), item.status));
  }

  const files = runFiles(request.migrationId, request.runName);
  const statusCounts: Record<string, number> = {};
  for (const item of toTransfer) statusCounts[item.status] = (statusCounts[item.status] ?? 0) + 1;
  // The approval covers the certificates it lets the workflow change; the others are counted beside them.
  const summary: MigrationSummary = {
    migrationId: request.migrationId,
    certificateCount: toTransfer.length,
    statusCounts,
    withPolicies: toTransfer.filter((item) => item.policies.length > 0).length,
    withThings: toTransfer.filter((item) => item.thingCount > 0).length,
    toDeactivate: toTransfer.filter((item) => item.status === 'ACTIVE').length,
    alreadyDone: settled.filter((outcome) => outcome.outcome !== 'FAILED').length,
    notTransferable: settled.filter((outcome) => outcome.outcome === 'FAILED').length,
    sampleCertificateIds: toTransfer.slice(0, MIGRATION_SAMPLE_MAX).map((item) => item.certificateId),
    certificateListKey: files.transferItems,
  };
  await deps.objects.writeJson(files.transferItems, toTransfer);
  await deps.objects.writeJson(files.inspectedOutcomes, settled);
  await deps.progress.setTotal(request.runName, 'transfer', toTransfer.length);
  return { summary, itemsKey: files.transferItems, itemCount: toTransfer.length, settledKey: files.inspectedOutcomes };
}
