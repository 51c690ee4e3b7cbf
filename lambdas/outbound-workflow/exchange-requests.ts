import { parseCertificateFacts } from '../cross-account/transfer-messages';
import { ValidationError, parseAwsAccountId, parseCertificateId } from '../iot-api/field-rules';
import type { OfferToTargetInput } from './offer-to-target';
import type { ProposeToTargetInput } from './propose-to-target';
import { parseOutboundTransferRequest, type OutboundPeers } from './step-requests';

type Fields = Record<string, unknown>;

export function eventFields(event: unknown): Fields {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) throw new ValidationError('event', 'must be a JSON object');
  return event as Fields;
}

export function requiredText(fields: Fields, field: string, max: number): string {
  const value = fields[field];
  if (typeof value !== 'string' || value.trim().length === 0)
    throw new ValidationError(field, 'is required and must be a non-empty string');
  if (value.length > max) throw new ValidationError(field, `must be at most ${max} characters long (got ${value.length})`);
  return value;
}

export function optionalInstant(fields: Fields, field: string): string | null {
  const value = fields[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) throw new ValidationError(field, 'must be an ISO 8601 time or null');
  return new Date(value).toISOString();
}

/** Execution ARNs are at most 2048 characters; task tokens at most 1024 (the Step Functions API). */
const EXECUTION_ID_MAX = 2048;
const TASK_TOKEN_MAX = 1024;

/** The source's steps that talk to the target, one function: which step, and its input. */
export type TargetExchangeEvent =
  | { step: 'propose'; input: ProposeToTargetInput }
  | { step: 'readDecision'; input: { executionId: string } }
  | { step: 'offer'; input: OfferToTargetInput }
  | { step: 'readLanding'; input: { executionId: string } }
  | { step: 'withdraw'; input: { executionId: string; certificateId: string; targetAwsAccount: string; reason: string } };

/** `peers`: this side's configured peer, so the proposal's request is checked as the first step checked it. */
export function parseTargetExchangeEvent(event: unknown, peers: OutboundPeers): TargetExchangeEvent {
  const fields = eventFields(event);
  const executionId = requiredText(fields, 'executionId', EXECUTION_ID_MAX);
  switch (fields.step) {
    case 'propose':
      return {
        step: 'propose',
        input: {
          taskToken: requiredText(fields, 'taskToken', TASK_TOKEN_MAX),
          executionId,
          request: parseOutboundTransferRequest(fields.request, peers),
          certificate: parseCertificateFacts(fields.certificate),
          sourceApprovedBy: requiredText(fields, 'sourceApprovedBy', 256),
        },
      };
    case 'offer':
      return {
        step: 'offer',
        input: {
          taskToken: requiredText(fields, 'taskToken', TASK_TOKEN_MAX),
          executionId,
          certificateId: parseCertificateId(fields.certificateId),
          targetAwsAccount: parseAwsAccountId(fields.targetAwsAccount, 'targetAwsAccount'),
          deactivatedAt: optionalInstant(fields, 'deactivatedAt'),
        },
      };
    case 'withdraw':
      return {
        step: 'withdraw',
        input: {
          executionId,
          certificateId: parseCertificateId(fields.certificateId),
          targetAwsAccount: parseAwsAccountId(fields.targetAwsAccount, 'targetAwsAccount'),
          reason: requiredText(fields, 'reason', 4096),
        },
      };
    case 'readDecision':
    case 'readLanding':
      return { step: fields.step, input: { executionId } };
    default:
      throw new ValidationError('step', 'must be one of propose, readDecision, offer, readLanding, withdraw');
  }
}
