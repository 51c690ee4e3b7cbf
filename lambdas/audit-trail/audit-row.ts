import { createHash } from 'node:crypto';
import type { CertificateStatus } from '../iot-api/field-rules';

export const TRANSFER_ACTIONS = [
  'TransferCertificate',
  'AcceptCertificateTransfer',
  'RejectCertificateTransfer',
  'CancelCertificateTransfer',
] as const;
export type TransferActionName = (typeof TRANSFER_ACTIONS)[number];

/** Changes certflow makes to a certificate so AWS IoT accepts its transfer, and undoes after. */
export const PREPARATION_ACTIONS = ['UpdateCertificate', 'DetachPolicy', 'AttachPolicy'] as const;
export type PreparationActionName = (typeof PREPARATION_ACTIONS)[number];

/** Things detached before a transfer (and re-attached by a restore), created and attached where it lands. */
export const THING_ACTIONS = ['DetachThingPrincipal', 'AttachThingPrincipal', 'CreateThing'] as const;
export type ThingActionName = (typeof THING_ACTIONS)[number];

/**
 * How a human approval ended, one row per approval and ending: granted or rejected (as the
 * workflow's verify step found it in the approval record), expired, cancelled, or a
 * callback the record did not back (the workflow failed UnverifiedDecision).
 */
export const APPROVAL_DECISION_ACTIONS = [
  'ApprovalGranted',
  'ApprovalRejected',
  'ApprovalExpired',
  'ApprovalCancelled',
  'ApprovalUnverified',
] as const;
export type ApprovalDecisionActionName = (typeof APPROVAL_DECISION_ACTIONS)[number];

/**
 * An execution of a workflow people start that the start API did not start, or not with
 * that input: its first step failed it UnverifiedRequest before it changed anything.
 */
export const START_REQUEST_ACTIONS = ['RequestUnverified'] as const;
export type StartRequestActionName = (typeof START_REQUEST_ACTIONS)[number];

export type AuditedAction =
  TransferActionName | PreparationActionName | ThingActionName | ApprovalDecisionActionName | StartRequestActionName;

/**
 * The `certificateId` of a migration's approval rows: the table is keyed by certificate,
 * a migration approval covers many. No certificate id (64 hex digits) has a colon.
 */
export function migrationAuditKey(migrationId: string): string {
  return `migration:${migrationId}`;
}

export type AuditOutcome = 'SUCCEEDED' | 'FAILED';

/** One immutable row per attempt at an IoT Action certflow makes. */
export interface AuditRow {
  /** Deterministic: the same attempt scope, Action, certificate and outcome always give the same id. */
  rowId: string;
  certificateId: string;
  action: AuditedAction;
  outcome: AuditOutcome;
  sourceAwsAccount?: string;
  targetAwsAccount?: string;
  requestedBy?: string;
  approvedBy?: string;
  /** transferMessage for TransferCertificate, rejectReason for RejectCertificateTransfer and ApprovalRejected. */
  message?: string;
  setAsActive?: boolean;
  errorName?: string;
  errorMessage?: string;
  /** The request id AWS IoT returned for the call this row records. */
  awsRequestId?: string;
  /** The Step Functions execution that made the attempt. */
  executionId?: string;
  /** The Lambda invocation that made the attempt. */
  invocationId: string;
  /** True when the Action had already taken effect and this attempt only confirmed it. */
  alreadyApplied?: boolean;
  transferredCertificateArn?: string;
  certificateStatus?: CertificateStatus;
  /** UpdateCertificate: the status before the change, so that it can be restored. */
  previousStatus?: CertificateStatus;
  /** DetachPolicy / AttachPolicy: the policy. */
  policyName?: string;
  /** DetachThingPrincipal / AttachThingPrincipal / CreateThing: the thing. */
  thingName?: string;
  /** Approval rows: the migration the approval covered (certificateId is then migrationAuditKey of it). */
  migrationId?: string;
  /** Approval rows: which side's approvers were asked. */
  approvalSide?: 'SOURCE' | 'TARGET';
  /** Approval rows: the approval request (approvalRequestId of the execution and side). */
  approvalRequestId?: string;
  /** ApprovalGranted: whether the approver consented to deactivating or detaching. */
  consentToPrepare?: boolean;
  /** ApprovalCancelled: who withdrew the request. */
  cancelledBy?: string;
  recordedAt: string;
}

export interface AttemptScope {
  certificateId: string;
  action: AuditedAction;
  /** What within the certificate the Action touched, when one step does it several times (a policy name). */
  subject?: string;
  executionId?: string;
  invocationId: string;
}

/**
 * A retried invocation of the same workflow step carries the same execution id, so
 * it maps to the same row id and the conditional put turns the repeat into a no-op.
 * Outside a workflow the Lambda request id is the scope (Lambda keeps it across its
 * own retries of an asynchronous invocation).
 */
export function auditRowId(scope: AttemptScope, outcome: AuditOutcome, errorName?: string): string {
  const attempt = scope.executionId ?? `invocation:${scope.invocationId}`;
  const outcomeKey = outcome === 'SUCCEEDED' ? outcome : `${outcome}:${errorName ?? 'Unknown'}`;
  const digest = createHash('sha256')
    .update([attempt, scope.action, scope.certificateId, ...(scope.subject ? [scope.subject] : []), outcomeKey].join('\n'))
    .digest('hex');
  return `${scope.certificateId}#${scope.action}#${digest.slice(0, 32)}`;
}
