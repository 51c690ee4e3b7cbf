import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LocalLambdaFunction } from '../../../local/lambda/local-lambda-function';

const dir = mkdtempSync(path.join(tmpdir(), 'certflow-lambda-'));
const bundleFile = path.join(dir, 'index.js');
// A module-level counter, as a warm container keeps it; each call waits a little so that two calls overlap.
writeFileSync(
  bundleFile,
  'let calls = 0; exports.handler = async (event) => { calls += 1; const seen = calls; await new Promise((r) => setTimeout(r, event.waitMs)); return seen; };',
);
const fn = new LocalLambdaFunction({
  functionName: 'counter',
  functionArn: 'arn:aws:lambda:us-east-1:111111111111:function:counter',
  bundleFile,
  handlerExport: 'handler',
  environment: {},
  timeoutMs: 5_000,
});
afterAll(async () => {
  await fn.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('LocalLambdaFunction', () => {
  it('starts no environment before the first invocation', () => {
    expect(fn.environments).toBe(0);
  });

  it('runs concurrent invocations in environments of their own, and reuses a warm one afterwards', async () => {
    const concurrent = await Promise.all([fn.invoke({ waitMs: 200 }), fn.invoke({ waitMs: 200 }), fn.invoke({ waitMs: 200 })]);
    // Each overlapping call had a module of its own: each counted its first call.
    expect(concurrent).toEqual([1, 1, 1]);
    expect(fn.environments).toBe(3);
    // A later call finds a warm environment: its module has counted before.
    expect(await fn.invoke({ waitMs: 0 })).toBe(2);
    expect(fn.environments).toBe(3);
  });

  it('does not reuse an environment whose invocation timed out', async () => {
    const slow = new LocalLambdaFunction({
      functionName: 'slow',
      functionArn: 'arn:aws:lambda:us-east-1:111111111111:function:slow',
      bundleFile,
      handlerExport: 'handler',
      environment: {},
      timeoutMs: 1_500,
    });
    try {
      await expect(slow.invoke({ waitMs: 4_000 })).rejects.toMatchObject({ name: 'Sandbox.Timedout' });
      expect(slow.environments).toBe(0);
      // A fresh environment: its module starts counting again.
      expect(await slow.invoke({ waitMs: 0 })).toBe(1);
    } finally {
      await slow.close();
    }
  });
});
