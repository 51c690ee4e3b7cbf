import { SFNClient } from '@aws-sdk/client-sfn';
import { startInboundReviews } from '../inbound-workflow/start-inbound-reviews';
import { HANDLER_ENVIRONMENT, requiredEnvironment } from './handler-environment';
import { iot, workflowStepHandler } from './lambda-runtime';

const sfn = new SFNClient({});

export const handler = workflowStepHandler('StartInboundReviews', () => undefined, () =>
  startInboundReviews({
    iot,
    sfn,
    accountId: requiredEnvironment(HANDLER_ENVIRONMENT.accountId),
    stateMachineArn: requiredEnvironment(HANDLER_ENVIRONMENT.inboundStateMachineArn),
  }),
);
