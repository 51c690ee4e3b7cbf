import { followTransfer } from '../outbound-workflow/follow-transfer';
import { parseFollowTransferRequest } from '../outbound-workflow/step-requests';
import { iotClient, workflowStepHandler } from './lambda-runtime';

export const handler = workflowStepHandler('FollowTransfer', parseFollowTransferRequest, (request) =>
  followTransfer({ iot: iotClient() }, request),
);
