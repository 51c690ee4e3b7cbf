import { createHash } from 'node:crypto';
import type { CertificateFacts, LandingPlan } from '../cutover/certificate-facts';

/** The one value of the reminder index's partition key. */
export const REMINDER_DUE = 'DUE';
export const REMINDER_INDEX = 'remindersDue';

export type ApprovalSide = 'SOURCE' | 'TARGET';
export type ApprovalStatus = 'PENDING' | 'DECIDING' | 'APPROVED' | 'REJECTED' | 'EXPIRED' | 'CANCELLED';
export type ApprovalDecision = 'APPROVED' | 'REJECTED';
/** How a request ends without a decision: the deadline passed, or it was withdrawn. */
export type ApprovalClosing = 'EXPIRED' | 'CANCELLED';

/**
 * How long a DECIDING claim holds the request. The page's function times out after 15
 * seconds, so a claim older than this was left by a function that died between claiming
 * and telling the workflow: another decision may claim the request again.
 */
export const DECISION_CLAIM_LEASE_SECONDS = 120;

/** What must change on the certificate before AWS IoT accepts the transfer. */
export interface TransferPreparation {
  /** The certificate is ACTIVE and must be set INACTIVE: its devices disconnect. */
  deactivate: boolean;
  /** Policies attached to the certificate, which must be detached. */
  detachPolicies: string[];
  /** Things the certificate is attached to (shown; the transfer does not require detaching them). */
  attachedThings: string[];
}

/** At most this many example certificate ids travel with a migration's approval. */
export const MIGRATION_SAMPLE_MAX = 20;

/** What an approver of a whole migration sees instead of one certificate. */
export interface MigrationSummary {
  /** 1-64 characters of [A-Za-z0-9_-]. */
  migrationId: string;
  /** Certificates the approval covers. */
  certificateCount: number;
  /** Certificates by IoT certificate status, e.g. {"ACTIVE": 3, "INACTIVE": 120}. */
  statusCounts: Record<string, number>;
  /** Certificates with IoT policies attached, which must be detached first. */
  withPolicies: number;
  /** Certificates attached to things; null when the plan did not count them (a migration finds them per certificate during its cutover). */
  withThings: number | null;
  /** ACTIVE certificates that must be set INACTIVE: their devices disconnect. */
  toDeactivate: number;
  /** Skipped: already offered, transferred or accepted by an earlier run. */
  alreadyDone: number;
  /** Will fail: missing, pending transfer to another account, ... */
  notTransferable: number;
  /** At most MIGRATION_SAMPLE_MAX ids, shown as examples. */
  sampleCertificateIds: string[];
  /**
   * The S3 key, under `migrations/<migrationId>/` of the side's migration bucket, of the JSON
   * list of every certificate the approval covers; the page offers it as CSV.
   */
  certificateListKey?: string;
}

/**
 * One human approval a workflow waits for: of one certificate (`certificateId`) or of a
 * whole migration (`migration`, without a certificate id). The task token never leaves the server side.
 */
export interface ApprovalRequest {
  requestId: string;
  side: ApprovalSide;
  executionId: string;
  taskToken: string;
  certificateId?: string;
  migration?: MigrationSummary;
  /** What approvers see of the certificate of a single transfer (subject, validity, policies, things). */
  certificate?: CertificateFacts;
  /** Target side: how the certificate will land in this account once accepted. */
  landing?: LandingPlan;
  sourceAwsAccount: string;
  targetAwsAccount: string;
  transferMessage?: string;
  /**
   * The requester's e-mail address (the four-eyes rule compares it with the approvers'), or
   * on the source side the caller's ARN when it names no e-mail address.
   */
  requestedBy: string;
  /** Source side: the requester's AWS identity (the start API's caller), which `requestedBy` was derived from. */
  requestedByArn?: string;
  reason?: string;
  preparation: TransferPreparation;
  approvers: string[];
  status: ApprovalStatus;
  createdAt: string;
  /** Epoch seconds: the approval deadline. */
  expiresAt: number;
  /** ISO time a reminder is due; set while one is owed, so the sparse reminder index holds only those. */
  remindAt?: string;
  /** Partition key of the sparse reminder index: present only while a reminder is owed. */
  reminderDue?: typeof REMINDER_DUE;
  /** When every approver had been notified; a retried step then notifies no one. */
  notifiedAt?: string;
  /** Approvers notified so far (a string set), so that a step retried after a partial failure notifies only the rest. */
  notifiedApprovers?: Iterable<string>;
  decision?: ApprovalDecision;
  decidedBy?: string;
  decidedAt?: string;
  rejectReason?: string;
  setAsActive?: boolean;
  /** Part of the claimed decision, so the workflow's verify step can check the callback against all of it. */
  consentToPrepare?: boolean;
  /** Which claim holds (or settled) the request: a random id, so a claim taken over after its lease cannot be settled by its first holder. */
  claimId?: string;
  /** ISO time of the claim; a DECIDING claim older than DECISION_CLAIM_LEASE_SECONDS may be claimed again. */
  claimedAt?: string;
  /** Who withdrew the request (CANCELLED). */
  cancelledBy?: string;
  /** ISO time the request was settled EXPIRED or CANCELLED. */
  closedAt?: string;
}

/**
 * The output a decided approval task sends back to its workflow. Every field is always
 * present (null or false when it does not apply) so the workflow's paths never miss.
 */
export interface ApprovalOutcome {
  decision: ApprovalDecision;
  /** The approver who decided, approving or rejecting. */
  approvedBy: string;
  rejectReason: string | null;
  setAsActive: boolean;
  consentToPrepare: boolean;
}

/** A request's id follows from the execution and the side, so a retried step finds the same request. */
export function approvalRequestId(executionId: string, side: ApprovalSide): string {
  return createHash('sha256').update(`${side}\n${executionId}`).digest('base64url').slice(0, 32);
}

export function needsPreparation(preparation: TransferPreparation): boolean {
  return preparation.deactivate || preparation.detachPolicies.length > 0;
}

/** Whether approving must consent to certificates being deactivated or their policies detached: source side only. */
export function needsConsentToPrepare(request: Pick<ApprovalRequest, 'side' | 'preparation' | 'migration'>): boolean {
  if (request.side !== 'SOURCE') return false;
  return request.migration
    ? request.migration.toDeactivate > 0 || request.migration.withPolicies > 0
    : needsPreparation(request.preparation);
}

/** The request as an approver may see it: everything but the task token. */
export type ApprovalRequestView = Omit<ApprovalRequest, 'taskToken'>;

export function viewOf(request: ApprovalRequest): ApprovalRequestView {
  const { taskToken, ...view } = request;
  return view;
}
