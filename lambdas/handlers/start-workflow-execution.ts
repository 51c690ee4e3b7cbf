import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { serveStartRequest } from '../start-requests/start-request-routes';
import { StartRequestStore } from '../start-requests/start-request-store';
import { sfnClient } from './approval-runtime';
import { HANDLER_ENVIRONMENT, requiredEnvironment } from './handler-environment';
import { dynamoDbClient, logger } from './lambda-runtime';

let containerStore: StartRequestStore | undefined;

function startRequestStore(): StartRequestStore {
  containerStore ??= new StartRequestStore(dynamoDbClient(), requiredEnvironment(HANDLER_ENVIRONMENT.startRequestTableName));
  return containerStore;
}

/** The start API's proxy handler: the caller is `requestContext.identity`, which IAM authorization filled in. */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const deps = {
    sfn: sfnClient(),
    store: startRequestStore(),
    stateMachines: {
      transfer: requiredEnvironment(HANDLER_ENVIRONMENT.transferStateMachineArn),
      migration: requiredEnvironment(HANDLER_ENVIRONMENT.migrationStateMachineArn),
    },
  };
  try {
    const response = await serveStartRequest(deps, {
      workflow: event.pathParameters?.workflow,
      body: event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : event.body,
      identity: event.requestContext.identity,
    });
    logger.info('start request served', {
      workflow: event.pathParameters?.workflow,
      statusCode: response.statusCode,
      callerArn: event.requestContext.identity.userArn,
    });
    return response;
  } catch (error) {
    logger.error('start request failed', { workflow: event.pathParameters?.workflow, error });
    return {
      statusCode: 502,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ error: 'StartExecutionFailed', message: 'Step Functions did not start the execution: try again' }),
    };
  }
}
