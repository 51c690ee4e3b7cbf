import { randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { callerAccountId } from '../aws-protocol/caller-account';
import { readRequestBody } from '../aws-protocol/request-body';
import type { StepFunctionsEngine } from './step-functions-engine';
import { StepFunctionsApiError } from './states-error';

type Operation = (engine: StepFunctionsEngine, account: string, request: Record<string, never>) => unknown;

const OPERATIONS: Record<string, Operation> = {
  StartExecution: (engine, account, request) => engine.startExecution(account, request),
  DescribeExecution: (engine, account, request) => engine.describeExecution(account, request),
  ListExecutions: (engine, account, request) => engine.listExecutions(account, request),
  GetExecutionHistory: (engine, account, request) => engine.getExecutionHistory(account, request),
  StopExecution: (engine, account, request) => engine.stopExecution(account, request),
  SendTaskSuccess: (engine, account, request) => engine.sendTaskSuccess(account, request),
  SendTaskFailure: (engine, account, request) => engine.sendTaskFailure(account, request),
  SendTaskHeartbeat: (engine, account, request) => engine.sendTaskHeartbeat(account, request),
  ListStateMachines: (engine, account, request) => engine.listStateMachines(account, request),
  DescribeStateMachine: (engine, account, request) => engine.describeStateMachine(account, request),
  DescribeStateMachineForExecution: (engine, account, request) => engine.describeStateMachineForExecution(account, request),
};

export interface StepFunctionsEndpoint {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The Step Functions API (JSON 1.0: `POST /` with `X-Amz-Target: AWSStepFunctions.<Op>`)
 * over the local engine, for the SDK and `aws stepfunctions --endpoint-url`. Errors are
 * HTTP 400 with `{"__type", "message"}` as AWS sends them.
 */
export async function startStepFunctionsEndpoint(engine: StepFunctionsEngine, options: { host?: string; port?: number } = {}): Promise<StepFunctionsEndpoint> {
  const server = createServer((request, response) => {
    void (async () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const operation = OPERATIONS[target.replace(/^AWSStepFunctions\./, '')];
      if (request.method !== 'POST' || !target.startsWith('AWSStepFunctions.') || !operation) {
        return answer(response, 400, { __type: 'UnknownOperationException', message: `${target || '(no X-Amz-Target)'} is not a Step Functions operation this endpoint serves` });
      }
      const account = callerAccountId(request.headers);
      if (!account) return answer(response, 400, { __type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' });
      let body: Record<string, never>;
      try {
        const text = await readRequestBody(request);
        body = (text ? JSON.parse(text) : {}) as Record<string, never>;
      } catch {
        return answer(response, 400, { __type: 'SerializationException', message: 'The request body is not valid JSON' });
      }
      try {
        answer(response, 200, operation(engine, account, body));
      } catch (error) {
        if (error instanceof StepFunctionsApiError) return answer(response, 400, { __type: error.name, message: error.message });
        answer(response, 500, { __type: 'InternalFailure', message: error instanceof Error ? error.message : String(error) });
      }
    })();
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function answer(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() });
  response.end(JSON.stringify(body ?? {}));
}
