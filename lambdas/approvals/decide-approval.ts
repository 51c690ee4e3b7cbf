import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { ValidationError, parseOptionalBoolean, parseOptionalMessage } from '../iot-api/field-rules';
import type { ApprovalLinkClaims } from './approval-link-signer';
import { needsConsentToPrepare, viewOf, type ApprovalDecision, type ApprovalOutcome, type ApprovalRequest, type ApprovalRequestView } from './approval-request';
import { ApprovalStatusConflict, type ApprovalStore } from './approval-store';

export interface DecisionDeps {
  store: ApprovalStore;
  sfn: SFNClient;
  now?: () => Date;
}

export interface DecisionInput {
  /** Claims of a link whose signature and expiry were already verified. */
  link: ApprovalLinkClaims;
  decision: ApprovalDecision;
  rejectReason?: string;
  setAsActive?: boolean;
  consentToPrepare?: boolean;
}

export type RefusalReason = 'not-found' | 'not-pending' | 'expired' | 'own-request' | 'not-an-approver';

export type DecisionResult =
  | { kind: 'decided'; request: ApprovalRequestView }
  | { kind: 'refused'; reason: RefusalReason; request?: ApprovalRequestView }
  /** The workflow could not be told just now; the request is pending again and the link still works. */
  | { kind: 'try-again' };

/** Step Functions' answers for a token whose task is over: the request can no longer be decided. */
const TASK_OVER_ERRORS = ['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken'];

/**
 * Decides an approval: checks who may decide, claims the request so that only one
 * decision wins, tells the waiting workflow, then settles the request.
 */
export async function decideApproval(deps: DecisionDeps, input: DecisionInput): Promise<DecisionResult> {
  const now = deps.now?.() ?? new Date();
  const request = await deps.store.get(input.link.requestId);
  if (!request) return { kind: 'refused', reason: 'not-found' };
  if (request.status !== 'PENDING') return { kind: 'refused', reason: 'not-pending', request: viewOf(request) };
  if (now.getTime() / 1000 >= request.expiresAt) return { kind: 'refused', reason: 'expired', request: viewOf(request) };
  const approver = input.link.approver;
  if (sameIdentity(approver, request.requestedBy)) return { kind: 'refused', reason: 'own-request', request: viewOf(request) };
  if (!request.approvers.some((listed) => sameIdentity(listed, approver))) {
    return { kind: 'refused', reason: 'not-an-approver', request: viewOf(request) };
  }

  const outcome = decisionOutcome(input, approver, request);
  try {
    await deps.store.claimDecision(request.requestId, {
      decision: outcome.decision,
      decidedBy: approver,
      decidedAt: now.toISOString(),
      rejectReason: outcome.rejectReason ?? undefined,
      setAsActive: outcome.setAsActive,
    });
  } catch (error) {
    if (error instanceof ApprovalStatusConflict) return { kind: 'refused', reason: 'not-pending', request: viewOf(request) };
    throw error;
  }

  try {
    await deps.sfn.send(new SendTaskSuccessCommand({ taskToken: request.taskToken, output: JSON.stringify(outcome) }));
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (TASK_OVER_ERRORS.includes(name)) {
      const expired = await deps.store.settle(request.requestId, 'EXPIRED', ['DECIDING']);
      return { kind: 'refused', reason: 'expired', request: viewOf(expired) };
    }
    await deps.store.releaseClaim(request.requestId);
    return { kind: 'try-again' };
  }
  const settled = await deps.store.settle(request.requestId, outcome.decision, ['DECIDING']);
  return { kind: 'decided', request: viewOf(settled) };
}

export type CancelResult = { kind: 'cancelled'; request: ApprovalRequestView } | { kind: 'refused'; reason: 'not-found' | 'not-pending' | 'not-allowed' };

/** The requester (or an approver) withdraws a request still waiting for its decision. */
export async function cancelApprovalRequest(deps: DecisionDeps, requestId: string, cancelledBy: string): Promise<CancelResult> {
  const request = await deps.store.get(requestId);
  if (!request) return { kind: 'refused', reason: 'not-found' };
  const allowed = sameIdentity(cancelledBy, request.requestedBy) || request.approvers.some((listed) => sameIdentity(listed, cancelledBy));
  if (!allowed) return { kind: 'refused', reason: 'not-allowed' };
  let cancelled;
  try {
    cancelled = await deps.store.settle(requestId, 'CANCELLED', ['PENDING']);
  } catch (error) {
    if (error instanceof ApprovalStatusConflict) return { kind: 'refused', reason: 'not-pending' };
    throw error;
  }
  try {
    await deps.sfn.send(
      new SendTaskFailureCommand({ taskToken: request.taskToken, error: 'RequestCancelled', cause: `cancelled by ${cancelledBy}` }),
    );
  } catch (error) {
    if (!(error instanceof Error && TASK_OVER_ERRORS.includes(error.name))) throw error;
  }
  return { kind: 'cancelled', request: viewOf(cancelled) };
}

function decisionOutcome(input: DecisionInput, approver: string, request: ApprovalRequest): ApprovalOutcome {
  if (input.decision === 'REJECTED') {
    const rejectReason = parseOptionalMessage(input.rejectReason, 'rejectReason');
    if (!rejectReason || rejectReason.trim().length === 0) {
      throw new ValidationError('rejectReason', 'is required to reject, at most 128 characters');
    }
    return { decision: 'REJECTED', approvedBy: approver, rejectReason, setAsActive: false, consentToPrepare: false };
  }
  const consentToPrepare = parseOptionalBoolean(input.consentToPrepare, 'consentToPrepare') ?? false;
  // A migration may be approved without consent: its certificates that need preparing
  // then fail one by one (ConsentRequired) and the rest are transferred.
  if (!request.migration && needsConsentToPrepare(request) && !consentToPrepare) {
    throw new ValidationError(
      'consentToPrepare',
      'must be true to approve: the certificate must be deactivated and its policies detached before the transfer',
    );
  }
  const setAsActive = request.side === 'TARGET' ? (parseOptionalBoolean(input.setAsActive, 'setAsActive') ?? false) : false;
  return { decision: 'APPROVED', approvedBy: approver, rejectReason: null, setAsActive, consentToPrepare };
}

function sameIdentity(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}
