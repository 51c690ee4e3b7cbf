import { RejectCertificateTransferCommand } from '@aws-sdk/client-iot';
import type { RejectCertificateTransferRequest } from './action-requests';
import { runTransferAction, type TransferActionDeps, type TransferActionResult } from './run-transfer-action';

/**
 * After a reject the certificate is back in the source account and the target can no
 * longer describe it, so a re-run is recognised only through the audit trail's
 * success row for the same step.
 */
export function rejectCertificateTransfer(
  deps: TransferActionDeps,
  request: RejectCertificateTransferRequest,
): Promise<TransferActionResult> {
  return runTransferAction(deps, {
    action: 'RejectCertificateTransfer',
    certificateId: request.certificateId,
    context: request,
    auditFields: {
      sourceAwsAccount: request.sourceAwsAccount,
      targetAwsAccount: deps.accountId,
      message: request.rejectReason,
    },
    async call() {
      const output = await deps.iot.send(
        new RejectCertificateTransferCommand({
          certificateId: request.certificateId,
          rejectReason: request.rejectReason,
        }),
      );
      return { awsRequestId: output.$metadata.requestId };
    },
  });
}
