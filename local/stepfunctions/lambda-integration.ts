import { randomUUID } from 'node:crypto';
import { toJson, type Json } from './json-value';
import { StatesError } from './stepfunctions-errors';

/** How the sandbox runs a function: the event in, the handler's result (or its error) out. */
export type LambdaInvoker = (event: unknown) => Promise<unknown>;

/** Errors a function invocation reports without an error type of the handler's own. */
const UNHANDLED_ERROR_TYPES = new Set(['Sandbox.Timedout', 'Runtime.ExitError']);

export const LAMBDA_INVOKE_RESOURCE = 'arn:aws:states:::lambda:invoke';
export const LAMBDA_CALLBACK_RESOURCE = 'arn:aws:states:::lambda:invoke.waitForTaskToken';
const FUNCTION_ARN = /^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]+)(?::([A-Za-z0-9$_-]+))?$/;

export function isFunctionArn(resource: string): boolean {
  return FUNCTION_ARN.test(resource);
}

/** The functions workflows can invoke, by ARN; a name, partial ARN or qualified ARN finds them too. */
export class LambdaFunctions {
  private readonly byArn = new Map<string, LambdaInvoker>();

  register(functionArn: string, invoke: LambdaInvoker): void {
    this.byArn.set(functionArn, invoke);
  }

  find(functionName: string, region: string, accountId: string): { functionArn: string; invoke: LambdaInvoker } | undefined {
    const direct = this.byArn.get(functionName);
    if (direct) return { functionArn: functionName, invoke: direct };
    const arn = FUNCTION_ARN.exec(functionName);
    const name = arn ? arn[3] : functionName.replace(/^\d{12}:function:/, '').replace(/:[A-Za-z0-9$_-]+$/, '');
    const functionArn = arn
      ? `arn:aws:lambda:${arn[1]}:${arn[2]}:function:${name}`
      : `arn:aws:lambda:${region}:${accountId}:function:${name}`;
    const invoke = this.byArn.get(functionArn);
    return invoke ? { functionArn, invoke } : undefined;
  }

  /**
   * Invokes a function as Step Functions' Lambda integration does: a handler's error becomes
   * a States error named by its errorType with the `{"errorMessage","errorType","trace"}` cause;
   * a time-out or crash is `Lambda.Unknown` (the developer guide: unhandled errors, including
   * function timeouts, are reported as Lambda.Unknown); a missing function is
   * `Lambda.ResourceNotFoundException`.
   */
  async invoke(functionName: string, payload: Json, region: string, accountId: string): Promise<Json> {
    const target = this.find(functionName, region, accountId);
    if (!target) {
      throw new StatesError(
        'Lambda.ResourceNotFoundException',
        `Function not found: ${functionName} (Service: Lambda, Status Code: 404, Request ID: ${randomUUID()})`,
      );
    }
    let result: unknown;
    try {
      result = await target.invoke(payload);
    } catch (error) {
      const errorType = error instanceof Error && error.name ? error.name : 'Error';
      const errorMessage = error instanceof Error ? error.message : String(error);
      const cause = JSON.stringify({ errorMessage, errorType, trace: [] });
      throw new StatesError(UNHANDLED_ERROR_TYPES.has(errorType) ? 'Lambda.Unknown' : errorType, cause);
    }
    return toJson(result);
  }
}

/**
 * The event `lambda:invoke` hands the function for the task's `Payload` parameter. Lambda's
 * Invoke takes the payload as JSON bytes: an object, array, number, boolean or null is
 * written as JSON, a string is those bytes already (so `"Payload.$": "States.JsonToString($)"`
 * gives the function the object, not a string of it). A string that is not JSON fails as
 * Lambda's Invoke does (InvalidRequestContentException). Without Payload the event is `{}`.
 */
export function lambdaRequestPayload(payload: Json | undefined): Json {
  if (payload === undefined) return {};
  if (typeof payload !== 'string') return payload;
  try {
    return JSON.parse(payload) as Json;
  } catch (error) {
    throw new StatesError(
      'Lambda.InvalidRequestContentException',
      `Could not parse request body into json: ${error instanceof Error ? error.message : String(error)} (Service: Lambda, Status Code: 400, Request ID: ${randomUUID()})`,
    );
  }
}

/** What `lambda:invoke` returns: the Invoke API response, with the Payload parsed. */
export function lambdaInvokeResult(payload: Json, invocationType: string | undefined): Json {
  const requestId = randomUUID();
  const asynchronous = invocationType === 'Event';
  const statusCode = asynchronous ? 202 : 200;
  const body = asynchronous ? '' : JSON.stringify(payload);
  const headers: Record<string, string> = {
    Connection: 'keep-alive',
    'Content-Length': String(Buffer.byteLength(body)),
    'Content-Type': 'application/json',
    Date: new Date().toUTCString(),
    'X-Amz-Executed-Version': '$LATEST',
    'x-amzn-Remapped-Content-Length': '0',
    'x-amzn-RequestId': requestId,
  };
  const allHeaders: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) allHeaders[name] = [value];
  return {
    ExecutedVersion: '$LATEST',
    Payload: asynchronous ? '' : payload,
    SdkHttpMetadata: { AllHttpHeaders: allHeaders, HttpHeaders: headers, HttpStatusCode: statusCode },
    SdkResponseMetadata: { RequestId: requestId },
    StatusCode: statusCode,
  };
}
