import type { CertificateFacts, LandingPlan, ThingFacts, ThingLanding } from '../cutover/certificate-facts';
import {
  ValidationError,
  parseAwsAccountId,
  parseCertificateId,
  parseCertificateStatus,
  parseOptionalMessage,
  parsePolicyName,
  parseThingName,
} from '../iot-api/field-rules';

/**
 * The messages the two accounts exchange about one transfer, over EventBridge. Each is an
 * event whose `source` names the sending side and whose `detail-type` names the message;
 * nothing secret (task tokens, approval links) is ever in one. Every receiver checks the
 * envelope's account against its configured peer and validates every field below.
 */
export const SOURCE_EVENT_SOURCE = 'certflow.source';
export const TARGET_EVENT_SOURCE = 'certflow.target';

export const SOURCE_MESSAGE_TYPES = ['TransferProposed', 'CertificateOffered', 'ProposalWithdrawn'] as const;
export const TARGET_MESSAGE_TYPES = ['ProposalDecided', 'CertificateLanded', 'LandingFailed'] as const;
export type SourceMessageType = (typeof SOURCE_MESSAGE_TYPES)[number];
export type TargetMessageType = (typeof TARGET_MESSAGE_TYPES)[number];

/** What the target decided about a proposal. */
export const PROPOSAL_DECISIONS = ['APPROVED', 'REJECTED', 'EXPIRED', 'CANCELLED', 'LANDING_NOT_POSSIBLE'] as const;
export type ProposalDecision = (typeof PROPOSAL_DECISIONS)[number];

/** Fields every message carries: which transfer it is about. */
export interface TransferMessageBase {
  /** 32 characters of [A-Za-z0-9_-], derived from the source's execution. */
  proposalId: string;
  certificateId: string;
  sourceAwsAccount: string;
  targetAwsAccount: string;
  /** ISO 8601. */
  sentAt: string;
}

export interface TransferProposed extends TransferMessageBase {
  certificate: CertificateFacts;
  requestedBy: string;
  reason: string | null;
  transferMessage: string | null;
  /** The source approver who approved the proposal. */
  sourceApprovedBy: string;
}

export interface ProposalDecided extends TransferMessageBase {
  decision: ProposalDecision;
  /** The target approver, or null when nobody decided (EXPIRED, LANDING_NOT_POSSIBLE). */
  decidedBy: string | null;
  /** Why it was not approved; null when approved. */
  rejectReason: string | null;
  setAsActive: boolean;
  /** How the certificate will land; null unless APPROVED. */
  landing: LandingPlan | null;
}

export interface CertificateOffered extends TransferMessageBase {
  /** When the source set the certificate INACTIVE (null: it was INACTIVE already). */
  deactivatedAt: string | null;
  transferredAt: string;
}

export interface ProposalWithdrawn extends TransferMessageBase {
  reason: string;
}

export interface CertificateLanded extends TransferMessageBase {
  acceptedAt: string;
  /** When the landing (policies, things) was complete. */
  landedAt: string;
  /** When the certificate was ACTIVE with its landing applied; null when accepted INACTIVE. */
  readyAt: string | null;
  landing: LandingPlan;
}

export interface LandingFailed extends TransferMessageBase {
  /** True when the target accepted the certificate (it stays in the target). */
  accepted: boolean;
  errorName: string;
  errorMessage: string;
}

export interface SourceMessages {
  TransferProposed: TransferProposed;
  CertificateOffered: CertificateOffered;
  ProposalWithdrawn: ProposalWithdrawn;
}

export interface TargetMessages {
  ProposalDecided: ProposalDecided;
  CertificateLanded: CertificateLanded;
  LandingFailed: LandingFailed;
}

export type TransferMessage =
  | { type: 'TransferProposed'; detail: TransferProposed }
  | { type: 'CertificateOffered'; detail: CertificateOffered }
  | { type: 'ProposalWithdrawn'; detail: ProposalWithdrawn }
  | { type: 'ProposalDecided'; detail: ProposalDecided }
  | { type: 'CertificateLanded'; detail: CertificateLanded }
  | { type: 'LandingFailed'; detail: LandingFailed };

/** A message whose envelope or fields break a rule; the receiver drops it and logs why. */
export class InvalidTransferMessage extends Error {
  override readonly name = 'InvalidTransferMessage';
}

type Fields = Record<string, unknown>;

const PROPOSAL_ID = /^[A-Za-z0-9_-]{32}$/;
const ATTRIBUTE_NAME = /^[a-zA-Z0-9_.,@/:#-]{1,128}$/;
const ATTRIBUTE_VALUE = /^[a-zA-Z0-9_.,@/:#=[\]-]{0,800}$/;
const THING_TYPE_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
/** EventBridge allows 256 KB an entry; a certificate's facts stay well under it with these bounds. */
const MAX_POLICIES = 50;
const MAX_THINGS = 50;
const MAX_ATTRIBUTES = 50;

export function object(value: unknown, field: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ValidationError(field, 'must be a JSON object');
  return value as Fields;
}

export function text(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.trim().length === 0) throw new ValidationError(field, 'must be a non-empty string');
  if (value.length > max) throw new ValidationError(field, `must be at most ${max} characters long (got ${value.length})`);
  return value;
}

export function optionalText(value: unknown, field: string, max: number): string | null {
  return value === undefined || value === null ? null : text(value, field, max);
}

export function instant(value: unknown, field: string): string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new ValidationError(field, 'must be an ISO 8601 UTC time (YYYY-MM-DDTHH:MM:SS[.sss]Z)');
  }
  return value;
}

export function optionalInstant(value: unknown, field: string): string | null {
  return value === undefined || value === null ? null : instant(value, field);
}

export function bool(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw new ValidationError(field, 'must be a boolean');
  return value;
}

export function list<T>(value: unknown, field: string, max: number, item: (value: unknown, field: string) => T): T[] {
  if (!Array.isArray(value)) throw new ValidationError(field, 'must be a list');
  if (value.length > max) throw new ValidationError(field, `must have at most ${max} entries (got ${value.length})`);
  return value.map((entry, index) => item(entry, `${field}[${index}]`));
}

export function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value))
    throw new ValidationError(field, `must be one of ${allowed.join(', ')}`);
  return value as T;
}

export function parseProposalId(value: unknown, field = 'proposalId'): string {
  if (typeof value !== 'string' || !PROPOSAL_ID.test(value)) throw new ValidationError(field, 'must be 32 characters of [A-Za-z0-9_-]');
  return value;
}

function attributes(value: unknown, field: string): Record<string, string> {
  const fields = object(value ?? {}, field);
  const entries = Object.entries(fields);
  if (entries.length > MAX_ATTRIBUTES) throw new ValidationError(field, `must have at most ${MAX_ATTRIBUTES} attributes`);
  for (const [name, attribute] of entries) {
    if (!ATTRIBUTE_NAME.test(name)) throw new ValidationError(`${field}.${name}`, 'attribute names must match [a-zA-Z0-9_.,@/:#-]{1,128}');
    if (typeof attribute !== 'string' || !ATTRIBUTE_VALUE.test(attribute)) {
      throw new ValidationError(`${field}.${name}`, 'attribute values must match [a-zA-Z0-9_.,@/:#=\\[\\]-]{0,800}');
    }
  }
  return fields as Record<string, string>;
}

function thingTypeName(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !THING_TYPE_NAME.test(value)) throw new ValidationError(field, 'must match [a-zA-Z0-9:_-]{1,128}');
  return value;
}

export function parseThingFacts(value: unknown, field: string): ThingFacts {
  const fields = object(value, field);
  const typeName = thingTypeName(fields.thingTypeName, `${field}.thingTypeName`);
  return {
    thingName: parseThingName(fields.thingName, `${field}.thingName`),
    ...(typeName ? { thingTypeName: typeName } : {}),
    attributes: attributes(fields.attributes, `${field}.attributes`),
  };
}

export function parseCertificateFacts(value: unknown, field = 'certificate'): CertificateFacts {
  const fields = object(value, field);
  const optional = (name: string, max: number): Partial<Record<string, string>> => {
    const parsed = optionalText(fields[name], `${field}.${name}`, max);
    return parsed === null ? {} : { [name]: parsed };
  };
  const optionalTime = (name: string): Partial<Record<string, string>> => {
    const parsed = optionalInstant(fields[name], `${field}.${name}`);
    return parsed === null ? {} : { [name]: parsed };
  };
  const certificateArn = text(fields.certificateArn, `${field}.certificateArn`, 2048);
  if (!/^arn:aws[a-z-]*:iot:[a-z0-9-]+:[0-9]{12}:cert\/(0x)?[a-fA-F0-9]{64}$/.test(certificateArn)) {
    throw new ValidationError(`${field}.certificateArn`, 'must be an IoT certificate ARN (arn:aws:iot:<region>:<account>:cert/<id>)');
  }
  const caCertificateId =
    fields.caCertificateId === undefined || fields.caCertificateId === null
      ? {}
      : { caCertificateId: parseCertificateId(fields.caCertificateId, `${field}.caCertificateId`) };
  return {
    certificateId: parseCertificateId(fields.certificateId, `${field}.certificateId`),
    certificateArn,
    status: parseCertificateStatus(fields.status, `${field}.status`),
    ...optional('subject', 1024),
    ...optional('issuer', 1024),
    ...caCertificateId,
    ...optionalTime('validFrom'),
    ...optionalTime('validTo'),
    ...optionalTime('createdAt'),
    policies: list(fields.policies, `${field}.policies`, MAX_POLICIES, (name, at) => parsePolicyName(name, at)),
    things: list(fields.things, `${field}.things`, MAX_THINGS, parseThingFacts),
  };
}

export function parseLandingPlan(value: unknown, field = 'landing'): LandingPlan {
  const fields = object(value, field);
  return {
    policies: list(fields.policies, `${field}.policies`, MAX_POLICIES, (name, at) => parsePolicyName(name, at)),
    things: list(fields.things, `${field}.things`, MAX_THINGS, (entry, at): ThingLanding => {
      const thing = object(entry, at);
      const typeName = thingTypeName(thing.thingTypeName, `${at}.thingTypeName`);
      return {
        thingName: parseThingName(thing.thingName, `${at}.thingName`),
        ...(typeName ? { thingTypeName: typeName } : {}),
        attributes: attributes(thing.attributes, `${at}.attributes`),
        action: oneOf(thing.action, `${at}.action`, ['CREATE', 'REUSE'] as const),
      };
    }),
  };
}

export function parseMessageBase(value: unknown): TransferMessageBase {
  const fields = object(value, 'detail');
  return {
    proposalId: parseProposalId(fields.proposalId, 'detail.proposalId'),
    certificateId: parseCertificateId(fields.certificateId, 'detail.certificateId'),
    sourceAwsAccount: parseAwsAccountId(fields.sourceAwsAccount, 'detail.sourceAwsAccount'),
    targetAwsAccount: parseAwsAccountId(fields.targetAwsAccount, 'detail.targetAwsAccount'),
    sentAt: instant(fields.sentAt, 'detail.sentAt'),
  };
}

function parseDetail(type: string, value: unknown): TransferMessage {
  const base = parseMessageBase(value);
  const fields = value as Fields;
  const message = (name: string) => parseOptionalMessage(fields[name], `detail.${name}`) ?? null;
  switch (type) {
    case 'TransferProposed': {
      const certificate = parseCertificateFacts(fields.certificate, 'detail.certificate');
      if (certificate.certificateId !== base.certificateId)
        throw new ValidationError('detail.certificate.certificateId', 'must equal detail.certificateId');
      return {
        type,
        detail: {
          ...base,
          certificate,
          requestedBy: text(fields.requestedBy, 'detail.requestedBy', 256),
          reason: optionalText(fields.reason, 'detail.reason', 256),
          transferMessage: message('transferMessage'),
          sourceApprovedBy: text(fields.sourceApprovedBy, 'detail.sourceApprovedBy', 256),
        },
      };
    }
    case 'CertificateOffered':
      return {
        type,
        detail: {
          ...base,
          deactivatedAt: optionalInstant(fields.deactivatedAt, 'detail.deactivatedAt'),
          transferredAt: instant(fields.transferredAt, 'detail.transferredAt'),
        },
      };
    case 'ProposalWithdrawn':
      return { type, detail: { ...base, reason: text(fields.reason, 'detail.reason', 256) } };
    case 'ProposalDecided': {
      const decision = oneOf(fields.decision, 'detail.decision', PROPOSAL_DECISIONS);
      const landing = fields.landing === null || fields.landing === undefined ? null : parseLandingPlan(fields.landing, 'detail.landing');
      if (decision === 'APPROVED' && !landing) throw new ValidationError('detail.landing', 'is required when the decision is APPROVED');
      return {
        type,
        detail: {
          ...base,
          decision,
          decidedBy: optionalText(fields.decidedBy, 'detail.decidedBy', 256),
          rejectReason: optionalText(fields.rejectReason, 'detail.rejectReason', 256),
          setAsActive: bool(fields.setAsActive, 'detail.setAsActive'),
          landing,
        },
      };
    }
    case 'CertificateLanded':
      return {
        type,
        detail: {
          ...base,
          acceptedAt: instant(fields.acceptedAt, 'detail.acceptedAt'),
          landedAt: instant(fields.landedAt, 'detail.landedAt'),
          readyAt: optionalInstant(fields.readyAt, 'detail.readyAt'),
          landing: parseLandingPlan(fields.landing, 'detail.landing'),
        },
      };
    case 'LandingFailed':
      return {
        type,
        detail: {
          ...base,
          accepted: bool(fields.accepted, 'detail.accepted'),
          errorName: text(fields.errorName, 'detail.errorName', 256),
          errorMessage: text(fields.errorMessage, 'detail.errorMessage', 2048),
        },
      };
    default:
      throw new ValidationError('detail-type', `must be one of ${[...SOURCE_MESSAGE_TYPES, ...TARGET_MESSAGE_TYPES].join(', ')}`);
  }
}

/** The EventBridge event a receiver is invoked with (the fields it relies on). */
export interface TransferEvent {
  account: string;
  source: string;
  'detail-type': string;
  detail: unknown;
}

/** Who a receiver expects a message from, and who it is. */
export interface ExpectedSender {
  from: 'SOURCE' | 'TARGET';
  peerAccount: string;
  ownAccount: string;
}

/**
 * Checks an event a receiver got, for one family of messages (a transfer's, a migration's):
 * sent by the expected side from the configured peer account, one of `types`, with fields
 * `parse` accepts, about `what` between the peer and this account. The envelope's `account`
 * is set by EventBridge, not by the sender, so it can be trusted.
 */
export function parsePeerEvent<Message extends { detail: { sourceAwsAccount: string; targetAwsAccount: string } }>(
  event: unknown,
  expected: ExpectedSender,
  family: { what: string; types: Record<'SOURCE' | 'TARGET', readonly string[]>; parse: (type: string, detail: unknown) => Message },
): Message {
  const envelope = object(event, 'event');
  const wantedSource = expected.from === 'SOURCE' ? SOURCE_EVENT_SOURCE : TARGET_EVENT_SOURCE;
  const wantedTypes = family.types[expected.from];
  if (envelope.account !== expected.peerAccount) {
    throw new InvalidTransferMessage(
      `event.account ${String(envelope.account)} is not the configured peer account ${expected.peerAccount}`,
    );
  }
  if (envelope.source !== wantedSource) throw new InvalidTransferMessage(`event.source must be ${wantedSource}`);
  const type = envelope['detail-type'];
  if (typeof type !== 'string' || !wantedTypes.includes(type))
    throw new InvalidTransferMessage(`event.detail-type must be one of ${wantedTypes.join(', ')}`);
  let message: Message;
  try {
    message = family.parse(type, envelope.detail);
  } catch (error) {
    throw new InvalidTransferMessage(error instanceof Error ? error.message : String(error), { cause: error });
  }
  const { sourceAwsAccount, targetAwsAccount } = message.detail;
  const [sender, receiver] = expected.from === 'SOURCE' ? [sourceAwsAccount, targetAwsAccount] : [targetAwsAccount, sourceAwsAccount];
  if (sender !== expected.peerAccount || receiver !== expected.ownAccount) {
    throw new InvalidTransferMessage(
      `the message is about a ${family.what} between ${sourceAwsAccount} and ${targetAwsAccount}, not between ${expected.peerAccount} and ${expected.ownAccount}`,
    );
  }
  return message;
}

/** A transfer's message, checked as parsePeerEvent says. */
export function parseTransferEvent(event: unknown, expected: ExpectedSender): TransferMessage {
  return parsePeerEvent(event, expected, {
    what: 'transfer',
    types: { SOURCE: SOURCE_MESSAGE_TYPES, TARGET: TARGET_MESSAGE_TYPES },
    parse: parseDetail,
  });
}
