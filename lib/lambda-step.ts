import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { RETRYABLE_ERROR_NAMES } from '../lambdas/iot-api/iot-errors';

export interface LambdaStepProps {
  /** The certflow function the step invokes. */
  readonly fn: lambda.IFunction;
  /** The event the function gets, an object whose `.$` paths are filled in. @default the whole state */
  readonly payload?: Record<string, unknown>;
  /** Where the step's result goes in the state; `'$'` replaces the state with it. */
  readonly resultPath: string;
  /** The state's Comment in the definition. @default none */
  readonly comment?: string;
}

/**
 * A workflow step that calls one certflow function and retries, with jittered backoff,
 * what is worth retrying: IoT throttling and outages, the audit table being unreachable,
 * and Lambda's own transient errors. Every handler is safe to re-run.
 */
export function lambdaStep(scope: Construct, id: string, props: LambdaStepProps): tasks.LambdaInvoke {
  const step = new tasks.LambdaInvoke(scope, id, {
    lambdaFunction: props.fn,
    payload: props.payload === undefined ? undefined : sfn.TaskInput.fromObject(props.payload),
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    resultPath: props.resultPath,
    comment: props.comment,
  });
  step.addRetry({
    errors: [
      ...RETRYABLE_ERROR_NAMES,
      'Lambda.ServiceException',
      'Lambda.AWSLambdaException',
      'Lambda.SdkClientException',
      'Lambda.TooManyRequestsException',
    ],
    interval: Duration.seconds(2),
    backoffRate: 2,
    maxAttempts: 8,
    maxDelay: Duration.seconds(60),
    jitterStrategy: sfn.JitterType.FULL,
  });
  return step;
}

export interface MessageWaitStepProps {
  /** The function that records the task token and sends this side's message. */
  readonly fn: lambda.IFunction;
  /** The event the function gets; `taskToken: JsonPath.taskToken` is added. */
  readonly payload: Record<string, unknown>;
  /** How long to wait for the peer's answer; then States.Timeout. */
  readonly timeout: Duration;
  /** The state's Comment in the definition. @default none */
  readonly comment?: string;
}

/**
 * A step that sends a message to the other account and waits (`.waitForTaskToken`) until
 * this side's receiver records the answer and wakes it. Retries a message EventBridge did
 * not take and Lambda's transient errors; its result is discarded (the next step reads the
 * answer from the record, never from the callback).
 */
export function messageWaitStep(scope: Construct, id: string, props: MessageWaitStepProps): tasks.LambdaInvoke {
  const step = new tasks.LambdaInvoke(scope, id, {
    lambdaFunction: props.fn,
    integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
    payload: sfn.TaskInput.fromObject({ ...props.payload, taskToken: sfn.JsonPath.taskToken }),
    taskTimeout: sfn.Timeout.duration(props.timeout),
    resultPath: sfn.JsonPath.DISCARD,
    comment: props.comment,
  });
  step.addRetry({
    errors: [
      'TransferMessageNotSent',
      'Lambda.ServiceException',
      'Lambda.TooManyRequestsException',
      'Lambda.AWSLambdaException',
      'Lambda.SdkClientException',
    ],
    interval: Duration.seconds(2),
    backoffRate: 2,
    maxAttempts: 6,
    maxDelay: Duration.seconds(30),
    jitterStrategy: sfn.JitterType.FULL,
  });
  return step;
}
