import type { AuditTrail } from '../audit-trail/audit-trail';
import { ValidationError } from '../iot-api/field-rules';
import { decisionAuditRow, type ApprovalStepScope } from './approval-decision-audit';
import { ApprovalRecordUnavailable, UnverifiedDecision } from './approval-errors';
import { approvalRequestId, type ApprovalOutcome, type ApprovalRequest, type ApprovalSide } from './approval-request';
import { ApprovalStatusConflict, type ApprovalStore } from './approval-store';
import { isListedIdentity, sameIdentity } from './approver-identity';

export interface ApprovalStepDeps {
  store: ApprovalStore;
  auditTrail: AuditTrail;
  now?: () => Date;
}

export interface VerifyDecisionInput {
  executionId: string;
  side: ApprovalSide;
  /** What the approval task's callback (SendTaskSuccess) delivered: anyone holding the token could have sent it. */
  callback: unknown;
  invocationId: string;
}

/** A decided record: every field of the decision present. */
type DecidedRecord = ApprovalRequest &
  Required<Pick<ApprovalRequest, 'decision' | 'decidedBy' | 'claimId' | 'setAsActive' | 'consentToPrepare'>>;

/**
 * Verifies the decision an approval task was completed with against the approval record,
 * and returns the record's decision: the page claims the whole decision before it tells
 * the workflow, so a callback nobody claimed (or that says something else) is refused.
 * A DECIDING claim that backs the callback is settled here, so no later claim can take it
 * over. Writes one audit row: ApprovalGranted, ApprovalRejected, or ApprovalUnverified
 * (and then throws UnverifiedDecision).
 */
export async function verifyDecision(deps: ApprovalStepDeps, input: VerifyDecisionInput): Promise<ApprovalOutcome> {
  const scope: ApprovalStepScope = {
    executionId: input.executionId,
    side: input.side,
    requestId: approvalRequestId(input.executionId, input.side),
    invocationId: input.invocationId,
  };
  const request = await reachable(() => deps.store.get(scope.requestId));
  const problem = request ? unbackedBy(request, input.callback) : 'there is no approval request for this execution and side';
  if (problem !== undefined || !request || !isDecided(request)) {
    return unverified(deps, scope, request, problem ?? 'the approval record holds no complete decision', input.callback);
  }
  let settled: ApprovalRequest = request;
  if (request.status === 'DECIDING') {
    try {
      settled = await reachable(() => deps.store.settleClaim(scope.requestId, request.claimId, request.decision));
    } catch (error) {
      if (!(error instanceof ApprovalStatusConflict)) throw error;
      // The page settled it meanwhile (fine), or the claim was taken over (not this decision).
      const current = await reachable(() => deps.store.get(scope.requestId));
      if (!current || current.claimId !== request.claimId || current.status !== request.decision) {
        return unverified(
          deps,
          scope,
          current,
          `the claim changed while it was verified (now ${current?.status ?? 'missing'})`,
          input.callback,
        );
      }
      settled = current;
    }
  }
  const outcome = outcomeOf(request);
  const now = deps.now?.() ?? new Date();
  await deps.auditTrail.record(
    outcome.decision === 'APPROVED'
      ? decisionAuditRow(
          scope,
          'ApprovalGranted',
          settled,
          {
            outcome: 'SUCCEEDED',
            approvedBy: outcome.approvedBy,
            setAsActive: outcome.setAsActive,
            consentToPrepare: outcome.consentToPrepare,
          },
          now,
        )
      : decisionAuditRow(
          scope,
          'ApprovalRejected',
          settled,
          { outcome: 'SUCCEEDED', approvedBy: outcome.approvedBy, message: outcome.rejectReason ?? undefined },
          now,
        ),
  );
  return outcome;
}

function isDecided(request: ApprovalRequest): request is DecidedRecord {
  return (
    request.decision !== undefined &&
    request.decidedBy !== undefined &&
    request.claimId !== undefined &&
    typeof request.setAsActive === 'boolean' &&
    typeof request.consentToPrepare === 'boolean'
  );
}

/** Why the record does not back the callback; undefined when it does. */
function unbackedBy(request: ApprovalRequest, callback: unknown): string | undefined {
  if (request.status !== 'DECIDING' && request.status !== 'APPROVED' && request.status !== 'REJECTED')
    return `the approval record is ${request.status}: no decision was claimed`;
  if (!isDecided(request)) return 'the approval record holds no complete decision';
  if (request.status !== 'DECIDING' && request.status !== request.decision)
    return `the approval record is ${request.status} but its decision is ${request.decision}`;
  if (sameIdentity(request.decidedBy, request.requestedBy) || !isListedIdentity(request.approvers, request.decidedBy)) {
    return 'the approver in the record may not decide this request';
  }
  if (typeof callback !== 'object' || callback === null || Array.isArray(callback)) return 'the callback is not a decision object';
  const claimed = callback as Record<string, unknown>;
  const expected = outcomeOf(request);
  const differing = (Object.keys(expected) as Array<keyof ApprovalOutcome>).filter((field) => (claimed[field] ?? null) !== expected[field]);
  return differing.length > 0 ? `the callback's ${differing.join(', ')} differ from the approval record` : undefined;
}

/** The decision as the record holds it, in the shape the workflows read. */
function outcomeOf(request: DecidedRecord): ApprovalOutcome {
  return {
    decision: request.decision,
    approvedBy: request.decidedBy,
    rejectReason: request.decision === 'REJECTED' ? (request.rejectReason ?? null) : null,
    setAsActive: request.setAsActive,
    consentToPrepare: request.consentToPrepare,
  };
}

async function unverified(
  deps: ApprovalStepDeps,
  scope: ApprovalStepScope,
  request: ApprovalRequest | undefined,
  problem: string,
  callback: unknown,
): Promise<never> {
  const claimed = typeof callback === 'object' && callback !== null ? (callback as Record<string, unknown>) : {};
  const claim = `callback claimed ${JSON.stringify(claimed.decision ?? null)} by ${JSON.stringify(claimed.approvedBy ?? null)}`.slice(
    0,
    512,
  );
  const now = deps.now?.() ?? new Date();
  await deps.auditTrail.record(
    decisionAuditRow(
      scope,
      'ApprovalUnverified',
      request,
      { outcome: 'FAILED', errorName: 'UnverifiedDecision', errorMessage: `${problem}; ${claim}` },
      now,
    ),
  );
  throw new UnverifiedDecision(scope.requestId, problem);
}

/** A read or write of the approval table; an outage becomes ApprovalRecordUnavailable, which the workflow retries. */
export async function reachable<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof ApprovalStatusConflict) throw error;
    throw new ApprovalRecordUnavailable(
      `the approval table could not be reached: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      { cause: error },
    );
  }
}

const EXECUTION_ID_MAX_LENGTH = 2048;

/** The execution and side an approval step is about, as its payload carries them. */
export function parseApprovalStepScope(event: unknown): { fields: Record<string, unknown>; executionId: string; side: ApprovalSide } {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) throw new ValidationError('event', 'must be a JSON object');
  const fields = event as Record<string, unknown>;
  const executionId = fields.executionId;
  if (typeof executionId !== 'string' || executionId.length === 0 || executionId.length > EXECUTION_ID_MAX_LENGTH) {
    throw new ValidationError('executionId', `is required: the execution ARN, at most ${EXECUTION_ID_MAX_LENGTH} characters`);
  }
  const side = fields.side;
  if (side !== 'SOURCE' && side !== 'TARGET') throw new ValidationError('side', 'must be SOURCE or TARGET');
  return { fields, executionId, side };
}

export function parseVerifyDecisionInput(event: unknown, invocationId: string): VerifyDecisionInput {
  const { fields, executionId, side } = parseApprovalStepScope(event);
  return { executionId, side, callback: fields.callback, invocationId };
}
