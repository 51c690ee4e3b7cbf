import type { IoTClient } from '@aws-sdk/client-iot';
import { auditRowId, type AuditRow, type AttemptScope, type AuditedAction } from '../audit-trail/audit-row';
import type { AuditTrail } from '../audit-trail/audit-trail';
import type { CertificateStatus } from '../iot-api/field-rules';
import { toIotActionError, type IotActionError } from '../iot-api/iot-errors';

export interface TransferActionDeps {
  iot: IoTClient;
  auditTrail: AuditTrail;
  /** The AWS account the function runs in: the source for Transfer/Cancel, the target for Accept/Reject. */
  accountId: string;
  now?: () => Date;
}

/** Who and what caused this attempt; carried into its audit row. */
export interface AttemptContext {
  invocationId: string;
  executionId?: string;
  requestedBy?: string;
  approvedBy?: string;
}

export interface TransferActionResult {
  action: AuditedAction;
  certificateId: string;
  /** True when the Action had already taken effect before this attempt (a retried step). */
  alreadyApplied: boolean;
  transferredCertificateArn?: string;
  certificateStatus?: CertificateStatus;
  auditRowId: string;
  /** When the success was recorded: right after AWS IoT answered (or the earlier run's row). */
  recordedAt?: string;
}

/** What an Action call (or a confirmation that it already took effect) yields. */
export interface ActionEffect {
  awsRequestId?: string;
  /** When AWS IoT says the Action took effect (a confirmation's transfer or accept date). */
  appliedAt?: Date;
  transferredCertificateArn?: string;
  certificateStatus?: CertificateStatus;
}

export interface ActionAttempt {
  action: AuditedAction;
  certificateId: string;
  /** What within the certificate the Action touches, when one step does it several times (a policy name). */
  subject?: string;
  context: AttemptContext;
  auditFields: Pick<
    AuditRow,
    'sourceAwsAccount' | 'targetAwsAccount' | 'message' | 'setAsActive' | 'previousStatus' | 'policyName' | 'thingName'
  >;
  call(): Promise<ActionEffect>;
  /**
   * Asked after a terminal IoT error: resolves to the effect when the Action had in
   * fact already taken effect (this is a re-run), or to undefined when the error stands.
   */
  confirmAlreadyApplied?(error: IotActionError): Promise<ActionEffect | undefined>;
}

/**
 * Runs one attempt at an IoT transfer Action and writes exactly one audit row for
 * its outcome. A re-run of a step whose Action already succeeded reports the same
 * success and leaves the audit trail as it was.
 */
export async function runTransferAction(deps: TransferActionDeps, attempt: ActionAttempt): Promise<TransferActionResult> {
  const scope: AttemptScope = {
    certificateId: attempt.certificateId,
    action: attempt.action,
    subject: attempt.subject,
    executionId: attempt.context.executionId,
    invocationId: attempt.context.invocationId,
  };
  const successRowId = auditRowId(scope, 'SUCCEEDED');
  const recorded = await deps.auditTrail.find(successRowId);
  if (recorded) {
    return {
      action: attempt.action,
      certificateId: attempt.certificateId,
      alreadyApplied: true,
      transferredCertificateArn: recorded.transferredCertificateArn,
      certificateStatus: recorded.certificateStatus,
      auditRowId: successRowId,
      recordedAt: recorded.recordedAt,
    };
  }

  let effect: ActionEffect;
  let alreadyApplied = false;
  try {
    effect = await attempt.call();
  } catch (thrown) {
    const error = toIotActionError(thrown);
    const confirmed = await confirmOrRecordFailure(deps, attempt, scope, error);
    effect = confirmed;
    alreadyApplied = true;
    const earlier = await earlierRecordOf(deps, attempt, effect);
    if (earlier) {
      return {
        action: attempt.action,
        certificateId: attempt.certificateId,
        alreadyApplied,
        transferredCertificateArn: effect.transferredCertificateArn,
        certificateStatus: effect.certificateStatus,
        auditRowId: earlier.rowId,
        recordedAt: earlier.recordedAt,
      };
    }
  }

  const row = baseRow(deps, attempt, successRowId);
  await deps.auditTrail.record({
    ...row,
    outcome: 'SUCCEEDED',
    awsRequestId: effect.awsRequestId,
    alreadyApplied: alreadyApplied || undefined,
    transferredCertificateArn: effect.transferredCertificateArn,
    certificateStatus: effect.certificateStatus,
  });
  return {
    action: attempt.action,
    certificateId: attempt.certificateId,
    alreadyApplied,
    transferredCertificateArn: effect.transferredCertificateArn,
    certificateStatus: effect.certificateStatus,
    auditRowId: successRowId,
    recordedAt: row.recordedAt,
  };
}

/** How far apart AWS's clock and the audit row's may be. */
const CLOCK_SKEW_MS = 5_000;

/**
 * The success row an earlier attempt (another execution, e.g. a run stopped while its
 * batch went on) wrote for the very change this attempt confirmed: recorded after AWS
 * applied it. Its Action has one outcome, so it keeps its one row.
 */
async function earlierRecordOf(deps: TransferActionDeps, attempt: ActionAttempt, effect: ActionEffect): Promise<AuditRow | undefined> {
  if (!effect.appliedAt || attempt.subject !== undefined) return undefined;
  const earlier = await deps.auditTrail.latestSuccess(attempt.certificateId, attempt.action);
  return earlier && Date.parse(earlier.recordedAt) >= effect.appliedAt.getTime() - CLOCK_SKEW_MS ? earlier : undefined;
}

async function confirmOrRecordFailure(
  deps: TransferActionDeps,
  attempt: ActionAttempt,
  scope: AttemptScope,
  error: IotActionError,
): Promise<ActionEffect> {
  let toThrow: IotActionError = error;
  let errorMessage = error.message;
  if (!error.retryable && attempt.confirmAlreadyApplied) {
    try {
      const confirmed = await attempt.confirmAlreadyApplied(error);
      if (confirmed) return confirmed;
    } catch (thrown) {
      const confirmationError = toIotActionError(thrown);
      errorMessage = `${error.message} (confirming whether the Action had already taken effect failed: ${confirmationError.name}: ${confirmationError.message})`;
      if (confirmationError.retryable) toThrow = confirmationError;
    }
  }
  await deps.auditTrail.record({
    ...baseRow(deps, attempt, auditRowId(scope, 'FAILED', error.name)),
    outcome: 'FAILED',
    errorName: error.name,
    errorMessage,
    awsRequestId: error.requestId,
  });
  throw toThrow;
}

function baseRow(deps: TransferActionDeps, attempt: ActionAttempt, rowId: string): Omit<AuditRow, 'outcome'> {
  return {
    rowId,
    certificateId: attempt.certificateId,
    action: attempt.action,
    ...attempt.auditFields,
    requestedBy: attempt.context.requestedBy,
    approvedBy: attempt.context.approvedBy,
    executionId: attempt.context.executionId,
    invocationId: attempt.context.invocationId,
    recordedAt: (deps.now?.() ?? new Date()).toISOString(),
  };
}
