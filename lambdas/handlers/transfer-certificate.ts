import { parseTransferCertificateRequest } from '../transfer-actions/action-requests';
import { transferCertificate } from '../transfer-actions/transfer-certificate';
import { transferActionHandler } from './lambda-runtime';

export const handler = transferActionHandler('TransferCertificate', parseTransferCertificateRequest, transferCertificate);
