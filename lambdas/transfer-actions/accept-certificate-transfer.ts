import { AcceptCertificateTransferCommand } from '@aws-sdk/client-iot';
import type { AcceptCertificateTransferRequest } from './action-requests';
import { describeCertificate } from './certificate-description';
import { runTransferAction, type ActionEffect, type TransferActionDeps, type TransferActionResult } from './run-transfer-action';

export function acceptCertificateTransfer(
  deps: TransferActionDeps,
  request: AcceptCertificateTransferRequest,
): Promise<TransferActionResult> {
  return runTransferAction(deps, {
    action: 'AcceptCertificateTransfer',
    certificateId: request.certificateId,
    context: request,
    auditFields: {
      sourceAwsAccount: request.sourceAwsAccount,
      targetAwsAccount: deps.accountId,
      setAsActive: request.setAsActive,
    },
    async call() {
      const output = await deps.iot.send(
        new AcceptCertificateTransferCommand({
          certificateId: request.certificateId,
          setAsActive: request.setAsActive,
        }),
      );
      return {
        awsRequestId: output.$metadata.requestId,
        certificateStatus: request.setAsActive ? 'ACTIVE' : 'INACTIVE',
      };
    },
    async confirmAlreadyApplied(error): Promise<ActionEffect | undefined> {
      if (error.name !== 'TransferAlreadyCompletedException') return undefined;
      const { description, awsRequestId } = await describeCertificate(deps.iot, request.certificateId);
      const acceptedHere = description.ownedBy === deps.accountId && description.transferData?.acceptDate !== undefined;
      const fromExpectedSource = request.sourceAwsAccount === undefined || description.previousOwnedBy === request.sourceAwsAccount;
      if (!acceptedHere || !fromExpectedSource) return undefined;
      if (description.status !== 'ACTIVE' && description.status !== 'INACTIVE') return undefined;
      return { awsRequestId, certificateStatus: description.status, appliedAt: description.transferData?.acceptDate };
    },
  });
}
