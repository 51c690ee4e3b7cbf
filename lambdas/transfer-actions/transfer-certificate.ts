import { TransferCertificateCommand } from '@aws-sdk/client-iot';
import type { TransferCertificateRequest } from './action-requests';
import { describeCertificate } from './certificate-description';
import { runTransferAction, type ActionEffect, type TransferActionDeps, type TransferActionResult } from './run-transfer-action';

/** Errors AWS IoT answers when the certificate is no longer INACTIVE, e.g. already PENDING_TRANSFER. */
const STATE_ERRORS = ['CertificateStateException', 'TransferConflictException'];

export function transferCertificate(deps: TransferActionDeps, request: TransferCertificateRequest): Promise<TransferActionResult> {
  return runTransferAction(deps, {
    action: 'TransferCertificate',
    certificateId: request.certificateId,
    context: request,
    auditFields: {
      sourceAwsAccount: deps.accountId,
      targetAwsAccount: request.targetAwsAccount,
      message: request.transferMessage,
    },
    async call() {
      const output = await deps.iot.send(
        new TransferCertificateCommand({
          certificateId: request.certificateId,
          targetAwsAccount: request.targetAwsAccount,
          transferMessage: request.transferMessage,
        }),
      );
      return {
        awsRequestId: output.$metadata.requestId,
        transferredCertificateArn: output.transferredCertificateArn,
        certificateStatus: 'PENDING_TRANSFER',
      };
    },
    async confirmAlreadyApplied(error): Promise<ActionEffect | undefined> {
      if (!STATE_ERRORS.includes(error.name)) return undefined;
      const { description, awsRequestId } = await describeCertificate(deps.iot, request.certificateId);
      if (description.status !== 'PENDING_TRANSFER') return undefined;
      if ((description.transferData?.transferMessage ?? '') !== (request.transferMessage ?? '')) return undefined;
      // DescribeCertificate does not name the pending transfer's target account; the
      // audit trail's newest successful transfer of this certificate does.
      const latest = await deps.auditTrail.latestSuccess(request.certificateId, 'TransferCertificate');
      if (latest && latest.targetAwsAccount !== request.targetAwsAccount) return undefined;
      return {
        awsRequestId,
        transferredCertificateArn: description.certificateArn,
        certificateStatus: 'PENDING_TRANSFER',
        appliedAt: description.transferData?.transferDate,
      };
    },
  });
}
