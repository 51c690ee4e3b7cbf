import { AttachPolicyCommand, DetachPolicyCommand, UpdateCertificateCommand } from '@aws-sdk/client-iot';
import type { TransferPreparation } from '../approvals/approval-request';
import { ValidationError } from '../iot-api/field-rules';
import { describeCertificate } from '../transfer-actions/certificate-description';
import { runTransferAction, type ActionAttempt, type AttemptContext, type TransferActionDeps } from '../transfer-actions/run-transfer-action';
import { attachedPolicies } from './inspect-certificate';

export interface PreparationRequest extends AttemptContext {
  certificateId: string;
  certificateArn: string;
  preparation: TransferPreparation;
  /** The approver agreed to deactivate the certificate and detach its policies. */
  consentToPrepare: boolean;
}

/** What preparation changed, so that it can be undone: the workflow carries it to the restore step. */
export interface PreparationChanges {
  deactivated: boolean;
  detachedPolicies: string[];
}

/**
 * Makes the certificate transferable: INACTIVE, then its policies detached. Each change
 * is an audited attempt (with the status or policy it changed), and a re-run finds what
 * was already done.
 */
export async function prepareCertificate(deps: TransferActionDeps, request: PreparationRequest): Promise<PreparationChanges> {
  const { preparation } = request;
  if ((preparation.deactivate || preparation.detachPolicies.length > 0) && !request.consentToPrepare) {
    throw new ValidationError('consentToPrepare', 'must be true: the approver did not agree to deactivate the certificate and detach its policies');
  }
  if (preparation.deactivate) await setStatus(deps, request, 'INACTIVE', 'ACTIVE');
  for (const policyName of preparation.detachPolicies) {
    await changePolicy(deps, request, 'DetachPolicy', policyName, async (error) => {
      if (error.name !== 'ResourceNotFoundException' && error.name !== 'InvalidRequestException') return undefined;
      return (await attachedPolicies(deps.iot, request.certificateArn)).includes(policyName) ? undefined : {};
    });
  }
  return { deactivated: preparation.deactivate, detachedPolicies: [...preparation.detachPolicies] };
}

/** Undoes a preparation after the transfer was rejected or cancelled: policies back, then ACTIVE again. */
export async function restoreCertificate(
  deps: TransferActionDeps,
  request: AttemptContext & { certificateId: string; certificateArn: string; changes: PreparationChanges },
): Promise<{ restored: PreparationChanges }> {
  for (const policyName of request.changes.detachedPolicies) await changePolicy(deps, request, 'AttachPolicy', policyName);
  if (request.changes.deactivated) await setStatus(deps, request, 'ACTIVE', 'INACTIVE');
  return { restored: request.changes };
}

/** One audited AttachPolicy or DetachPolicy on the certificate. */
async function changePolicy(
  deps: TransferActionDeps,
  request: AttemptContext & { certificateId: string; certificateArn: string },
  action: 'AttachPolicy' | 'DetachPolicy',
  policyName: string,
  confirmAlreadyApplied?: ActionAttempt['confirmAlreadyApplied'],
): Promise<void> {
  const input = { policyName, target: request.certificateArn };
  await runTransferAction(deps, {
    action,
    certificateId: request.certificateId,
    subject: policyName,
    context: request,
    auditFields: { sourceAwsAccount: deps.accountId, policyName },
    async call() {
      const output = await deps.iot.send(action === 'AttachPolicy' ? new AttachPolicyCommand(input) : new DetachPolicyCommand(input));
      return { awsRequestId: output.$metadata.requestId };
    },
    confirmAlreadyApplied,
  });
}

async function setStatus(
  deps: TransferActionDeps,
  request: AttemptContext & { certificateId: string },
  newStatus: 'ACTIVE' | 'INACTIVE',
  previousStatus: 'ACTIVE' | 'INACTIVE',
): Promise<void> {
  await runTransferAction(deps, {
    action: 'UpdateCertificate',
    certificateId: request.certificateId,
    subject: newStatus,
    context: request,
    auditFields: { sourceAwsAccount: deps.accountId, previousStatus },
    async call() {
      const output = await deps.iot.send(new UpdateCertificateCommand({ certificateId: request.certificateId, newStatus }));
      return { awsRequestId: output.$metadata.requestId, certificateStatus: newStatus };
    },
    async confirmAlreadyApplied() {
      const { description, awsRequestId } = await describeCertificate(deps.iot, request.certificateId);
      return description.status === newStatus ? { awsRequestId, certificateStatus: newStatus } : undefined;
    },
  });
}
