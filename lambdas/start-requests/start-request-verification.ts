import { auditRowId, migrationAuditKey, type AuditRow } from '../audit-trail/audit-row';
import type { AuditTrail } from '../audit-trail/audit-trail';
import { ValidationError } from '../iot-api/field-rules';
import { UnverifiedRequest } from './start-request-errors';
import { canonicalJson, sha256Hex } from './start-request-rules';
import { startRequestId, type StartRequestStore } from './start-request-store';

export interface VerifyStartRequestDeps {
  store: StartRequestStore;
  auditTrail: AuditTrail;
  now?: () => Date;
}

/** What the verify step gets from the context object: which execution, and its input as Step Functions holds it. */
export interface VerifyStartRequestInput {
  /** `$$.Execution.Id` */
  executionId: string;
  /** `$$.Execution.Name` */
  executionName: string;
  /** `$$.StateMachine.Id` */
  stateMachineArn: string;
  /** `$$.Execution.Input` */
  input: unknown;
  invocationId: string;
}

export interface VerifiedRequester {
  requestedBy: string;
  requestedByArn: string;
}

function field(input: unknown, name: string): unknown {
  return typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>)[name] : undefined;
}

/** The audit key of an unverified start: the certificate or migration it names, if it looks like one; else the execution. */
function auditKeyOf(input: VerifyStartRequestInput): string {
  const certificateId = field(input.input, 'certificateId');
  if (typeof certificateId === 'string' && /^[a-fA-F0-9]{64}$/.test(certificateId)) return certificateId;
  const migrationId = field(input.input, 'migrationId');
  if (typeof migrationId === 'string' && /^[A-Za-z0-9_.-]{1,128}$/.test(migrationId)) return migrationAuditKey(migrationId);
  return `execution:${input.executionName}`;
}

/**
 * The first step of a workflow people start: its execution must have been started through
 * the start API with exactly this input. Reads the start request of the state machine and
 * execution name, compares the hash of the input and its requester fields; otherwise writes
 * one RequestUnverified row and fails with UnverifiedRequest, before anything is changed.
 */
export async function verifyStartRequest(deps: VerifyStartRequestDeps, input: VerifyStartRequestInput): Promise<VerifiedRequester> {
  const record = await deps.store.find(startRequestId(input.stateMachineArn, input.executionName));
  const requestedBy = field(input.input, 'requestedBy');
  const requestedByArn = field(input.input, 'requestedByArn');
  let problem: string | undefined;
  if (!record) problem = 'no start request is on record for it: it was not started through the start API';
  else if (sha256Hex(canonicalJson(input.input)) !== record.inputSha256) problem = 'its input is not the one the start API recorded';
  else if (requestedBy !== record.requestedBy || requestedByArn !== record.callerArn) {
    problem = 'its requester is not the caller the start API recorded';
  }
  if (record && problem === undefined) return { requestedBy: record.requestedBy, requestedByArn: record.callerArn };

  const certificateId = auditKeyOf(input);
  const error = new UnverifiedRequest(input.executionName, problem ?? 'unknown');
  const row: AuditRow = {
    rowId: auditRowId(
      { certificateId, action: 'RequestUnverified', executionId: input.executionId, invocationId: input.invocationId },
      'FAILED',
      error.name,
    ),
    certificateId,
    action: 'RequestUnverified',
    outcome: 'FAILED',
    errorName: error.name,
    // The claimed requester is not indexed as one (byRequester): it is what could not be verified.
    errorMessage: `${error.message}${typeof requestedBy === 'string' ? ` (the input claims requestedBy ${JSON.stringify(requestedBy.slice(0, 256))})` : ''}`,
    executionId: input.executionId,
    invocationId: input.invocationId,
    recordedAt: (deps.now?.() ?? new Date()).toISOString(),
  };
  await deps.auditTrail.record(row);
  throw error;
}

export function parseVerifyStartRequestInput(event: unknown, invocationId: string): VerifyStartRequestInput {
  const fields = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
  const text = (name: string): string => {
    const value = fields[name];
    if (typeof value !== 'string' || value.length === 0 || value.length > 2048) {
      throw new ValidationError(name, 'is required: a string of at most 2048 characters');
    }
    return value;
  };
  return {
    executionId: text('executionId'),
    executionName: text('executionName'),
    stateMachineArn: text('stateMachineArn'),
    input: fields.input,
    invocationId,
  };
}
