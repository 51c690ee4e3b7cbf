import type { APIGatewayProxyResult } from 'aws-lambda';
import { ValidationError } from '../iot-api/field-rules';
import { parseCallerIdentity } from './caller-identity';
import { StartRequestConflict, StartRequestStoreUnavailable } from './start-request-errors';
import { parseStartRequestBody, parseStartableWorkflow } from './start-request-rules';
import { startWorkflowExecution, type StartWorkflowDeps } from './workflow-start';

/** What the start API's handler hands on from the REST proxy event. */
export interface StartApiRequest {
  /** `pathParameters.workflow` of `POST /workflows/{workflow}/executions`. */
  workflow: unknown;
  body: string | null;
  /** `requestContext.identity`, which API Gateway fills in from the verified SigV4 signature. */
  identity: unknown;
}

function json(statusCode: number, body: unknown): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/**
 * `POST /workflows/{workflow}/executions`: 200 with {executionArn, startDate, requestedBy,
 * requestedByArn}; 400 naming the field and rule; 409 when the name was started with another
 * input; 503 when the start-request table could not be reached (nothing was started).
 * Other failures (Step Functions) are thrown for the handler to log and answer 502.
 */
export async function serveStartRequest(deps: StartWorkflowDeps, request: StartApiRequest): Promise<APIGatewayProxyResult> {
  try {
    const caller = parseCallerIdentity(request.identity);
    const workflow = parseStartableWorkflow(request.workflow);
    const body = parseStartRequestBody(request.body);
    return json(200, await startWorkflowExecution(deps, caller, workflow, body));
  } catch (error) {
    if (error instanceof ValidationError) return json(400, { error: error.name, field: error.field, message: error.message });
    if (error instanceof StartRequestConflict) return json(409, { error: error.name, field: 'name', message: error.message });
    if (error instanceof StartRequestStoreUnavailable) {
      return json(503, { error: error.name, message: 'the start request could not be recorded; nothing was started: try again' });
    }
    throw error;
  }
}
