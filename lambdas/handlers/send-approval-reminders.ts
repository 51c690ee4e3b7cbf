import { sendDueReminders } from '../approvals/request-approval';
import { requestApprovalDeps } from './approval-runtime';
import { workflowStepHandler } from './lambda-runtime';

export const handler = workflowStepHandler(
  'SendApprovalReminders',
  () => undefined,
  async () => sendDueReminders(await requestApprovalDeps()),
);
