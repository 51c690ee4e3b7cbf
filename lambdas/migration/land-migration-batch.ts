import { DescribeThingTypeCommand, type IoTClient } from '@aws-sdk/client-iot';
import type { S3Client } from '@aws-sdk/client-s3';
import type { LandingPlan, ThingFacts, ThingLanding } from '../cutover/certificate-facts';
import { ExchangeObjectMismatch, migrationBucketName, readExchangeObject } from '../cross-account/exchange-objects';
import type { MigrationExchangeStore } from '../cross-account/migration-exchange-store';
import {
  MIGRATION_BATCH_SIZE_MAX,
  type LandedCertificate,
  type LandingOutcome,
  type MigrationBatchLanded,
} from '../cross-account/migration-messages';
import { sendTransferMessage, type MessageSenderDeps } from '../cross-account/send-transfer-message';
import { ValidationError } from '../iot-api/field-rules';
import { AUDIT_TRAIL_UNAVAILABLE, toIotActionError } from '../iot-api/iot-errors';
import { landCertificate } from '../landing/land-certificate';
import type { LandingConfig } from '../landing/plan-landing';
import { UnverifiedMessage } from '../outbound-workflow/propose-to-target';
import { acceptCertificateTransfer } from '../transfer-actions/accept-certificate-transfer';
import type { AttemptContext, TransferActionDeps } from '../transfer-actions/run-transfer-action';
import { MIGRATION_FAILURES } from './certificate-outcome';
import { BATCH_TIME_BUDGET_MS, countFinishedBatch, ITEM_BACKOFF } from './migration-batch';
import type { MigrationProgress } from './migration-progress';
import { parseOfferSheet, type OfferedCertificate } from './offer-sheet';
import { landingPoliciesOf, targetRunOf } from './plan-inbound-migration';
import { withBackoff } from './request-pacer';

/** One map item of the target run: batch k, as the approvers approved it, after its wait for the offer. */
export interface LandBatchRequest extends AttemptContext {
  migrationId: string;
  sourceRunName: string;
  /** This (the target) run: its progress counters. */
  runName: string;
  batch: number;
  /** The batch's certificates as planned (batchOf the proposal's list): nothing else is accepted. */
  certificateIds: string[];
  /** False when the wait for the offer timed out. */
  offered: boolean;
  executionId: string;
  sourceAwsAccount: string;
}

/** Why a certificate was not landed when no IoT error says it. */
export const LANDING_FAILURES = {
  /** The offer sheet names a certificate the approvers did not approve for this batch. */
  notInBatch: 'NotInApprovedBatch',
  /** The offer sheet could not be read as its message described it. */
  invalidOfferSheet: 'InvalidOfferSheet',
} as const;

/**
 * Whether a thing type exists here, asked once per type and container: a batch of 50
 * certificates of one fleet shares one or two types, and DescribeThingType counts
 * against the same paced quota as the landing's own calls.
 */
export class ThingTypesHere {
  private readonly known = new Map<string, boolean>();

  constructor(private readonly iot: () => IoTClient) {}

  async exists(thingTypeName: string): Promise<boolean> {
    const known = this.known.get(thingTypeName);
    if (known !== undefined) return known;
    let exists: boolean;
    try {
      await withBackoff(() => this.iot().send(new DescribeThingTypeCommand({ thingTypeName })), ITEM_BACKOFF);
      exists = true;
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ResourceNotFoundException')) throw toIotActionError(error);
      exists = false;
    }
    this.known.set(thingTypeName, exists);
    return exists;
  }
}

export interface LandBatchDeps extends TransferActionDeps {
  store: MigrationExchangeStore;
  /** Reads the source's offer sheet (its bucket lets this account read `exchange/`). */
  s3: S3Client;
  sender: MessageSenderDeps;
  progress: MigrationProgress;
  landingConfig: LandingConfig;
  thingTypes: ThingTypesHere;
  region: string;
  /** The AWS partition of this account's ARNs. */
  partition: string;
}

function notLanded(certificateId: string, outcome: LandingOutcome, errorName: string, errorMessage: string): LandedCertificate {
  return {
    certificateId,
    outcome,
    setAsActive: false,
    acceptedAt: null,
    landedAt: null,
    policies: [],
    things: [],
    errorName: errorName.slice(0, 256),
    errorMessage: errorMessage.slice(0, 2048),
  };
}

/**
 * Lands batch k of a migration: accepts each certificate the source offered (ACTIVE when
 * it was ACTIVE there) with the same domain functions and audit rows as a single transfer,
 * lands it from the offer sheet (policies mapped by the landing config, checked by the plan;
 * things recreated) and tells the source how each fared. A certificate that fails is
 * reported, not thrown, so the rest of the batch goes on; only an unreachable audit trail
 * fails the batch, which the workflow then retries whole: every Action finds its audit row.
 */
export async function landMigrationBatch(deps: LandBatchDeps, request: LandBatchRequest): Promise<LandedCertificate[]> {
  const run = await targetRunOf(deps.store, request);
  if (run.sourceAwsAccount !== request.sourceAwsAccount || request.batch >= run.batchCount) {
    throw new UnverifiedMessage(
      `batch ${request.batch} from ${request.sourceAwsAccount} is not a batch of migration run ${request.sourceRunName} (${run.batchCount} batches from ${run.sourceAwsAccount})`,
    );
  }
  const sheet = await offerSheetOf(deps, request);
  const results: LandedCertificate[] = [];
  const refused: LandedCertificate[] = [];
  if (sheet.kind === 'invalid') {
    for (const certificateId of request.certificateIds)
      results.push(notLanded(certificateId, 'NOT_ACCEPTED', LANDING_FAILURES.invalidOfferSheet, sheet.reason));
  } else if (sheet.kind === 'not-offered') {
    for (const certificateId of request.certificateIds)
      results.push(
        notLanded(
          certificateId,
          'NOT_OFFERED',
          MIGRATION_FAILURES.notOffered,
          `no offer of batch ${request.batch} arrived before the wait ended`,
        ),
      );
  } else {
    const approved = new Set(request.certificateIds);
    for (const certificateId of sheet.offered.keys()) {
      if (!approved.has(certificateId)) {
        refused.push(
          notLanded(
            certificateId,
            'NOT_ACCEPTED',
            LANDING_FAILURES.notInBatch,
            `the offer sheet of batch ${request.batch} names it, but the approvers did not approve it for this batch: it was not accepted`,
          ),
        );
      }
    }
    const now = deps.now ?? (() => new Date());
    const startedAt = now().getTime();
    for (const certificateId of request.certificateIds) {
      const offered = sheet.offered.get(certificateId);
      if (!offered) {
        results.push(
          notLanded(
            certificateId,
            'NOT_OFFERED',
            MIGRATION_FAILURES.notOffered,
            `the offer sheet of batch ${request.batch} does not name it`,
          ),
        );
      } else if (offered.outcome === 'FAILED') {
        results.push(
          notLanded(
            certificateId,
            'NOT_OFFERED',
            offered.errorName ?? MIGRATION_FAILURES.notOffered,
            offered.errorMessage ?? 'the source could not offer it',
          ),
        );
      } else if (now().getTime() - startedAt >= BATCH_TIME_BUDGET_MS) {
        results.push(
          notLanded(
            certificateId,
            'NOT_ACCEPTED',
            MIGRATION_FAILURES.notAttempted,
            'the batch ran out of time before this certificate; it is still pending transfer to this account',
          ),
        );
      } else {
        results.push(await landOffered(deps, request, offered));
      }
    }
  }

  const detail: MigrationBatchLanded = {
    migrationId: request.migrationId,
    runName: request.sourceRunName,
    sourceAwsAccount: run.sourceAwsAccount,
    targetAwsAccount: run.targetAwsAccount,
    sentAt: (deps.now?.() ?? new Date()).toISOString(),
    batch: request.batch,
    // The refused ones after the batch's own, so the source can cancel their transfers; a
    // sheet naming more than a batch's worth of strangers is cut at the message's limit.
    certificates: [...results, ...refused].slice(0, MIGRATION_BATCH_SIZE_MAX),
  };
  await sendTransferMessage(deps.sender, { from: 'TARGET', type: 'MigrationBatchLanded', detail });
  await countFinishedBatch(
    deps.progress,
    request.runName,
    'land',
    results.map((result) => ({ certificateId: result.certificateId, failed: result.outcome !== 'LANDED' })),
  );
  return results;
}

type SheetRead =
  { kind: 'offered'; offered: Map<string, OfferedCertificate> } | { kind: 'not-offered' } | { kind: 'invalid'; reason: string };

/**
 * The batch's offer as this side's receiver recorded it: the record decides, not the wait's
 * outcome (an offer that came just after the wait ended is still landed; a wake-up with no
 * offer recorded was not the receiver's).
 */
async function offerSheetOf(deps: LandBatchDeps, request: LandBatchRequest): Promise<SheetRead> {
  const record = await deps.store.getBatchOffer(request.sourceRunName, request.batch);
  const offer = record?.offer;
  if (!offer) {
    if (!request.offered) return { kind: 'not-offered' };
    throw new UnverifiedMessage(
      `no offer of batch ${request.batch} of ${request.sourceRunName} is recorded: the wait was woken by something other than this side's receiver`,
    );
  }
  let sheet;
  try {
    const value = await readExchangeObject(deps.s3, offer.offerSheet, migrationBucketName(request.sourceAwsAccount, deps.region));
    sheet = parseOfferSheet(value, { migrationId: request.migrationId, runName: request.sourceRunName, batch: request.batch });
  } catch (error) {
    if (error instanceof ExchangeObjectMismatch || error instanceof ValidationError)
      return { kind: 'invalid', reason: `the offer sheet of batch ${request.batch}: ${error.message}` };
    throw error;
  }
  const offered = new Map<string, OfferedCertificate>();
  for (const certificate of sheet.certificates) {
    const id = certificate.certificateId.toLowerCase();
    if (!offered.has(id)) offered.set(id, { ...certificate, certificateId: id });
  }
  return { kind: 'offered', offered };
}

async function landOffered(deps: LandBatchDeps, request: LandBatchRequest, offered: OfferedCertificate): Promise<LandedCertificate> {
  const { certificateId } = offered;
  const setAsActive = offered.previousStatus === 'ACTIVE';
  const attempt: AttemptContext = {
    invocationId: request.invocationId,
    executionId: request.executionId,
    requestedBy: request.requestedBy,
    approvedBy: request.approvedBy,
  };
  let acceptedAt: string;
  try {
    const accepted = await withBackoff(
      () => acceptCertificateTransfer(deps, { ...attempt, certificateId, setAsActive, sourceAwsAccount: request.sourceAwsAccount }),
      ITEM_BACKOFF,
    );
    acceptedAt = accepted.recordedAt ?? (deps.now?.() ?? new Date()).toISOString();
  } catch (thrown) {
    if (thrown instanceof Error && thrown.name === AUDIT_TRAIL_UNAVAILABLE) throw thrown;
    const error = toIotActionError(thrown);
    return { ...notLanded(certificateId, 'NOT_ACCEPTED', error.name, error.message), setAsActive };
  }
  try {
    const landing = await landingPlanOf(deps, offered);
    const landed = await withBackoff(
      () =>
        landCertificate(deps, {
          ...attempt,
          certificateId,
          certificateArn: `arn:${deps.partition}:iot:${deps.region}:${deps.accountId}:cert/${certificateId}`,
          sourceAwsAccount: request.sourceAwsAccount,
          landing,
        }),
      ITEM_BACKOFF,
    );
    return {
      certificateId,
      outcome: 'LANDED',
      setAsActive,
      acceptedAt,
      landedAt: landed.landedAt,
      policies: landed.policies,
      things: landed.things,
      errorName: null,
      errorMessage: null,
    };
  } catch (thrown) {
    if (thrown instanceof Error && thrown.name === AUDIT_TRAIL_UNAVAILABLE) throw thrown;
    const error = toIotActionError(thrown);
    return { ...notLanded(certificateId, 'LANDING_FAILED', error.name, error.message), setAsActive, acceptedAt };
  }
}

/**
 * The certificate's landing from the sheet, without asking IoT about each policy (the plan
 * checked every one the migration can attach): each thing is created, with its type only
 * when that type exists here.
 */
async function landingPlanOf(deps: LandBatchDeps, offered: OfferedCertificate): Promise<LandingPlan> {
  const things: ThingLanding[] = [];
  if (deps.landingConfig.recreateThings) {
    for (const thing of offered.things) things.push(await thingLandingOf(deps.thingTypes, thing));
  }
  return { policies: landingPoliciesOf(deps.landingConfig, offered.policies), things };
}

async function thingLandingOf(thingTypes: ThingTypesHere, thing: ThingFacts): Promise<ThingLanding> {
  const typeHere = thing.thingTypeName !== undefined && (await thingTypes.exists(thing.thingTypeName));
  return {
    thingName: thing.thingName,
    ...(typeHere ? { thingTypeName: thing.thingTypeName } : {}),
    attributes: thing.attributes,
    action: 'CREATE',
  };
}
