import type { IoTClient } from '@aws-sdk/client-iot';
import { MIGRATION_SAMPLE_MAX, type MigrationSummary } from '../approvals/approval-request';
import { ValidationError, parseAwsAccountId, parseCertificateId } from '../iot-api/field-rules';
import { failed, MIGRATION_FAILURES, type CertificateOutcome } from './certificate-outcome';
import { migrationKeys, runFiles, type MigrationObjects } from './migration-objects';
import type { MigrationProgress } from './migration-progress';
import { listCertificates } from './certificate-listing';
import type { MigrationRunRequest } from './plan-outbound-migration';

/** What the migration job hands the target side: the certificates the source offered. */
export interface MigrationOffers {
  sourceAwsAccount: string;
  certificateIds: string[];
}

export function parseMigrationOffers(value: unknown): MigrationOffers {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ValidationError('offers', 'must be a JSON object');
  const fields = value as Record<string, unknown>;
  if (!Array.isArray(fields.certificateIds)) throw new ValidationError('offers.certificateIds', 'must be a list of certificate ids');
  return {
    sourceAwsAccount: parseAwsAccountId(fields.sourceAwsAccount, 'offers.sourceAwsAccount'),
    certificateIds: fields.certificateIds.map((id, index) => parseCertificateId(id, `offers.certificateIds[${index}]`).toLowerCase()),
  };
}

/** A target-side run's input, validated once by its first step. */
export interface InboundMigrationRequest extends MigrationRunRequest {
  executionId: string;
  requestedBy: string;
  reason: string | null;
}

export interface InboundPlan {
  sourceAwsAccount: string;
  summary: MigrationSummary;
  itemsKey: string;
  itemCount: number;
  settledKey: string;
  mapResultsPrefix: string;
}

/**
 * The target side's first step: which offered certificates are pending here (to be
 * answered), which an earlier run already accepted (a re-run skips them), and which
 * never arrived; and the summary the target approvers decide on.
 */
export async function planInboundMigration(
  deps: { iot: IoTClient; objects: MigrationObjects; progress: MigrationProgress },
  request: InboundMigrationRequest,
): Promise<{ request: InboundMigrationRequest; plan: InboundPlan }> {
  const offers = parseMigrationOffers(await deps.objects.readJson(migrationKeys.offers(request.migrationId)));
  const account = await listCertificates(deps.iot);
  const toAnswer: Array<{ certificateId: string }> = [];
  const settled: CertificateOutcome[] = [];
  const statusCounts: Record<string, number> = {};
  for (const certificateId of offers.certificateIds) {
    const listed = account.get(certificateId);
    if (listed?.status === 'PENDING_TRANSFER') {
      toAnswer.push({ certificateId });
      statusCounts[listed.status] = (statusCounts[listed.status] ?? 0) + 1;
    } else if (listed?.status === 'ACTIVE' || listed?.status === 'INACTIVE')
      settled.push({ certificateId, outcome: 'ALREADY_ACCEPTED', previousStatus: listed.status });
    else
      settled.push(
        failed(
          certificateId,
          MIGRATION_FAILURES.notOffered,
          'no pending transfer of this certificate reached this account',
          listed?.status,
        ),
      );
  }
  const files = runFiles(request.migrationId, request.runName);
  await deps.objects.writeJson(files.answerItems, toAnswer);
  await deps.objects.writeJson(files.plannedOutcomes, settled);
  await deps.progress.setTotal(request.runName, 'answer', toAnswer.length);
  const plan: InboundPlan = {
    sourceAwsAccount: offers.sourceAwsAccount,
    summary: {
      migrationId: request.migrationId,
      certificateCount: toAnswer.length,
      statusCounts,
      withPolicies: 0,
      withThings: 0,
      toDeactivate: 0,
      alreadyDone: settled.filter((outcome) => outcome.outcome !== 'FAILED').length,
      notTransferable: settled.filter((outcome) => outcome.outcome === 'FAILED').length,
      sampleCertificateIds: toAnswer.slice(0, MIGRATION_SAMPLE_MAX).map((item) => item.certificateId),
      // The approval covers the offers it answers: the page offers this list as CSV.
      certificateListKey: files.answerItems,
    },
    itemsKey: files.answerItems,
    itemCount: toAnswer.length,
    settledKey: files.plannedOutcomes,
    mapResultsPrefix: files.mapResults,
  };
  return { request, plan };
}
