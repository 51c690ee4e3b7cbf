import type { Context } from 'aws-lambda';

export const SOURCE_ACCOUNT = '111111111111';
export const TARGET_ACCOUNT = '222222222222';
export const CERTIFICATE_ID = 'a'.repeat(32) + 'b'.repeat(32);
export const EXECUTION_ID = 'arn:aws:states:us-east-1:111111111111:execution:Outbound:run-1';
export const NOW = new Date('2026-11-24T10:00:00.000Z');

export function lambdaContext(awsRequestId = 'invocation-1'): Context {
  return {
    awsRequestId,
    functionName: 'certflow-test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:111111111111:function:certflow-test',
    memoryLimitInMB: '256',
    logGroupName: '/aws/lambda/certflow-test',
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
