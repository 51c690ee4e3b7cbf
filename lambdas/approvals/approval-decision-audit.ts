import { auditRowId, migrationAuditKey, type ApprovalDecisionActionName, type AuditOutcome, type AuditRow } from '../audit-trail/audit-row';
import type { ApprovalRequest, ApprovalSide } from './approval-request';

/** Where an approval step runs: the execution and side whose approval it is, and the Lambda invocation. */
export interface ApprovalStepScope {
  executionId: string;
  side: ApprovalSide;
  requestId: string;
  invocationId: string;
}

export interface DecisionRowFields {
  outcome: AuditOutcome;
  errorName?: string;
  errorMessage?: string;
  approvedBy?: string;
  message?: string;
  setAsActive?: boolean;
  consentToPrepare?: boolean;
  cancelledBy?: string;
}

/**
 * The row key of an approval: its certificate, or for a migration `migration:<id>`; for
 * a request that was never recorded only its id is known (`approval:<request id>`).
 */
export function approvalAuditKey(
  request: Pick<ApprovalRequest, 'certificateId' | 'migration' | 'requestId'> | undefined,
  requestId: string,
): string {
  if (request?.certificateId) return request.certificateId;
  if (request?.migration) return migrationAuditKey(request.migration.migrationId);
  return `approval:${requestId}`;
}

/**
 * One approval ending's row. Its id depends only on the execution, side, ending and
 * outcome, so a retried step writes it once (the audit trail's put is conditional).
 */
export function decisionAuditRow(
  scope: ApprovalStepScope,
  action: ApprovalDecisionActionName,
  request: ApprovalRequest | undefined,
  fields: DecisionRowFields,
  recordedAt: Date,
): AuditRow {
  const certificateId = approvalAuditKey(request, scope.requestId);
  const rowId = auditRowId(
    { certificateId, action, subject: scope.side, executionId: scope.executionId, invocationId: scope.invocationId },
    fields.outcome,
    fields.errorName,
  );
  const row: AuditRow = {
    rowId,
    certificateId,
    action,
    ...fields,
    migrationId: request?.migration?.migrationId,
    approvalSide: scope.side,
    approvalRequestId: scope.requestId,
    sourceAwsAccount: request?.sourceAwsAccount,
    targetAwsAccount: request?.targetAwsAccount,
    requestedBy: request?.requestedBy,
    executionId: scope.executionId,
    invocationId: scope.invocationId,
    recordedAt: recordedAt.toISOString(),
  };
  // Fields that do not apply are left out, as DynamoDB stores the row.
  return Object.fromEntries(Object.entries(row).filter(([, value]) => value !== undefined)) as unknown as AuditRow;
}
