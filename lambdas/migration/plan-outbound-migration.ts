import type { IoTClient } from '@aws-sdk/client-iot';
import { MIGRATION_SAMPLE_MAX, type MigrationSummary } from '../approvals/approval-request';
import type { AuditTrail } from '../audit-trail/audit-trail';
import { listCertificates, outgoingOffers, policyAttachments } from './certificate-listing';
import { failed, MIGRATION_FAILURES, type CertificateOutcome } from './certificate-outcome';
import { parseJsonManifest } from './migration-manifest';
import { migrationKeys, readJsonIfExists, runFiles, type MigrationObjects } from './migration-objects';
import type { MigrationProgress } from './migration-progress';

export interface MigrationRunRequest {
  migrationId: string;
  /** The execution's name: each run of a migration keeps its files apart. */
  runName: string;
}

/** A source-side run's input, validated once by its first step and carried on with every field present. */
export interface OutboundMigrationRequest extends MigrationRunRequest {
  executionId: string;
  targetAwsAccount: string;
  transferMessage: string | null;
  requestedBy: string;
  /** The caller the start API verified. */
  requestedByArn: string | null;
  reason: string | null;
}

/** A certificate still in this account, to be moved; `position` is its place in the list both sides cut into batches. */
export interface CertificateToMove {
  certificateId: string;
  certificateArn: string;
  status: string;
  /** The policies attached when the plan looked (the cutover lists them again). */
  policies: string[];
  position: number;
}

export interface MigrationPlan {
  certificateCount: number;
  /** Certificates listed more than once in the manifest; each is moved once. */
  duplicateCount: number;
  /** The certificates to move, in order (CertificateToMove). */
  itemsKey: string;
  itemCount: number;
  settledKey: string;
  settledCount: number;
  /** Where the run's Distributed Maps write their results. */
  mapResultsPrefix: string;
  batchSize: number;
  batchCount: number;
  activeCount: number;
  /** Source policy name → how many of the certificates to move have it attached. */
  policies: Record<string, number>;
  /** What the source approvers decide on. */
  summary: MigrationSummary;
}

export interface OutboundPlanDeps {
  iot: IoTClient;
  objects: MigrationObjects;
  auditTrail: AuditTrail;
  progress: MigrationProgress;
  /** Certificates per batch: the source transfers, and the target lands, one batch at a time. */
  batchSize: number;
}

const AUDIT_LOOKUPS_AT_ONCE = 16;

/**
 * The source side's first step, from cheap reads only: resolves the manifest to
 * certificate ids (ListCertificates, 250 a page), finds policy attachments per policy
 * (ListPolicies and ListTargetsForPolicy, not one call per certificate), and settles
 * every certificate that needs no Action — already offered to this target or already
 * transferred by an earlier run (so a re-run resumes), missing, pending to another
 * account, or in a status that cannot be transferred. Things are not looked up here: the
 * cutover finds and detaches them per certificate, just before its transfer.
 */
export async function planOutboundMigration(
  deps: OutboundPlanDeps,
  request: OutboundMigrationRequest,
): Promise<{ request: OutboundMigrationRequest; plan: MigrationPlan }> {
  const { manifest, duplicates } = parseJsonManifest(
    JSON.stringify(await deps.objects.readJson(migrationKeys.manifest(request.migrationId))),
  );
  const account = await listCertificates(deps.iot);
  let certificateIds: string[];
  if (manifest.kind === 'list') certificateIds = manifest.certificateIds;
  else {
    // A selector is resolved once: on a resumed run the certificates it chose are no longer
    // in the status it selected (offered, or gone), and must still be followed and reported.
    const resolvedKey = migrationKeys.resolvedSelector(request.migrationId);
    const resolved = (await readJsonIfExists(deps.objects, resolvedKey)) as string[] | undefined;
    if (resolved) certificateIds = resolved;
    else {
      const candidates = manifest.caCertificateId ? await listCertificates(deps.iot, manifest.caCertificateId) : account;
      certificateIds = [...candidates]
        .filter(([, listed]) => manifest.status === undefined || listed.status === manifest.status)
        .map(([id]) => id);
      await deps.objects.writeJson(resolvedKey, certificateIds);
    }
  }
  const offers = await outgoingOffers(deps.iot);

  // Certificates no longer in the account: did an earlier run transfer them here? One query each, several at once.
  const transferredTo = new Map<string, string | undefined>();
  const gone = certificateIds.filter((id) => !account.has(id));
  for (let start = 0; start < gone.length; start += AUDIT_LOOKUPS_AT_ONCE) {
    await Promise.all(
      gone
        .slice(start, start + AUDIT_LOOKUPS_AT_ONCE)
        .map(async (id) => transferredTo.set(id, (await deps.auditTrail.latestSuccess(id, 'TransferCertificate'))?.targetAwsAccount)),
    );
  }

  const toMove: Array<Omit<CertificateToMove, 'policies' | 'position'>> = [];
  const settled: CertificateOutcome[] = [];
  for (const certificateId of certificateIds) {
    const listed = account.get(certificateId);
    if (!listed) {
      settled.push(
        transferredTo.get(certificateId) === request.targetAwsAccount
          ? { certificateId, outcome: 'ALREADY_TRANSFERRED' }
          : failed(certificateId, MIGRATION_FAILURES.notFound, 'the certificate is not in this account'),
      );
    } else if (listed.status === 'ACTIVE' || listed.status === 'INACTIVE') {
      toMove.push({ certificateId, certificateArn: listed.certificateArn, status: listed.status });
    } else if (listed.status === 'PENDING_TRANSFER') {
      const offeredTo = offers.get(certificateId);
      settled.push(
        offeredTo === request.targetAwsAccount
          ? { certificateId, outcome: 'ALREADY_OFFERED', previousStatus: listed.status }
          : failed(
              certificateId,
              MIGRATION_FAILURES.pendingElsewhere,
              `the certificate is already offered to account ${offeredTo ?? 'unknown'}`,
              listed.status,
            ),
      );
    } else {
      settled.push(
        failed(certificateId, MIGRATION_FAILURES.notTransferable, `a ${listed.status} certificate cannot be transferred`, listed.status),
      );
    }
  }

  const attachments = toMove.length > 0 ? await policyAttachments(deps.iot) : new Map<string, string[]>();
  const items: CertificateToMove[] = toMove.map((item, position) => ({
    ...item,
    policies: attachments.get(item.certificateArn) ?? [],
    position,
  }));
  const policies: Record<string, number> = {};
  for (const item of items) for (const policy of item.policies) policies[policy] = (policies[policy] ?? 0) + 1;
  const statusCounts: Record<string, number> = {};
  for (const item of items) statusCounts[item.status] = (statusCounts[item.status] ?? 0) + 1;

  const files = runFiles(request.migrationId, request.runName);
  const summary: MigrationSummary = {
    migrationId: request.migrationId,
    certificateCount: items.length,
    statusCounts,
    withPolicies: items.filter((item) => item.policies.length > 0).length,
    withThings: null,
    toDeactivate: statusCounts.ACTIVE ?? 0,
    alreadyDone: settled.filter((outcome) => outcome.outcome !== 'FAILED').length,
    notTransferable: settled.filter((outcome) => outcome.outcome === 'FAILED').length,
    sampleCertificateIds: items.slice(0, MIGRATION_SAMPLE_MAX).map((item) => item.certificateId),
    certificateListKey: files.transferItems,
  };
  const plan: MigrationPlan = {
    certificateCount: certificateIds.length,
    duplicateCount: duplicates.length,
    itemsKey: files.transferItems,
    itemCount: items.length,
    settledKey: files.plannedOutcomes,
    settledCount: settled.length,
    mapResultsPrefix: files.mapResults,
    batchSize: deps.batchSize,
    batchCount: Math.ceil(items.length / deps.batchSize),
    activeCount: statusCounts.ACTIVE ?? 0,
    policies,
    summary,
  };
  await deps.objects.writeJson(plan.itemsKey, items);
  await deps.objects.writeJson(plan.settledKey, settled);
  await deps.progress.setTotal(request.runName, 'transfer', items.length);
  await deps.progress.setTotal(request.runName, 'land', items.length);
  return { request, plan };
}
