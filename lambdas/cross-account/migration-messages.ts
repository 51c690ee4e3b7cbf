import {
  ValidationError,
  parseAwsAccountId,
  parseCertificateId,
  parseOptionalMessage,
  parsePolicyName,
  parseThingName,
} from '../iot-api/field-rules';
import { parseMigrationId } from '../migration/migration-requests';
import {
  PROPOSAL_DECISIONS,
  parsePeerEvent,
  type ExpectedSender,
  type ProposalDecision,
  bool,
  instant,
  list,
  object,
  oneOf,
  optionalInstant,
  optionalText,
  text,
} from './transfer-messages';

/**
 * The messages the two accounts exchange about one migration, over the same buses and
 * rules as a single transfer's (same `source` values; the `detail-type` names the
 * message). What is too large for an event (the certificate list, a batch's offer sheet)
 * travels as an exchange object: the sender's bucket lets the peer read it, and the
 * message carries its key and SHA-256, which the reader checks.
 */
export const MIGRATION_SOURCE_MESSAGE_TYPES = ['MigrationProposed', 'MigrationBatchOffered'] as const;
export const MIGRATION_TARGET_MESSAGE_TYPES = ['MigrationDecided', 'MigrationBatchLanded'] as const;
export const MIGRATION_MESSAGE_TYPES: readonly string[] = [...MIGRATION_SOURCE_MESSAGE_TYPES, ...MIGRATION_TARGET_MESSAGE_TYPES];

/** An object in the sender's migration bucket that the peer account may read. */
export interface ExchangeObject {
  bucket: string;
  key: string;
  /** Hex SHA-256 of the object's bytes. */
  sha256: string;
}

export interface MigrationMessageBase {
  migrationId: string;
  /** The source's run (execution) of the migration: each run is proposed, and decided, on its own. */
  runName: string;
  sourceAwsAccount: string;
  targetAwsAccount: string;
  /** ISO 8601. */
  sentAt: string;
}

export interface MigrationProposed extends MigrationMessageBase {
  requestedBy: string;
  reason: string | null;
  transferMessage: string | null;
  /** The source approver who approved the migration. */
  sourceApprovedBy: string;
  certificateCount: number;
  activeCount: number;
  /** Source policy name → how many of the certificates it is attached to. */
  policies: Record<string, number>;
  /** `{migrationId, certificateIds}`: batch k is certificateIds[k × batchSize, (k + 1) × batchSize). */
  certificateList: ExchangeObject;
  batchSize: number;
  batchCount: number;
}

export interface MigrationDecided extends MigrationMessageBase {
  decision: ProposalDecision;
  /** The target approver, or null when nobody decided. */
  decidedBy: string | null;
  rejectReason: string | null;
}

export interface MigrationBatchOffered extends MigrationMessageBase {
  batch: number;
  /** The batch's offer sheet (see OfferSheet). */
  offerSheet: ExchangeObject;
}

/** How one certificate of a batch fared in the target. */
export const LANDING_OUTCOMES = ['LANDED', 'LANDING_FAILED', 'NOT_ACCEPTED', 'NOT_OFFERED'] as const;
export type LandingOutcome = (typeof LANDING_OUTCOMES)[number];

export interface LandedCertificate {
  certificateId: string;
  outcome: LandingOutcome;
  /** Accepted ACTIVE (it was ACTIVE in the source). */
  setAsActive: boolean;
  acceptedAt: string | null;
  /** When its policies and things were in place: with setAsActive, when devices could connect again. */
  landedAt: string | null;
  policies: string[];
  things: string[];
  errorName: string | null;
  errorMessage: string | null;
}

export interface MigrationBatchLanded extends MigrationMessageBase {
  batch: number;
  certificates: LandedCertificate[];
}

export type MigrationMessage =
  | { type: 'MigrationProposed'; detail: MigrationProposed }
  | { type: 'MigrationBatchOffered'; detail: MigrationBatchOffered }
  | { type: 'MigrationDecided'; detail: MigrationDecided }
  | { type: 'MigrationBatchLanded'; detail: MigrationBatchLanded };

export interface MigrationSourceMessages {
  MigrationProposed: MigrationProposed;
  MigrationBatchOffered: MigrationBatchOffered;
}

export interface MigrationTargetMessages {
  MigrationDecided: MigrationDecided;
  MigrationBatchLanded: MigrationBatchLanded;
}

/** A batch holds at most this many certificates, so a landing report stays far under EventBridge's 256 KB. */
export const MIGRATION_BATCH_SIZE_MAX = 50;
const MAX_BATCHES = 1_000_000;
const MAX_POLICY_ENTRIES = 1000;
const MAX_NAMES = 50;
const SHA256 = /^[a-f0-9]{64}$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function count(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new ValidationError(field, `must be a whole number from ${min} to ${max}`);
  return value;
}

export function parseExchangeObject(value: unknown, field: string): ExchangeObject {
  const fields = object(value, field);
  const bucket = text(fields.bucket, `${field}.bucket`, 63);
  if (!BUCKET_NAME.test(bucket)) throw new ValidationError(`${field}.bucket`, 'must be an S3 bucket name');
  const key = text(fields.key, `${field}.key`, 1024);
  if (!key.startsWith('exchange/')) throw new ValidationError(`${field}.key`, "must be under the 'exchange/' prefix");
  const sha256 = text(fields.sha256, `${field}.sha256`, 64);
  if (!SHA256.test(sha256)) throw new ValidationError(`${field}.sha256`, 'must be 64 lowercase hex digits');
  return { bucket, key, sha256 };
}

function names(value: unknown, field: string, parse: (name: unknown, at: string) => string): string[] {
  return list(value, field, MAX_NAMES, parse);
}

export function parseLandedCertificate(value: unknown, field: string): LandedCertificate {
  const fields = object(value, field);
  return {
    certificateId: parseCertificateId(fields.certificateId, `${field}.certificateId`),
    outcome: oneOf(fields.outcome, `${field}.outcome`, LANDING_OUTCOMES),
    setAsActive: bool(fields.setAsActive, `${field}.setAsActive`),
    acceptedAt: optionalInstant(fields.acceptedAt, `${field}.acceptedAt`),
    landedAt: optionalInstant(fields.landedAt, `${field}.landedAt`),
    policies: names(fields.policies, `${field}.policies`, (name, at) => parsePolicyName(name, at)),
    things: names(fields.things, `${field}.things`, (name, at) => parseThingName(name, at)),
    errorName: optionalText(fields.errorName, `${field}.errorName`, 256),
    errorMessage: optionalText(fields.errorMessage, `${field}.errorMessage`, 2048),
  };
}

function parseBase(value: unknown): MigrationMessageBase {
  const fields = object(value, 'detail');
  const migrationId = parseMigrationId(fields.migrationId, 'detail.migrationId');
  return {
    migrationId,
    runName: parseSourceRunName(fields.runName, migrationId, 'detail.runName'),
    sourceAwsAccount: parseAwsAccountId(fields.sourceAwsAccount, 'detail.sourceAwsAccount'),
    targetAwsAccount: parseAwsAccountId(fields.targetAwsAccount, 'detail.targetAwsAccount'),
    sentAt: instant(fields.sentAt, 'detail.sentAt'),
  };
}

function parsePolicyCounts(value: unknown, field: string): Record<string, number> {
  const fields = object(value, field);
  const entries = Object.entries(fields);
  if (entries.length > MAX_POLICY_ENTRIES) throw new ValidationError(field, `must name at most ${MAX_POLICY_ENTRIES} policies`);
  return Object.fromEntries(
    entries.map(([name, attached]) => [parsePolicyName(name, `${field} key`), count(attached, `${field}.${name}`, 0, 100_000_000)]),
  );
}

export function parseMigrationDetail(type: string, value: unknown): MigrationMessage {
  const base = parseBase(value);
  const fields = value as Record<string, unknown>;
  switch (type) {
    case 'MigrationProposed': {
      const certificateCount = count(fields.certificateCount, 'detail.certificateCount', 1, 100_000_000);
      const batchSize = count(fields.batchSize, 'detail.batchSize', 1, MIGRATION_BATCH_SIZE_MAX);
      const batchCount = count(fields.batchCount, 'detail.batchCount', 1, MAX_BATCHES);
      if (batchCount !== Math.ceil(certificateCount / batchSize))
        throw new ValidationError('detail.batchCount', 'must be certificateCount / batchSize, rounded up');
      return {
        type,
        detail: {
          ...base,
          requestedBy: text(fields.requestedBy, 'detail.requestedBy', 2048),
          reason: optionalText(fields.reason, 'detail.reason', 256),
          transferMessage: parseOptionalMessage(fields.transferMessage, 'detail.transferMessage') ?? null,
          sourceApprovedBy: text(fields.sourceApprovedBy, 'detail.sourceApprovedBy', 256),
          certificateCount,
          activeCount: count(fields.activeCount, 'detail.activeCount', 0, certificateCount),
          policies: parsePolicyCounts(fields.policies, 'detail.policies'),
          certificateList: parseExchangeObject(fields.certificateList, 'detail.certificateList'),
          batchSize,
          batchCount,
        },
      };
    }
    case 'MigrationBatchOffered':
      return {
        type,
        detail: {
          ...base,
          batch: count(fields.batch, 'detail.batch', 0, MAX_BATCHES - 1),
          offerSheet: parseExchangeObject(fields.offerSheet, 'detail.offerSheet'),
        },
      };
    case 'MigrationDecided':
      return {
        type,
        detail: {
          ...base,
          decision: oneOf(fields.decision, 'detail.decision', PROPOSAL_DECISIONS),
          decidedBy: optionalText(fields.decidedBy, 'detail.decidedBy', 256),
          rejectReason: optionalText(fields.rejectReason, 'detail.rejectReason', 256),
        },
      };
    case 'MigrationBatchLanded':
      return {
        type,
        detail: {
          ...base,
          batch: count(fields.batch, 'detail.batch', 0, MAX_BATCHES - 1),
          certificates: list(fields.certificates, 'detail.certificates', MIGRATION_BATCH_SIZE_MAX, parseLandedCertificate),
        },
      };
    default:
      throw new ValidationError('detail-type', `must be one of ${MIGRATION_MESSAGE_TYPES.join(', ')}`);
  }
}

/** A migration's message, checked as parsePeerEvent checks a transfer's. */
export function parseMigrationEvent(event: unknown, expected: ExpectedSender): MigrationMessage {
  return parsePeerEvent(event, expected, {
    what: 'migration',
    types: { SOURCE: MIGRATION_SOURCE_MESSAGE_TYPES, TARGET: MIGRATION_TARGET_MESSAGE_TYPES },
    parse: parseMigrationDetail,
  });
}

/** A source run is named `<migrationId>-out-<13-digit start time>`; its target run `<migrationId>-in-<the same time>`. */
export function parseSourceRunName(value: unknown, migrationId: string, field = 'runName'): string {
  if (typeof value !== 'string' || !new RegExp(`^${migrationId}-out-[0-9]{13}$`).test(value))
    throw new ValidationError(field, `must be ${migrationId}-out-<13 digits> (the source run of this migration)`);
  return value;
}

export function targetRunNameOf(sourceRunName: string): string {
  return sourceRunName.replace(/-out-([0-9]{13})$/, '-in-$1');
}

/** The certificates of batch `batch`: the list is cut in order, batchSize at a time. */
export function batchOf<Item>(items: readonly Item[], batchSize: number, batch: number): Item[] {
  return items.slice(batch * batchSize, (batch + 1) * batchSize);
}
