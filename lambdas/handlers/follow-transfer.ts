import { followTransfer } from '../outbound-workflow/follow-transfer';
import { parseFollowTransferRequest } from '../outbound-workflow/step-requests';
import { iot, workflowStepHandler } from './lambda-runtime';

export const handler = workflowStepHandler('FollowTransfer', parseFollowTransferRequest, (request) => followTransfer({ iot }, request));
