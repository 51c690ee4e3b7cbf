import { parseCancelCertificateTransferRequest } from '../transfer-actions/action-requests';
import { cancelCertificateTransfer } from '../transfer-actions/cancel-certificate-transfer';
import { transferActionHandler } from './lambda-runtime';

export const handler = transferActionHandler('CancelCertificateTransfer', parseCancelCertificateTransferRequest, cancelCertificateTransfer);
