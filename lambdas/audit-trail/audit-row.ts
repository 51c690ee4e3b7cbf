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

export type AuditedAction = TransferActionName | PreparationActionName | ThingActionName;

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
  /** transferMessage for TransferCertificate, rejectReason for RejectCertificateTransfer. */
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
