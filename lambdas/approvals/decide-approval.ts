import { randomUUID } from 'node:crypto';
import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { ValidationError, parseOptionalBoolean, parseOptionalMessage } from '../iot-api/field-rules';
import type { ApprovalLinkClaims } from './approval-link-signer';
import { isListedIdentity, parseEmailAddress, sameIdentity } from './approver-identity';
import {
  DECISION_CLAIM_LEASE_SECONDS,
  needsConsentToPrepare,
  viewOf,
  type ApprovalDecision,
  type ApprovalOutcome,
  type ApprovalRequest,
  type ApprovalRequestView,
} from './approval-request';
import { ApprovalStatusConflict, type ApprovalStore, type DecisionClaim } from './approval-store';

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
 * Decides an approval: checks who may decide, claims the request with the whole decision
 * (so that only one decision wins, and the workflow's verify step can check the callback
 * against the record even before it is settled), tells the waiting workflow, then settles
 * the request. A claim whose holder died is taken over once its lease has run out.
 */
export async function decideApproval(deps: DecisionDeps, input: DecisionInput): Promise<DecisionResult> {
  const now = deps.now?.() ?? new Date();
  const staleBefore = new Date(now.getTime() - DECISION_CLAIM_LEASE_SECONDS * 1000).toISOString();
  const request = await deps.store.get(input.link.requestId);
  if (!request) return { kind: 'refused', reason: 'not-found' };
  // An expired request says so (410), not "already decided" (409): nobody decided it.
  if (request.status === 'EXPIRED') return { kind: 'refused', reason: 'expired', request: viewOf(request) };
  if (!isClaimable(request, staleBefore)) return { kind: 'refused', reason: 'not-pending', request: viewOf(request) };
  if (now.getTime() / 1000 >= request.expiresAt) return { kind: 'refused', reason: 'expired', request: viewOf(request) };
  const approver = input.link.approver;
  if (sameIdentity(approver, request.requestedBy)) return { kind: 'refused', reason: 'own-request', request: viewOf(request) };
  if (!isListedIdentity(request.approvers, approver)) return { kind: 'refused', reason: 'not-an-approver', request: viewOf(request) };

  const outcome = decisionOutcome(input, approver, request);
  const claim: DecisionClaim = {
    decision: outcome.decision,
    decidedBy: approver,
    decidedAt: now.toISOString(),
    rejectReason: outcome.rejectReason ?? undefined,
    setAsActive: outcome.setAsActive,
    consentToPrepare: outcome.consentToPrepare,
    claimId: randomUUID(),
    claimedAt: now.toISOString(),
  };
  try {
    await deps.store.claimDecision(request.requestId, claim, staleBefore);
  } catch (error) {
    if (error instanceof ApprovalStatusConflict) return { kind: 'refused', reason: 'not-pending', request: viewOf(request) };
    throw error;
  }

  try {
    await deps.sfn.send(new SendTaskSuccessCommand({ taskToken: request.taskToken, output: JSON.stringify(outcome) }));
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (!TASK_OVER_ERRORS.includes(name)) {
      await deps.store.releaseClaim(request.requestId, claim.claimId);
      return { kind: 'try-again' };
    }
    // The task is over: its deadline passed (the workflow's close step may have settled the request already).
    const settled = await settleOwnClaim(deps, request.requestId, claim.claimId, 'EXPIRED');
    return { kind: 'refused', reason: settled.status === 'EXPIRED' ? 'expired' : 'not-pending', request: viewOf(settled) };
  }
  const settled = await settleOwnClaim(deps, request.requestId, claim.claimId, outcome.decision);
  // The workflow's verify step may have settled the claim first; a claim taken over since is not this decision.
  if (settled.claimId !== claim.claimId) return { kind: 'refused', reason: 'not-pending', request: viewOf(settled) };
  return { kind: 'decided', request: viewOf(settled) };
}

/** Settles this claim; when it no longer holds the request (settled by the workflow, or closed), the request as it is now. */
async function settleOwnClaim(
  deps: DecisionDeps,
  requestId: string,
  claimId: string,
  to: ApprovalRequest['status'],
): Promise<ApprovalRequest> {
  try {
    return await deps.store.settleClaim(requestId, claimId, to);
  } catch (error) {
    if (!(error instanceof ApprovalStatusConflict)) throw error;
    const current = await deps.store.get(requestId);
    if (!current) throw error;
    return current;
  }
}

/** PENDING, or DECIDING under a claim whose lease has run out (or that was made before claims had a time). */
export function isClaimable(request: Pick<ApprovalRequest, 'status' | 'claimedAt'>, staleBefore: string): boolean {
  if (request.status === 'PENDING') return true;
  return request.status === 'DECIDING' && (request.claimedAt === undefined || request.claimedAt <= staleBefore);
}

export type CancelResult =
  { kind: 'cancelled'; request: ApprovalRequestView } | { kind: 'refused'; reason: 'not-found' | 'not-pending' | 'not-allowed' };

/** The requester (or an approver) withdraws a request still waiting for its decision. */
export async function cancelApprovalRequest(deps: DecisionDeps, requestId: string, cancelledBy: string): Promise<CancelResult> {
  const request = await deps.store.get(requestId);
  if (!request) return { kind: 'refused', reason: 'not-found' };
  const allowed =
    isStrictAddress(cancelledBy) && (sameIdentity(cancelledBy, request.requestedBy) || isListedIdentity(request.approvers, cancelledBy));
  if (!allowed) return { kind: 'refused', reason: 'not-allowed' };
  const now = deps.now?.() ?? new Date();
  let cancelled;
  try {
    cancelled = await deps.store.settle(requestId, 'CANCELLED', ['PENDING'], { cancelledBy, closedAt: now.toISOString() });
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

function isStrictAddress(value: string): boolean {
  try {
    parseEmailAddress(value, 'cancelledBy');
    return true;
  } catch (error) {
    if (error instanceof ValidationError) return false;
    throw error;
  }
}
