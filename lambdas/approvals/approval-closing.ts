import { ValidationError } from '../iot-api/field-rules';
import { decisionAuditRow, type ApprovalStepScope } from './approval-decision-audit';
import { approvalRequestId, type ApprovalClosing, type ApprovalRequest, type ApprovalSide, type ApprovalStatus } from './approval-request';
import { ApprovalStatusConflict } from './approval-store';
import { parseApprovalStepScope, reachable, type ApprovalStepDeps } from './decision-verification';

export interface CloseApprovalInput {
  executionId: string;
  side: ApprovalSide;
  /** How the workflow saw the approval task end: States.Timeout (EXPIRED) or RequestCancelled (CANCELLED). */
  status: ApprovalClosing;
  invocationId: string;
}

export interface CloseApprovalResult {
  requestId: string;
  /** The record's status once closed; another status when it had already ended otherwise. */
  status: ApprovalStatus | 'MISSING';
}

/**
 * Once the approval task is over (caught States.Timeout or RequestCancelled), no claim
 * can reach the workflow any more: a PENDING request or one left DECIDING, of any age, is
 * settled EXPIRED or CANCELLED. Writes one audit row, ApprovalExpired or ApprovalCancelled.
 */
export async function closeApprovalRequest(deps: ApprovalStepDeps, input: CloseApprovalInput): Promise<CloseApprovalResult> {
  const scope: ApprovalStepScope = {
    executionId: input.executionId,
    side: input.side,
    requestId: approvalRequestId(input.executionId, input.side),
    invocationId: input.invocationId,
  };
  const now = deps.now?.() ?? new Date();
  let request = await reachable(() => deps.store.get(scope.requestId));
  if (request && (request.status === 'PENDING' || request.status === 'DECIDING')) {
    try {
      request = await reachable(() =>
        deps.store.settle(scope.requestId, input.status, ['PENDING', 'DECIDING'], { closedAt: now.toISOString() }),
      );
    } catch (error) {
      if (!(error instanceof ApprovalStatusConflict)) throw error;
      request = await reachable(() => deps.store.get(scope.requestId));
    }
  }
  await deps.auditTrail.record(
    decisionAuditRow(
      scope,
      input.status === 'EXPIRED' ? 'ApprovalExpired' : 'ApprovalCancelled',
      request,
      {
        outcome: 'SUCCEEDED',
        cancelledBy: input.status === 'CANCELLED' ? request?.cancelledBy : undefined,
        message: discrepancy(request, input.status),
      },
      now,
    ),
  );
  return { requestId: scope.requestId, status: request?.status ?? 'MISSING' };
}

/** Said in the row when the record ended otherwise than the workflow saw it (e.g. cancelled from outside certflow). */
function discrepancy(request: ApprovalRequest | undefined, status: ApprovalClosing): string | undefined {
  if (!request) return 'no approval request was recorded for this execution and side';
  if (request.status !== status) return `the approval record is ${request.status}`;
  if (status === 'CANCELLED' && request.cancelledBy === undefined)
    return 'cancelled without a recorded cancel: the task was failed from outside certflow';
  return undefined;
}

export function parseCloseApprovalInput(event: unknown, invocationId: string): CloseApprovalInput {
  const { fields, executionId, side } = parseApprovalStepScope(event);
  const status = fields.status;
  if (status !== 'EXPIRED' && status !== 'CANCELLED') throw new ValidationError('status', 'must be EXPIRED or CANCELLED');
  return { executionId, side, status, invocationId };
}
