import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { callerAccountId } from '../aws-protocol/caller-account';
import { listenLocally } from '../aws-protocol/local-server';
import { readRequestBody } from '../aws-protocol/request-body';
import { type StepFunctionsEngine } from './stepfunctions-engine';
import { StepFunctionsApiError } from './stepfunctions-errors';

export interface StepFunctionsEndpoint {
  url: string;
  port: number;
  close(): Promise<void>;
}

type Body = Record<string, unknown>;
type Operation = (engine: StepFunctionsEngine, body: Body, accountId: string) => unknown;

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
const bool = (value: unknown): boolean | undefined => (typeof value === 'boolean' ? value : undefined);

const OPERATIONS: Record<string, Operation> = {
  StartExecution: (engine, body, account) =>
    engine.startExecution(
      { stateMachineArn: str(body.stateMachineArn), name: str(body.name), input: str(body.input), traceHeader: str(body.traceHeader) },
      account,
    ),
  DescribeExecution: (engine, body, account) => engine.describeExecution({ executionArn: str(body.executionArn) }, account),
  ListExecutions: (engine, body, account) =>
    engine.listExecutions(
      {
        stateMachineArn: str(body.stateMachineArn),
        statusFilter: str(body.statusFilter),
        maxResults: num(body.maxResults),
        nextToken: str(body.nextToken),
      },
      account,
    ),
  GetExecutionHistory: (engine, body, account) =>
    engine.getExecutionHistory(
      {
        executionArn: str(body.executionArn),
        maxResults: num(body.maxResults),
        nextToken: str(body.nextToken),
        reverseOrder: bool(body.reverseOrder),
        includeExecutionData: bool(body.includeExecutionData),
      },
      account,
    ),
  StopExecution: (engine, body, account) =>
    engine.stopExecution({ executionArn: str(body.executionArn), error: str(body.error), cause: str(body.cause) }, account),
  SendTaskSuccess: (engine, body) => engine.sendTaskSuccess({ taskToken: str(body.taskToken), output: str(body.output) }),
  SendTaskFailure: (engine, body) =>
    engine.sendTaskFailure({ taskToken: str(body.taskToken), error: str(body.error), cause: str(body.cause) }),
  SendTaskHeartbeat: (engine, body) => engine.sendTaskHeartbeat({ taskToken: str(body.taskToken) }),
  ListStateMachines: (engine, body, account) =>
    engine.listStateMachines({ maxResults: num(body.maxResults), nextToken: str(body.nextToken) }, account),
  DescribeStateMachine: (engine, body, account) => engine.describeStateMachine({ stateMachineArn: str(body.stateMachineArn) }, account),
  DescribeStateMachineForExecution: (engine, body, account) =>
    engine.describeStateMachineForExecution({ executionArn: str(body.executionArn) }, account),
  CreateStateMachine: (engine, body, account) =>
    engine.createStateMachineForAccount(
      { name: str(body.name), definition: str(body.definition), roleArn: str(body.roleArn), type: str(body.type) },
      account,
    ),
  DeleteStateMachine: (engine, body, account) => engine.deleteStateMachine({ stateMachineArn: str(body.stateMachineArn) }, account),
};

const TARGET_PREFIX = 'AWSStepFunctions.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';

/**
 * A local AWS Step Functions endpoint (JSON 1.0: `POST /` with `X-Amz-Target:
 * AWSStepFunctions.<Operation>`), answering for the calling account only. Dates go out as
 * epoch seconds, errors as HTTP 400 `{"__type","message"}`.
 */
export async function startStepFunctionsEndpoint(
  engine: StepFunctionsEngine,
  options: { host?: string; port?: number } = {},
): Promise<StepFunctionsEndpoint> {
  const server = createServer((request, response) => {
    handle(engine, request, response).catch((error: unknown) => {
      answer(response, 500, { __type: 'InternalFailure', message: error instanceof Error ? error.message : String(error) });
    });
  });
  return listenLocally(server, options);
}

async function handle(engine: StepFunctionsEngine, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const target = String(request.headers['x-amz-target'] ?? '');
  const text = await readRequestBody(request);
  const operation = target.startsWith(TARGET_PREFIX) ? OPERATIONS[target.slice(TARGET_PREFIX.length)] : undefined;
  try {
    if (!operation)
      throw new StepFunctionsApiError('UnknownOperationException', `${target || '(no X-Amz-Target)'} is not an operation of this endpoint`);
    const accountId = callerAccountId(request.headers);
    if (!accountId)
      throw new StepFunctionsApiError('UnrecognizedClientException', 'The security token included in the request is invalid.');
    let body: unknown;
    try {
      body = JSON.parse(text || '{}');
    } catch {
      throw new StepFunctionsApiError('SerializationException', 'The request body is not valid JSON');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new StepFunctionsApiError('SerializationException', 'The request body must be a JSON object');
    answer(response, 200, operation(engine, body as Body, accountId));
  } catch (error) {
    if (error instanceof StepFunctionsApiError) answer(response, 400, { __type: error.type, message: error.message });
    else throw error;
  }
}

function answer(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': randomUUID() });
  response.end(
    JSON.stringify(body, function (this: Record<string, unknown>, key: string, value: unknown) {
      const raw = this[key];
      return raw instanceof Date ? raw.getTime() / 1000 : value;
    }),
  );
}
