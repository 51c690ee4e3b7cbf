import { type StepFunctionsEngine } from '../../../local/stepfunctions';

export const REGION = 'us-east-1';
export const ACCOUNT = '111111111111';
export const OTHER_ACCOUNT = '222222222222';
export const functionArn = (name: string, account = ACCOUNT) => `arn:aws:lambda:${REGION}:${account}:function:${name}`;
export const stateMachineArn = (name: string, account = ACCOUNT) => `arn:aws:states:${REGION}:${account}:stateMachine:${name}`;

/** Creates a state machine from a definition object and returns its ARN. */
export function deploy(engine: StepFunctionsEngine, name: string, definition: object, account = ACCOUNT): string {
  const arn = stateMachineArn(name, account);
  engine.createStateMachine({ name, arn, definition: JSON.stringify(definition) });
  return arn;
}

/** Polls until the condition holds (for states that are reached asynchronously). */
export async function eventually<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A function that records the events it got and answers with `respond`. */
export function recordingFunction(respond: (event: unknown, call: number) => unknown | Promise<unknown>) {
  const events: unknown[] = [];
  const invoke = async (event: unknown) => {
    events.push(event);
    return respond(event, events.length);
  };
  return { events, invoke };
}

/** An error like the sandbox's Lambda runner raises: `name` is the handler's errorType. */
export function functionError(errorType: string, message: string): Error {
  const error = new Error(message);
  error.name = errorType;
  return error;
}

/**
 * The shape `tasks.LambdaInvoke` synthesizes: the optimized integration with `Payload.$`,
 * Lambda's transient errors retried, and (with payloadResponseOnly) the function ARN as Resource.
 */
export function cdkLambdaInvokeState(fnArn: string, next: { Next: string } | { End: true }, extra: object = {}): object {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: { FunctionName: fnArn, 'Payload.$': '$' },
    Retry: [
      {
        ErrorEquals: [
          'Lambda.ClientExecutionTimeoutException',
          'Lambda.ServiceException',
          'Lambda.AWSLambdaException',
          'Lambda.SdkClientException',
        ],
        IntervalSeconds: 2,
        MaxAttempts: 6,
        BackoffRate: 2,
      },
    ],
    ...next,
    ...extra,
  };
}

/** A callback approval followed by a state that shows the decision reached the workflow. */
export const APPROVAL_DEFINITION = {
  StartAt: 'Approve',
  States: {
    Approve: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: functionArn('request-approval'), Payload: { 'taskToken.$': '$$.Task.Token' } },
      TimeoutSeconds: 86_400,
      ResultPath: '$.decision',
      Next: 'Decided',
    },
    Decided: { Type: 'Pass', End: true },
  },
};
