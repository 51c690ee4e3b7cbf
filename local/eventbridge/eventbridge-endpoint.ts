import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { callerAccountId } from '../aws-protocol/caller-account';
import { listenLocally, type ListeningEndpoint } from '../aws-protocol/local-server';
import { readRequestBody } from '../aws-protocol/request-body';
import { EventBridgeApiError } from './eventbridge-errors';
import { runEventBridgeOperation } from './eventbridge-operations';
import type { LocalEventBridge } from './local-eventbridge';

export type EventBridgeEndpoint = ListeningEndpoint;

const TARGET_PREFIX = 'AWSEvents.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';

/**
 * A local Amazon EventBridge endpoint (JSON 1.1: `POST /` with `X-Amz-Target:
 * AWSEvents.<Operation>`), acting for the account in the caller's access key id. Errors
 * go out as `{"__type","message"}` with HTTP 400 (500 for InternalException).
 */
export async function startEventBridgeEndpoint(
  engine: LocalEventBridge,
  options: { host?: string; port?: number } = {},
): Promise<EventBridgeEndpoint> {
  const server = createServer((request, response) => {
    handle(engine, request, response).catch((error: unknown) => {
      answer(
        response,
        new EventBridgeApiError('InternalException', error instanceof Error ? error.message : String(error), { cause: error }),
      );
    });
  });
  return listenLocally(server, options);
}

async function handle(engine: LocalEventBridge, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const target = String(request.headers['x-amz-target'] ?? '');
  const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
  const text = await readRequestBody(request);
  let body: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text || '{}');
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new TypeError('the request body is not a JSON object');
    body = parsed as Record<string, unknown>;
  } catch (error) {
    answer(response, new EventBridgeApiError('SerializationException', 'The request body is not a valid JSON object.', { cause: error }));
    return;
  }
  const accountId = callerAccountId(request.headers);
  if (!accountId) {
    answer(response, new EventBridgeApiError('UnrecognizedClientException', 'The security token included in the request is invalid.'));
    return;
  }
  let result: unknown;
  try {
    result = runEventBridgeOperation(engine, operation, body, accountId);
  } catch (error) {
    if (error instanceof EventBridgeApiError) {
      answer(response, error);
      return;
    }
    throw error;
  }
  response.writeHead(200, { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': randomUUID() });
  response.end(JSON.stringify(result ?? {}));
}

function answer(response: ServerResponse, error: EventBridgeApiError): void {
  response.writeHead(error.httpStatus, { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': randomUUID() });
  response.end(JSON.stringify({ __type: error.type, message: error.message }));
}
