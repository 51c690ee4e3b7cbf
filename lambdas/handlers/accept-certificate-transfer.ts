import { parseAcceptCertificateTransferRequest } from '../transfer-actions/action-requests';
import { acceptCertificateTransfer } from '../transfer-actions/accept-certificate-transfer';
import { transferActionHandler } from './lambda-runtime';

export const handler = transferActionHandler('AcceptCertificateTransfer', parseAcceptCertificateTransferRequest, acceptCertificateTransfer);
