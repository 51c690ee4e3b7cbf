import { GetPolicyCommand, type IoTClient } from '@aws-sdk/client-iot';
import type { S3Client } from '@aws-sdk/client-s3';
import { MIGRATION_SAMPLE_MAX, type MigrationSummary } from '../approvals/approval-request';
import { ExchangeObjectMismatch, migrationBucketName, readExchangeObject } from '../cross-account/exchange-objects';
import type { MigrationExchangeStore, MigrationRunRecord } from '../cross-account/migration-exchange-store';
import { MigrationRunNotFound } from '../cross-account/migration-exchange-store';
import { batchOf, type MigrationProposed } from '../cross-account/migration-messages';
import { list, object } from '../cross-account/transfer-messages';
import { ValidationError, parseCertificateId } from '../iot-api/field-rules';
import { toIotActionError } from '../iot-api/iot-errors';
import { LandingNotPossible, type LandingConfig } from '../landing/plan-landing';
import { UnverifiedMessage } from '../outbound-workflow/propose-to-target';
import { migrationKeys, type MigrationObjects } from './migration-objects';
import type { MigrationProgress } from './migration-progress';

/** The target run's first step: the source's run it answers, and the execution's own name and id. */
export interface InboundMigrationPlanRequest {
  migrationId: string;
  sourceRunName: string;
  /** This (the target) execution's name: targetRunNameOf(sourceRunName). */
  runName: string;
  executionId: string;
}

/** The source's proposal was not what it said, or not readable as it said: terminal, nothing is accepted. */
export class InvalidMigrationProposal extends Error {
  override readonly name = 'InvalidMigrationProposal';
}

/** What the target approvers see: the approval page's migration view, and how the certificates land here. */
export interface InboundMigrationSummary extends MigrationSummary {
  /** Policies every certificate of the migration may get here (after certflow:landingPolicyMap), sorted. */
  landingPolicies: string[];
  /** Source policy name → how many of the certificates it is attached to there, as the source proposed. */
  sourcePolicies: Record<string, number>;
  /** Each certificate's things are recreated here (same name, type when it exists here, attributes). */
  recreateThings: boolean;
}

export interface InboundMigrationPlan {
  /** This side's bucket: `[{batch, certificateIds}]`, the batches in order. */
  batchesKey: string;
  /** Where the landing map's ResultWriter writes. */
  mapResultsPrefix: string;
  batchCount: number;
  certificateCount: number;
  activeCount: number;
  sourceAwsAccount: string;
  requestedBy: string;
  reason: string | null;
  sourceApprovedBy: string;
  summary: InboundMigrationSummary;
}

/** One batch as the target lands it: the ids the approvers approved for batch `batch`. */
export interface PlannedBatch {
  batch: number;
  certificateIds: string[];
}

/** The target run's own files in this side's migration bucket. */
export function inboundRunFiles(migrationId: string, runName: string) {
  const run = migrationKeys.run(migrationId, runName);
  return {
    batches: `${run}/batches.json`,
    /** `[{certificateId}]`: the approval page offers it as CSV. */
    certificates: `${run}/certificates.json`,
    /** Prefix the landing map's ResultWriter writes under. */
    mapResults: `${run}/map-results`,
  };
}

export interface PlanInboundDeps {
  store: MigrationExchangeStore;
  /** Reads the source's certificate list (its bucket lets this account read `exchange/`). */
  s3: S3Client;
  /** This side's migration bucket. */
  objects: MigrationObjects;
  iot: IoTClient;
  progress: MigrationProgress;
  landingConfig: LandingConfig;
  region: string;
}

/**
 * The target run's first step, before its approvers are asked: the proposal as this side's
 * receiver recorded it, its certificate list read from the source's bucket and checked
 * against it, and the landing checked once per policy (never per certificate: a migration
 * of 100,000 certificates shares a handful). The batches are written for the run's map.
 */
export async function planInboundMigration(
  deps: PlanInboundDeps,
  request: InboundMigrationPlanRequest,
): Promise<{ plan: InboundMigrationPlan }> {
  const { proposal } = await targetRunOf(deps.store, request);
  const certificateIds = await readCertificateList(deps, proposal);
  const attachedSourcePolicies = Object.keys(proposal.policies).filter((name) => (proposal.policies[name] ?? 0) > 0);
  const landingPolicies = landingPoliciesOf(deps.landingConfig, attachedSourcePolicies);
  await checkLandingPolicies(deps.iot, landingPolicies);

  const files = inboundRunFiles(request.migrationId, request.runName);
  const batches: PlannedBatch[] = [];
  for (let batch = 0; batch < proposal.batchCount; batch += 1) {
    batches.push({ batch, certificateIds: batchOf(certificateIds, proposal.batchSize, batch) });
  }
  await deps.objects.writeJson(files.batches, batches);
  await deps.objects.writeJson(
    files.certificates,
    certificateIds.map((certificateId) => ({ certificateId })),
  );
  await deps.progress.setTotal(request.runName, 'land', certificateIds.length);

  const inactiveCount = proposal.certificateCount - proposal.activeCount;
  return {
    plan: {
      batchesKey: files.batches,
      mapResultsPrefix: files.mapResults,
      batchCount: proposal.batchCount,
      certificateCount: proposal.certificateCount,
      activeCount: proposal.activeCount,
      sourceAwsAccount: proposal.sourceAwsAccount,
      requestedBy: proposal.requestedBy,
      reason: proposal.reason,
      sourceApprovedBy: proposal.sourceApprovedBy,
      summary: {
        migrationId: request.migrationId,
        certificateCount: proposal.certificateCount,
        statusCounts: {
          ...(proposal.activeCount > 0 ? { ACTIVE: proposal.activeCount } : {}),
          ...(inactiveCount > 0 ? { INACTIVE: inactiveCount } : {}),
        },
        // The proposal counts certificates per policy, not certificates with any policy or
        // thing; the target's page shows neither, and asks no consent to prepare.
        withPolicies: 0,
        withThings: 0,
        // ACTIVE in the source: set INACTIVE there, and ACTIVE here once landed.
        toDeactivate: proposal.activeCount,
        alreadyDone: 0,
        notTransferable: 0,
        sampleCertificateIds: certificateIds.slice(0, MIGRATION_SAMPLE_MAX),
        certificateListKey: files.certificates,
        landingPolicies,
        sourcePolicies: proposal.policies,
        recreateThings: deps.landingConfig.recreateThings,
      },
    },
  };
}

/**
 * The run record the receiver made, which only this side writes: the execution input
 * could be chosen by anyone allowed to start the workflow, so only the execution the
 * receiver started for a proposal it recorded may plan it.
 */
export async function targetRunOf(
  store: MigrationExchangeStore,
  request: { sourceRunName: string; migrationId: string; executionId: string },
): Promise<MigrationRunRecord & { proposal: MigrationProposed }> {
  const record = await store.getRun(request.sourceRunName);
  if (!record) throw new MigrationRunNotFound(request.sourceRunName);
  if (
    record.side !== 'TARGET' ||
    !record.proposal ||
    record.migrationId !== request.migrationId ||
    record.executionId !== request.executionId
  ) {
    throw new UnverifiedMessage(
      `no migration proposal ${request.sourceRunName} of ${request.migrationId} was received for this execution (${request.executionId})`,
    );
  }
  return record as MigrationRunRecord & { proposal: MigrationProposed };
}

/** Policies a certificate with these source policies gets here: the configured ones and the mapped ones. */
export function landingPoliciesOf(config: LandingConfig, sourcePolicies: Iterable<string>): string[] {
  const policies = new Set(config.policies);
  for (const sourcePolicy of sourcePolicies) {
    const mapped = config.policyNameMap[sourcePolicy] ?? sourcePolicy;
    if (mapped !== '') policies.add(mapped);
  }
  return [...policies].sort();
}

async function readCertificateList(deps: PlanInboundDeps, proposal: MigrationProposed): Promise<string[]> {
  const sourceBucket = migrationBucketName(proposal.sourceAwsAccount, deps.region);
  let value: unknown;
  try {
    value = await readExchangeObject(deps.s3, proposal.certificateList, sourceBucket);
  } catch (error) {
    if (error instanceof ExchangeObjectMismatch)
      throw new InvalidMigrationProposal(`the certificate list: ${error.message}`, { cause: error });
    throw error;
  }
  try {
    return parseCertificateList(value, proposal);
  } catch (error) {
    if (error instanceof ValidationError)
      throw new InvalidMigrationProposal(`the certificate list does not match the proposal: ${error.message}`, { cause: error });
    throw error;
  }
}

/** `{migrationId, certificateIds}`: as many valid, distinct ids as the proposal counted, of the proposal's migration. */
export function parseCertificateList(value: unknown, proposal: Pick<MigrationProposed, 'migrationId' | 'certificateCount'>): string[] {
  const fields = object(value, 'certificateList');
  if (fields.migrationId !== proposal.migrationId)
    throw new ValidationError('certificateList.migrationId', `must be ${proposal.migrationId} (the proposal's migration)`);
  const ids = list(fields.certificateIds, 'certificateList.certificateIds', proposal.certificateCount, (id, at) =>
    parseCertificateId(id, at).toLowerCase(),
  );
  if (ids.length !== proposal.certificateCount)
    throw new ValidationError(
      'certificateList.certificateIds',
      `must hold ${proposal.certificateCount} ids (the proposal's certificateCount)`,
    );
  const seen = new Set<string>();
  ids.forEach((id, index) => {
    if (seen.has(id)) throw new ValidationError(`certificateList.certificateIds[${index}]`, 'must not repeat an earlier id');
    seen.add(id);
  });
  return ids;
}

async function checkLandingPolicies(iot: IoTClient, policies: readonly string[]): Promise<void> {
  const missing: string[] = [];
  for (const policyName of policies) {
    try {
      await iot.send(new GetPolicyCommand({ policyName }));
    } catch (error) {
      if (error instanceof Error && error.name === 'ResourceNotFoundException') missing.push(policyName);
      else throw toIotActionError(error);
    }
  }
  if (missing.length > 0) {
    throw new LandingNotPossible(
      `the migration cannot land here: ${missing
        .map((name) => `policy ${name} does not exist in this account`)
        .join('; ')} (create it, or map the source policy with certflow:landingPolicyMap)`,
    );
  }
}
