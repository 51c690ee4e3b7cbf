import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LambdaInvocationError, LocalLambdaFunction } from '../../../local/lambda/local-lambda-function';

const dir = mkdtempSync(path.join(tmpdir(), 'certflow-lambda-'));
const bundleFile = path.join(dir, 'index.js');
writeFileSync(
  bundleFile,
  `exports.handler = async (event, context) => {
     if (event.fail) { const error = new Error('certificate is ACTIVE'); error.name = 'CertificateStateException'; throw error; }
     if (event.hang) return new Promise(() => {});
     return { table: process.env.AUDIT_TABLE_NAME, requestId: context.awsRequestId, remaining: context.getRemainingTimeInMillis(), echo: event };
   };`,
);

function start(name: string, table: string, timeoutMs = 5000): LocalLambdaFunction {
  return new LocalLambdaFunction({
    functionName: name,
    functionArn: `arn:aws:lambda:us-east-1:111111111111:function:${name}`,
    bundleFile,
    handlerExport: 'handler',
    environment: { AUDIT_TABLE_NAME: table },
    timeoutMs,
  });
}

const first = start('first', 'table-a');
const second = start('second', 'table-b');
const slow = start('slow', 'table-c', 200);

afterAll(async () => {
  await Promise.all([first.close(), second.close(), slow.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('LocalLambdaFunction', () => {
  it('gives each function its own environment in one process', async () => {
    const [a, b] = (await Promise.all([first.invoke({ n: 1 }), second.invoke({ n: 2 })])) as Array<{ table: string; echo: unknown }>;
    expect(a).toMatchObject({ table: 'table-a', echo: { n: 1 } });
    expect(b).toMatchObject({ table: 'table-b', echo: { n: 2 } });
    expect(process.env.AUDIT_TABLE_NAME).toBeUndefined();
  });

  it('passes a Lambda-like context', async () => {
    const result = (await first.invoke({})) as { requestId: string; remaining: number };
    expect(result.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.remaining).toBeGreaterThan(0);
    expect(result.remaining).toBeLessThanOrEqual(5000);
  });

  it('rejects with the handler error name as the error type, as Lambda reports it', async () => {
    const error = await first.invoke({ fail: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LambdaInvocationError);
    expect(error).toMatchObject({ name: 'CertificateStateException', message: 'certificate is ACTIVE', functionName: 'first' });
  });

  it('times out an invocation that runs past the function timeout', async () => {
    await expect(slow.invoke({ hang: true })).rejects.toMatchObject({ name: 'Sandbox.Timedout' });
  });
});
