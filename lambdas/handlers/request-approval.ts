import { parseApprovalTaskInput, requestApproval } from '../approvals/request-approval';
import { requestApprovalDeps } from './approval-runtime';
import { workflowStepHandler } from './lambda-runtime';

export const handler = workflowStepHandler('RequestApproval', parseApprovalTaskInput, async (input) =>
  requestApproval(await requestApprovalDeps(), input),
);
