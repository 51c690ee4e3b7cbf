import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { startLambdaEndpoint, type LambdaEndpoint } from '../../../local/lambda/lambda-endpoint';
import { LocalLambdaFunction } from '../../../local/lambda/local-lambda-function';

const dir = mkdtempSync(path.join(tmpdir(), 'certflow-lambda-endpoint-'));
const bundleFile = path.join(dir, 'index.js');
writeFileSync(
  bundleFile,
  `exports.handler = async (event) => {
     if (event.fail) { const error = new Error('certificate is not pending'); error.name = 'TransferAlreadyCompletedException'; throw error; }
     return { cancelled: event.certificateId };
   };`,
);
const ARN = 'arn:aws:lambda:us-east-1:111111111111:function:cancel';
const fn = new LocalLambdaFunction({
  functionName: 'cancel',
  functionArn: ARN,
  bundleFile,
  handlerExport: 'handler',
  environment: {},
  timeoutMs: 5000,
  memorySizeMb: 128,
});
let endpoint: LambdaEndpoint;
const client = (account: string) =>
  new LambdaClient({
    region: 'us-east-1',
    endpoint: endpoint.url,
    credentials: { accessKeyId: `AKIA${account}LOCL`, secretAccessKey: 'x' },
  });
const payload = (value: Uint8Array | undefined) => JSON.parse(Buffer.from(value ?? new Uint8Array()).toString('utf8')) as unknown;

beforeAll(async () => {
  endpoint = await startLambdaEndpoint(new Map([[ARN, fn]]), { region: 'us-east-1' });
});
afterAll(async () => {
  await endpoint.close();
  await fn.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('local Lambda Invoke endpoint', () => {
  it('invokes a function by name for its own account and returns its result', async () => {
    const invoked = await client('111111111111').send(
      new InvokeCommand({ FunctionName: 'cancel', Payload: Buffer.from(JSON.stringify({ certificateId: 'abc' })) }),
    );
    expect(invoked.StatusCode).toBe(200);
    expect(invoked.FunctionError).toBeUndefined();
    expect(payload(invoked.Payload)).toEqual({ cancelled: 'abc' });
  });

  it('reports a handler error as Lambda does: 200 with FunctionError Unhandled and the error type', async () => {
    const invoked = await client('111111111111').send(new InvokeCommand({ FunctionName: ARN, Payload: Buffer.from('{"fail":true}') }));
    expect(invoked.FunctionError).toBe('Unhandled');
    expect(payload(invoked.Payload)).toMatchObject({
      errorType: 'TransferAlreadyCompletedException',
      errorMessage: 'certificate is not pending',
    });
  });

  it("answers ResourceNotFoundException for another account's function", async () => {
    await expect(client('222222222222').send(new InvokeCommand({ FunctionName: ARN }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 404 },
    });
  });
});
