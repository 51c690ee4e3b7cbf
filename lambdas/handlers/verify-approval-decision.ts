import { parseVerifyDecisionInput, verifyDecision } from '../approvals/decision-verification';
import { approvalStepDeps } from './approval-runtime';
import { workflowStepHandler } from './lambda-runtime';

export const handler = workflowStepHandler('VerifyApprovalDecision', parseVerifyDecisionInput, async (input) =>
  verifyDecision(approvalStepDeps(), input),
);
