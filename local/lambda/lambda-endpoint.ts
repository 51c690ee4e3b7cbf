import { randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import { callerAccountId } from '../aws-protocol/caller-account';
import { listenLocally } from '../aws-protocol/local-server';
import { readRequestBody } from '../aws-protocol/request-body';
import { LambdaInvocationError, type LocalLambdaFunction } from './local-lambda-function';

export interface LambdaEndpoint {
  url: string;
  port: number;
  close(): Promise<void>;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/**
 * The Lambda Invoke API (REST-JSON) over the sandbox's functions, so the CLI and
 * `aws lambda invoke --endpoint-url` can call a deployed function: a handler error
 * answers 200 with `X-Amz-Function-Error: Unhandled`, as Lambda does.
 */
export async function startLambdaEndpoint(
  functions: Map<string, LocalLambdaFunction>,
  options: { host?: string; port?: number; region: string },
): Promise<LambdaEndpoint> {
  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const match = INVOKE_PATH.exec(url.pathname);
      const accountId = callerAccountId(request.headers);
      if (request.method !== 'POST' || !match)
        return answerError(response, 404, 'UnknownOperationException', `${request.method} ${url.pathname} is not supported`);
      if (!accountId)
        return answerError(response, 403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
      const name = decodeURIComponent(match[1] ?? '');
      const arn = name.startsWith('arn:') ? name : `arn:aws:lambda:${options.region}:${accountId}:function:${name}`;
      const fn = functions.get(arn);
      if (!fn || arn.split(':')[4] !== accountId)
        return answerError(response, 404, 'ResourceNotFoundException', `Function not found: ${arn}`);
      const body = await readRequestBody(request);
      let event: unknown;
      try {
        event = body.length ? JSON.parse(body) : {};
      } catch {
        return answerError(response, 400, 'InvalidRequestContentException', 'Could not parse request body into json');
      }
      const headers = { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST', 'x-amzn-requestid': randomUUID() };
      try {
        const result = await fn.invoke(event);
        response.writeHead(200, headers);
        response.end(JSON.stringify(result ?? null));
      } catch (error) {
        const errorType = error instanceof LambdaInvocationError ? error.name : 'Runtime.Unknown';
        response.writeHead(200, { ...headers, 'x-amz-function-error': 'Unhandled' });
        response.end(JSON.stringify({ errorType, errorMessage: error instanceof Error ? error.message : String(error), trace: [] }));
      }
    })().catch((error: unknown) => answerError(response, 500, 'ServiceException', error instanceof Error ? error.message : String(error)));
  });
  return listenLocally(server, options);
}

function answerError(response: ServerResponse, status: number, type: string, message: string): void {
  response.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type, 'x-amzn-requestid': randomUUID() });
  response.end(JSON.stringify({ Type: 'User', message }));
}
