import { CancelCertificateTransferCommand } from '@aws-sdk/client-iot';
import type { CancelCertificateTransferRequest } from './action-requests';
import { describeCertificate } from './certificate-description';
import { runTransferAction, type ActionEffect, type TransferActionDeps, type TransferActionResult } from './run-transfer-action';

/** What IoT answers for a transfer that is no longer pending, e.g. one this step already cancelled. */
const NOT_PENDING_ERRORS = ['TransferAlreadyCompletedException', 'InvalidRequestException'];

export function cancelCertificateTransfer(
  deps: TransferActionDeps,
  request: CancelCertificateTransferRequest,
): Promise<TransferActionResult> {
  return runTransferAction(deps, {
    action: 'CancelCertificateTransfer',
    certificateId: request.certificateId,
    context: request,
    auditFields: {
      sourceAwsAccount: deps.accountId,
      targetAwsAccount: request.targetAwsAccount,
    },
    async call() {
      const output = await deps.iot.send(new CancelCertificateTransferCommand({ certificateId: request.certificateId }));
      return { awsRequestId: output.$metadata.requestId, certificateStatus: 'INACTIVE' };
    },
    async confirmAlreadyApplied(error): Promise<ActionEffect | undefined> {
      if (!NOT_PENDING_ERRORS.includes(error.name)) return undefined;
      const { description, awsRequestId } = await describeCertificate(deps.iot, request.certificateId);
      const transfer = description.transferData;
      // Cancelled: back home and INACTIVE after a transfer that was neither accepted nor rejected.
      const cancelled =
        description.status === 'INACTIVE' &&
        (description.ownedBy === undefined || description.ownedBy === deps.accountId) &&
        transfer?.transferDate !== undefined &&
        transfer.acceptDate === undefined &&
        transfer.rejectDate === undefined;
      return cancelled ? { awsRequestId, certificateStatus: 'INACTIVE' } : undefined;
    },
  });
}
