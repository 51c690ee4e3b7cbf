import { parseRejectCertificateTransferRequest } from '../transfer-actions/action-requests';
import { rejectCertificateTransfer } from '../transfer-actions/reject-certificate-transfer';
import { transferActionHandler } from './lambda-runtime';

export const handler = transferActionHandler('RejectCertificateTransfer', parseRejectCertificateTransferRequest, rejectCertificateTransfer);
