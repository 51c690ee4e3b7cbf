import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { IdleEnvironments, LocalLambdaFunction, type LocalLambdaFunctionOptions } from '../../../local/lambda/local-lambda-function';

const dir = mkdtempSync(path.join(tmpdir(), 'certflow-lambda-'));
const bundleFile = path.join(dir, 'index.js');
// A module-level counter, as a warm container keeps it; each call waits a little so that two calls overlap.
writeFileSync(
  bundleFile,
  'let calls = 0; exports.handler = async (event) => { calls += 1; const seen = calls; await new Promise((r) => setTimeout(r, event.waitMs)); return seen; };',
);
/** A function named `name` running the counter bundle (5 s timeout, 128 MB), with `change` applied. */
function localFunction(name: string, change: Partial<LocalLambdaFunctionOptions> = {}): LocalLambdaFunction {
  return new LocalLambdaFunction({
    functionName: name,
    functionArn: `arn:aws:lambda:us-east-1:111111111111:function:${name}`,
    bundleFile,
    handlerExport: 'handler',
    environment: {},
    timeoutMs: 5_000,
    memorySizeMb: 128,
    ...change,
  });
}
const fn = localFunction('counter');
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
    const slow = localFunction('slow', { timeoutMs: 1_500 });
    try {
      await expect(slow.invoke({ waitMs: 4_000 })).rejects.toMatchObject({ name: 'Sandbox.Timedout' });
      expect(slow.environments).toBe(0);
      // A fresh environment: its module starts counting again.
      expect(await slow.invoke({ waitMs: 0 })).toBe(1);
    } finally {
      await slow.close();
    }
  });

  it('stops an environment once it has been idle for idleEnvironmentMs, and starts a fresh one on the next call', async () => {
    const shortLived = localFunction('short-lived', { idleEnvironmentMs: 200 });
    try {
      expect(await shortLived.invoke({ waitMs: 0 })).toBe(1);
      expect(shortLived.environments).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(shortLived.environments).toBe(0);
      // Cold again: the module counts from the start.
      expect(await shortLived.invoke({ waitMs: 0 })).toBe(1);
    } finally {
      await shortLived.close();
    }
  });

  it('tells the handler its MemorySize, and fails an invocation whose heap outgrows it as Runtime.ExitError', async () => {
    const memoryFile = path.join(dir, 'memory.js');
    writeFileSync(
      memoryFile,
      [
        'const kept = [];',
        'exports.handler = async (event, context) => {',
        '  if (!event.grow) return { fromContext: context.memoryLimitInMB, fromEnvironment: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE };',
        '  for (;;) kept.push(new Array(100000).fill(kept.length));',
        '};',
      ].join('\n'),
    );
    const hungry = localFunction('hungry', { bundleFile: memoryFile, timeoutMs: 20_000 });
    try {
      expect(await hungry.invoke({ grow: false })).toEqual({ fromContext: '128', fromEnvironment: '128' });
      await expect(hungry.invoke({ grow: true })).rejects.toMatchObject({ name: 'Runtime.ExitError' });
      expect(hungry.environments).toBe(0);
    } finally {
      await hungry.close();
    }
  });

  it('stops the environment idle longest when more functions than the shared cap go idle', async () => {
    const cap = new IdleEnvironments(1);
    const make = (name: string) => localFunction(name, { idleEnvironments: cap });
    const first = make('first');
    const second = make('second');
    try {
      await first.invoke({ waitMs: 0 });
      expect([first.environments, cap.count]).toEqual([1, 1]);
      await second.invoke({ waitMs: 0 });
      // The second went idle beyond the cap of 1: the first, idle longer, was stopped.
      expect([first.environments, second.environments, cap.count]).toEqual([0, 1, 1]);
      expect(await second.invoke({ waitMs: 0 })).toBe(2);
      expect(await first.invoke({ waitMs: 0 })).toBe(1);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
    expect(cap.count).toBe(0);
  });
});
