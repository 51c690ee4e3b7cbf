import { StartRequestStore } from '../start-requests/start-request-store';
import { parseVerifyStartRequestInput, verifyStartRequest } from '../start-requests/start-request-verification';
import { DynamoDbAuditTrail } from '../audit-trail/audit-trail';
import { HANDLER_ENVIRONMENT, requiredEnvironment } from './handler-environment';
import { dynamoDbClient, workflowStepHandler } from './lambda-runtime';

/** The first step of the workflows people start: fails UnverifiedRequest unless the start API recorded this execution's input. */
export const handler = workflowStepHandler('VerifyStartRequest', parseVerifyStartRequestInput, async (input) =>
  verifyStartRequest(
    {
      store: new StartRequestStore(dynamoDbClient(), requiredEnvironment(HANDLER_ENVIRONMENT.startRequestTableName)),
      auditTrail: new DynamoDbAuditTrail(dynamoDbClient(), requiredEnvironment(HANDLER_ENVIRONMENT.auditTableName)),
    },
    input,
  ),
);
