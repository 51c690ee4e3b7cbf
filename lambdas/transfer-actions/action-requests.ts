import {
  ValidationError,
  parseAwsAccountId,
  parseCertificateId,
  parseOptionalAwsAccountId,
  parseOptionalBoolean,
  parseOptionalMessage,
} from '../iot-api/field-rules';
import type { AttemptContext } from './run-transfer-action';

export interface TransferCertificateRequest extends AttemptContext {
  certificateId: string;
  targetAwsAccount: string;
  transferMessage?: string;
}

export interface AcceptCertificateTransferRequest extends AttemptContext {
  certificateId: string;
  setAsActive?: boolean;
  sourceAwsAccount?: string;
}

export interface RejectCertificateTransferRequest extends AttemptContext {
  certificateId: string;
  rejectReason?: string;
  sourceAwsAccount?: string;
}

export interface CancelCertificateTransferRequest extends AttemptContext {
  certificateId: string;
  targetAwsAccount?: string;
}

const ACTOR_MAX_LENGTH = 256;
const EXECUTION_ID_MAX_LENGTH = 2048;

export function parseTransferCertificateRequest(event: unknown, invocationId: string): TransferCertificateRequest {
  const fields = asObject(event);
  return {
    ...parseAttemptContext(fields, invocationId),
    certificateId: parseCertificateId(fields.certificateId),
    targetAwsAccount: parseAwsAccountId(fields.targetAwsAccount, 'targetAwsAccount'),
    transferMessage: parseOptionalMessage(fields.transferMessage, 'transferMessage'),
  };
}

export function parseAcceptCertificateTransferRequest(event: unknown, invocationId: string): AcceptCertificateTransferRequest {
  const fields = asObject(event);
  return {
    ...parseAttemptContext(fields, invocationId),
    certificateId: parseCertificateId(fields.certificateId),
    setAsActive: parseOptionalBoolean(fields.setAsActive, 'setAsActive'),
    sourceAwsAccount: parseOptionalAwsAccountId(fields.sourceAwsAccount, 'sourceAwsAccount'),
  };
}

export function parseRejectCertificateTransferRequest(event: unknown, invocationId: string): RejectCertificateTransferRequest {
  const fields = asObject(event);
  return {
    ...parseAttemptContext(fields, invocationId),
    certificateId: parseCertificateId(fields.certificateId),
    rejectReason: parseOptionalMessage(fields.rejectReason, 'rejectReason'),
    sourceAwsAccount: parseOptionalAwsAccountId(fields.sourceAwsAccount, 'sourceAwsAccount'),
  };
}

export function parseCancelCertificateTransferRequest(event: unknown, invocationId: string): CancelCertificateTransferRequest {
  const fields = asObject(event);
  return {
    ...parseAttemptContext(fields, invocationId),
    certificateId: parseCertificateId(fields.certificateId),
    targetAwsAccount: parseOptionalAwsAccountId(fields.targetAwsAccount, 'targetAwsAccount'),
  };
}

function asObject(event: unknown): Record<string, unknown> {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new ValidationError('event', 'must be a JSON object');
  }
  return event as Record<string, unknown>;
}

function parseAttemptContext(fields: Record<string, unknown>, invocationId: string): AttemptContext {
  return {
    invocationId,
    executionId: parseOptionalText(fields.executionId, 'executionId', EXECUTION_ID_MAX_LENGTH),
    requestedBy: parseOptionalText(fields.requestedBy, 'requestedBy', ACTOR_MAX_LENGTH),
    approvedBy: parseOptionalText(fields.approvedBy, 'approvedBy', ACTOR_MAX_LENGTH),
  };
}

function parseOptionalText(value: unknown, field: string, maxLength: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw new ValidationError(field, 'must be a non-empty string');
  }
  if (value.length > maxLength) {
    throw new ValidationError(field, `must be at most ${maxLength} characters long (got ${value.length})`);
  }
  return value;
}
