import type { TransferPreparation } from '../approvals/approval-request';
import { ValidationError, parseAwsAccountId, parseCertificateId, parseOptionalBoolean, parseOptionalMessage } from '../iot-api/field-rules';
import type { AttemptContext } from '../transfer-actions/run-transfer-action';
import type { PreparationChanges, PreparationRequest } from './prepare-certificate';

type Fields = Record<string, unknown>;

function asObject(event: unknown, field = 'event'): Fields {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) throw new ValidationError(field, 'must be a JSON object');
  return event as Fields;
}

function text(fields: Fields, field: string, max: number, required: true): string;
function text(fields: Fields, field: string, max: number, required?: false): string | undefined;
function text(fields: Fields, field: string, max: number, required = false): string | undefined {
  const value = fields[field];
  if (value === undefined || value === null) {
    if (required) throw new ValidationError(field, 'is required');
    return undefined;
  }
  if (typeof value !== 'string' || value.trim().length === 0) throw new ValidationError(field, 'must be a non-empty string');
  if (value.length > max) throw new ValidationError(field, `must be at most ${max} characters long (got ${value.length})`);
  return value;
}

function names(fields: Fields, field: string): string[] {
  const value = fields[field] ?? [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string'))
    throw new ValidationError(field, 'must be a list of names');
  return value as string[];
}

function attemptContext(fields: Fields, invocationId: string): AttemptContext {
  return {
    invocationId,
    executionId: text(fields, 'executionId', 2048),
    requestedBy: text(fields, 'requestedBy', 256),
    approvedBy: text(fields, 'approvedBy', 256),
  };
}

function certificateArn(fields: Fields): string {
  const arn = text(fields, 'certificateArn', 2048, true);
  if (!/^arn:aws[a-z-]*:iot:[a-z0-9-]+:[0-9]{12}:cert\/(0x)?[a-fA-F0-9]{62,64}$/.test(arn)) {
    throw new ValidationError('certificateArn', 'must be an IoT certificate ARN (arn:aws:iot:<region>:<account>:cert/<id>)');
  }
  return arn;
}

/**
 * The outbound workflow's input, validated once at its first step and carried on with
 * every optional field present (null when not given), so later states' paths never miss.
 */
export interface OutboundTransferRequest {
  certificateId: string;
  targetAwsAccount: string;
  transferMessage: string | null;
  requestedBy: string;
  /** The start API's caller, whose identity `requestedBy` was derived from (null when the input carries none). */
  requestedByArn?: string | null;
  reason: string | null;
  /** After a reject, a cancel or a passed deadline, put back the status and policies preparation changed. */
  restoreOnFailure: boolean;
  /**
   * The target runs certflow: it reviews a proposal before anything changes, and the
   * certificate lands there. False for an account that runs no certflow: the certificate is
   * offered after the source approval and followed until the target answers.
   */
  targetRunsCertflow: boolean;
}

/** Which accounts the outbound workflow can send proposals to, from its configuration. */
export interface OutboundPeers {
  /** The account whose certflow receives this side's messages. */
  peerAccount: string;
  /** Accounts known to run no certflow. */
  unmanagedAccounts: string[];
}

export function parseOutboundTransferRequest(event: unknown, peers?: OutboundPeers): OutboundTransferRequest {
  const fields = asObject(event);
  const targetAwsAccount = parseAwsAccountId(fields.targetAwsAccount, 'targetAwsAccount');
  const asked = parseOptionalBoolean(fields.targetRunsCertflow, 'targetRunsCertflow');
  const isPeer = peers !== undefined && targetAwsAccount === peers.peerAccount && !peers.unmanagedAccounts.includes(targetAwsAccount);
  if (asked === true && !isPeer) {
    throw new ValidationError(
      'targetRunsCertflow',
      `can be true only for this deployment's certflow target account${peers ? ` (${peers.peerAccount})` : ''}: ${targetAwsAccount} gets a plain offer`,
    );
  }
  return {
    certificateId: parseCertificateId(fields.certificateId),
    targetAwsAccount,
    transferMessage: parseOptionalMessage(fields.transferMessage, 'transferMessage') ?? null,
    requestedBy: text(fields, 'requestedBy', 2048, true),
    requestedByArn: text(fields, 'requestedByArn', 2048) ?? null,
    reason: text(fields, 'reason', 256) ?? null,
    restoreOnFailure: parseOptionalBoolean(fields.restoreOnFailure, 'restoreOnFailure') ?? true,
    targetRunsCertflow: asked ?? isPeer,
  };
}

export function parsePreparationRequest(event: unknown, invocationId: string): PreparationRequest {
  const fields = asObject(event);
  const preparation = asObject(fields.preparation, 'preparation');
  const parsed: TransferPreparation = {
    deactivate: parseOptionalBoolean(preparation.deactivate, 'preparation.deactivate') ?? false,
    detachPolicies: names(preparation, 'detachPolicies'),
    attachedThings: names(preparation, 'attachedThings'),
  };
  return {
    ...attemptContext(fields, invocationId),
    certificateId: parseCertificateId(fields.certificateId),
    certificateArn: certificateArn(fields),
    preparation: parsed,
    consentToPrepare: parseOptionalBoolean(fields.consentToPrepare, 'consentToPrepare') ?? false,
    detachThings: parseOptionalBoolean(fields.detachThings, 'detachThings') ?? false,
  };
}

export function parseRestoreRequest(
  event: unknown,
  invocationId: string,
): AttemptContext & { certificateId: string; certificateArn: string; changes: PreparationChanges } {
  const fields = asObject(event);
  const changes = asObject(fields.changes, 'changes');
  return {
    ...attemptContext(fields, invocationId),
    certificateId: parseCertificateId(fields.certificateId),
    certificateArn: certificateArn(fields),
    changes: {
      deactivated: parseOptionalBoolean(changes.deactivated, 'changes.deactivated') ?? false,
      detachedPolicies: names(changes, 'detachedPolicies'),
      detachedThings: names(changes, 'detachedThings'),
    },
  };
}
