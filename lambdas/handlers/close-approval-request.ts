import { closeApprovalRequest, parseCloseApprovalInput } from '../approvals/approval-closing';
import { approvalStepDeps } from './approval-runtime';
import { workflowStepHandler } from './lambda-runtime';

export const handler = workflowStepHandler('CloseApprovalRequest', parseCloseApprovalInput, async (input) =>
  closeApprovalRequest(approvalStepDeps(), input),
);
