import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import type { TransferPreparation } from '../approvals/approval-request';
import { ValidationError } from '../iot-api/field-rules';
import { describeCertificate } from '../transfer-actions/certificate-description';
import {
  runTransferAction,
  type ActionAttempt,
  type AttemptContext,
  type TransferActionDeps,
} from '../transfer-actions/run-transfer-action';
import { attachedPolicies, principalThings } from './inspect-certificate';

export interface PreparationRequest extends AttemptContext {
  certificateId: string;
  certificateArn: string;
  preparation: TransferPreparation;
  /** The approver agreed to deactivate the certificate and detach its policies. */
  consentToPrepare: boolean;
  /**
   * Detach the certificate from its things too, as the IoT developer guide's transfer
   * procedure requires. Off only for the migration path, which does not yet.
   */
  detachThings?: boolean;
}

/** What preparation changed, so that it can be undone: the workflow carries it to the restore step. */
export interface PreparationChanges {
  deactivated: boolean;
  detachedPolicies: string[];
  /** Things the certificate was detached from. */
  detachedThings?: string[];
  /** When the certificate went INACTIVE (its devices' downtime starts); null when it was INACTIVE already. */
  deactivatedAt?: string | null;
}

/**
 * Makes the certificate transferable: INACTIVE, then its policies detached. Each change
 * is an audited attempt (with the status or policy it changed), and a re-run finds what
 * was already done.
 */
export async function prepareCertificate(deps: TransferActionDeps, request: PreparationRequest): Promise<PreparationChanges> {
  const { preparation } = request;
  if ((preparation.deactivate || preparation.detachPolicies.length > 0) && !request.consentToPrepare) {
    throw new ValidationError(
      'consentToPrepare',
      'must be true: the approver did not agree to deactivate the certificate and detach its policies',
    );
  }
  const deactivatedAt = preparation.deactivate ? ((await setStatus(deps, request, 'INACTIVE', 'ACTIVE')) ?? null) : null;
  for (const policyName of preparation.detachPolicies) {
    await changePolicy(deps, request, 'DetachPolicy', policyName, async (error) => {
      if (error.name !== 'ResourceNotFoundException' && error.name !== 'InvalidRequestException') return undefined;
      return (await attachedPolicies(deps.iot, request.certificateArn)).includes(policyName) ? undefined : {};
    });
  }
  const detachedThings = request.detachThings ? [...preparation.attachedThings] : [];
  for (const thingName of detachedThings) {
    await changeThing(deps, request, 'DetachThingPrincipal', thingName, async (error) => {
      if (error.name !== 'ResourceNotFoundException' && error.name !== 'InvalidRequestException') return undefined;
      return (await principalThings(deps.iot, request.certificateArn)).includes(thingName) ? undefined : {};
    });
  }
  return { deactivated: preparation.deactivate, detachedPolicies: [...preparation.detachPolicies], detachedThings, deactivatedAt };
}

/** Undoes a preparation after the transfer was rejected or cancelled: policies back, then ACTIVE again. */
export async function restoreCertificate(
  deps: TransferActionDeps,
  request: AttemptContext & { certificateId: string; certificateArn: string; changes: PreparationChanges },
): Promise<{ restored: PreparationChanges }> {
  for (const thingName of request.changes.detachedThings ?? []) await changeThing(deps, request, 'AttachThingPrincipal', thingName);
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

/** One audited AttachThingPrincipal or DetachThingPrincipal of the certificate. */
export async function changeThing(
  deps: TransferActionDeps,
  request: AttemptContext & { certificateId: string; certificateArn: string },
  action: 'AttachThingPrincipal' | 'DetachThingPrincipal',
  thingName: string,
  confirmAlreadyApplied?: ActionAttempt['confirmAlreadyApplied'],
  auditFields: ActionAttempt['auditFields'] = { sourceAwsAccount: deps.accountId },
): Promise<void> {
  const input = { thingName, principal: request.certificateArn };
  await runTransferAction(deps, {
    action,
    certificateId: request.certificateId,
    subject: thingName,
    context: request,
    auditFields: { ...auditFields, thingName },
    async call() {
      const output = await deps.iot.send(
        action === 'AttachThingPrincipal' ? new AttachThingPrincipalCommand(input) : new DetachThingPrincipalCommand(input),
      );
      return { awsRequestId: output.$metadata.requestId };
    },
    confirmAlreadyApplied,
  });
}

/** Returns when the status change was recorded: the moment the certificate's devices went dark or came back. */
async function setStatus(
  deps: TransferActionDeps,
  request: AttemptContext & { certificateId: string },
  newStatus: 'ACTIVE' | 'INACTIVE',
  previousStatus: 'ACTIVE' | 'INACTIVE',
): Promise<string | undefined> {
  const result = await runTransferAction(deps, {
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
  return result.recordedAt;
}
