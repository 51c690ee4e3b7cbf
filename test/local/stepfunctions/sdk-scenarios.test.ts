import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  type DescribeExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import { StepFunctionsEngine, startStepFunctionsEndpoint, type StepFunctionsEndpoint } from '../../../local/stepfunctions';

const ACCOUNT = '111111111111';
const REGION = 'us-east-1';
const fnArn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
const machineArn = (name: string) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;

/** The callback task as CDK emits it for `.waitForTaskToken`. */
const callbackTask = (extra: Record<string, unknown> = {}) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
  Parameters: { FunctionName: fnArn('notify'), Payload: { 'token.$': '$$.Task.Token', 'input.$': '$' } },
  ...extra,
});

const MACHINES: Record<string, unknown> = {
  retries: {
    StartAt: 'Flaky',
    States: {
      Flaky: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: fnArn('flaky'), 'Payload.$': '$' },
        ResultSelector: { 'value.$': '$.Payload.value' },
        Retry: [{ ErrorEquals: ['Flaky'], IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 3 }],
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Caught' }],
        ResultPath: '$.result',
        End: true,
      },
      Caught: { Type: 'Pass', End: true },
    },
  },
  fanOut: {
    StartAt: 'Both',
    States: {
      Both: {
        Type: 'Parallel',
        Branches: [
          {
            StartAt: 'Items',
            States: {
              Items: {
                Type: 'Map',
                ItemsPath: '$.items',
                MaxConcurrency: 2,
                ItemSelector: { 'n.$': '$$.Map.Item.Value' },
                ItemProcessor: { StartAt: 'Double', States: { Double: { Type: 'Task', Resource: fnArn('double'), End: true } } },
                End: true,
              },
            },
          },
          {
            StartAt: 'Wait',
            States: { Wait: { Type: 'Wait', Seconds: 3600, Next: 'Done' }, Done: { Type: 'Pass', Result: 'waited an hour', End: true } },
          },
        ],
        End: true,
      },
    },
  },
  callback: {
    StartAt: 'Ask',
    States: {
      Ask: callbackTask({
        TimeoutSeconds: 86400,
        ResultPath: '$.answer',
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Refused' }],
        Next: 'Answered',
      }),
      Answered: { Type: 'Succeed' },
      Refused: { Type: 'Fail', ErrorPath: '$.failure.Error', CausePath: '$.failure.Cause' },
    },
  },
  timeouts: {
    StartAt: 'Ask',
    States: {
      Ask: callbackTask({
        TimeoutSecondsPath: '$.timeout',
        HeartbeatSeconds: 600,
        Catch: [{ ErrorEquals: ['States.Timeout', 'States.HeartbeatTimeout'], ResultPath: '$.failure', Next: 'TimedOut' }],
        End: true,
      }),
      TimedOut: { Type: 'Pass', End: true },
    },
  },
  longWait: { StartAt: 'Wait', States: { Wait: { Type: 'Wait', SecondsPath: '$.seconds', Next: 'Done' }, Done: { Type: 'Succeed' } } },
};

describe('the local Step Functions API, driven with the SDK', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'certflow-sfn-'));
  let engine: StepFunctionsEngine;
  let endpoint: StepFunctionsEndpoint;
  let client: SFNClient;
  const flakyCalls: number[] = [];
  let running = 0;
  let mostConcurrent = 0;
  const notified: Array<{ token: string; input: unknown }> = [];

  async function open(): Promise<void> {
    engine = new StepFunctionsEngine({ region: REGION, timeScale: 0.0001, dataDir });
    engine.registerLambdaFunction(fnArn('flaky'), async (event) => {
      const { failures } = event as { failures: number };
      flakyCalls.push(failures);
      if (flakyCalls.filter((value) => value === failures).length <= failures) throw Object.assign(new Error('not yet'), { name: 'Flaky' });
      return { value: 'worked' };
    });
    engine.registerLambdaFunction(fnArn('double'), async (event) => {
      running += 1;
      mostConcurrent = Math.max(mostConcurrent, running);
      await new Promise((resolve) => setTimeout(resolve, 20));
      running -= 1;
      return (event as { n: number }).n * 2;
    });
    engine.registerLambdaFunction(fnArn('notify'), async (event) => {
      notified.push(event as { token: string; input: unknown });
      return {};
    });
    for (const [name, definition] of Object.entries(MACHINES))
      engine.createStateMachine({ name, arn: machineArn(name), definition: JSON.stringify(definition) });
    engine.resumeExecutions();
    endpoint = await startStepFunctionsEndpoint(engine);
    client = new SFNClient({
      region: REGION,
      endpoint: endpoint.url,
      credentials: { accessKeyId: `AKIA${ACCOUNT}LOCL`, secretAccessKey: 'x' },
    });
  }
  async function shut(): Promise<void> {
    client.destroy();
    await endpoint.close();
    await engine.close();
  }
  beforeAll(open);
  afterAll(async () => {
    await shut();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async (machine: string, input: unknown, name?: string) =>
    (await client.send(new StartExecutionCommand({ stateMachineArn: machineArn(machine), input: JSON.stringify(input), name })))
      .executionArn ?? '';
  const finished = async (executionArn: string): Promise<DescribeExecutionCommandOutput> => {
    await engine.waitForExecution(executionArn);
    return client.send(new DescribeExecutionCommand({ executionArn }));
  };
  const tokenFor = async (marker: string): Promise<string> => {
    for (let waited = 0; waited < 10_000; waited += 10) {
      const found = notified.find((event) => JSON.stringify(event.input).includes(marker));
      if (found) return found.token;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no callback for ${marker}`);
  };

  it('retries with backoff until the task works, and catches what retries cannot fix', async () => {
    const recovered = await finished(await start('retries', { failures: 2 }));
    expect(recovered.status).toBe('SUCCEEDED');
    expect(JSON.parse(recovered.output ?? '{}')).toEqual({ failures: 2, result: { value: 'worked' } });
    const history = await client.send(new GetExecutionHistoryCommand({ executionArn: recovered.executionArn }));
    expect(history.events?.filter((event) => event.type === 'TaskFailed')).toHaveLength(2);
    expect(history.events?.[0]?.type).toBe('ExecutionStarted');
    expect(history.events?.at(-1)?.type).toBe('ExecutionSucceeded');

    const caught = await finished(await start('retries', { failures: 5 }));
    expect(JSON.parse(caught.output ?? '{}')).toMatchObject({
      error: { Error: 'Flaky', Cause: expect.stringContaining('"errorMessage":"not yet"') },
    });
  });

  it('runs Map items with at most MaxConcurrency at once, in order, beside a Parallel branch whose hour-long Wait is time-scaled', async () => {
    const result = await finished(await start('fanOut', { items: [1, 2, 3, 4, 5] }));
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output ?? '[]')).toEqual([[2, 4, 6, 8, 10], 'waited an hour']);
    expect(mostConcurrent).toBe(2);
  });

  it('completes a callback task with SendTaskSuccess, and the token then no longer works', async () => {
    const executionArn = await start('callback', { marker: 'success' });
    const token = await tokenFor('success');
    expect(token).toMatch(/^[A-Za-z0-9_-]{128,}$/);
    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ decision: 'APPROVED' }) }));
    const result = await finished(executionArn);
    expect(JSON.parse(result.output ?? '{}')).toEqual({ marker: 'success', answer: { decision: 'APPROVED' } });
    // A closed task's token is "expired or already closed": TaskTimedOut, per the API reference.
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toMatchObject({
      name: 'TaskTimedOut',
    });
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: 'not-a-token', output: '{}' }))).rejects.toMatchObject({
      name: 'InvalidToken',
    });
  });

  it('fails a callback task with SendTaskFailure: Catch sees the error and cause', async () => {
    const executionArn = await start('callback', { marker: 'failure' });
    const token = await tokenFor('failure');
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: token, output: 'not json' }))).rejects.toMatchObject({
      name: 'InvalidOutput',
    });
    await client.send(new SendTaskFailureCommand({ taskToken: token, error: 'RequestCancelled', cause: 'cancelled by alice' }));
    expect(await finished(executionArn)).toMatchObject({ status: 'FAILED', error: 'RequestCancelled', cause: 'cancelled by alice' });
  });

  it('times out a callback task at TimeoutSeconds and at HeartbeatSeconds, and answers TaskTimedOut afterwards', async () => {
    const timedOut = await start('timeouts', { marker: 'deadline', timeout: 60 });
    const token = await tokenFor('deadline');
    expect(JSON.parse((await finished(timedOut)).output ?? '{}')).toMatchObject({ failure: { Error: 'States.Timeout' } });
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toMatchObject({
      name: 'TaskTimedOut',
    });

    const silent = await start('timeouts', { marker: 'heartbeat', timeout: 86400 });
    const heartbeatToken = await tokenFor('heartbeat');
    await client.send(new SendTaskHeartbeatCommand({ taskToken: heartbeatToken }));
    expect(JSON.parse((await finished(silent)).output ?? '{}')).toMatchObject({ failure: { Error: 'States.HeartbeatTimeout' } });
  });

  it('makes StartExecution idempotent by name and input, and refuses a reused name or a bad one', async () => {
    const first = await start('longWait', { seconds: 86400 }, 'nightly-1');
    expect(await start('longWait', { seconds: 86400 }, 'nightly-1')).toBe(first);
    await expect(start('longWait', { seconds: 1 }, 'nightly-1')).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    await expect(start('longWait', {}, 'has space')).rejects.toMatchObject({ name: 'InvalidName' });
    await expect(client.send(new StartExecutionCommand({ stateMachineArn: machineArn('longWait'), input: '{' }))).rejects.toMatchObject({
      name: 'InvalidExecutionInput',
    });
    await client.send(new StopExecutionCommand({ executionArn: first, error: 'Operator', cause: 'not tonight' }));
    expect(await client.send(new DescribeExecutionCommand({ executionArn: first }))).toMatchObject({
      status: 'ABORTED',
      error: 'Operator',
      cause: 'not tonight',
    });
  });

  it('lists executions page by page and by status, and hides them from other accounts', async () => {
    for (let index = 0; index < 3; index += 1) await finished(await start('retries', { failures: 0 }));
    const firstPage = await client.send(new ListExecutionsCommand({ stateMachineArn: machineArn('retries'), maxResults: 2 }));
    expect(firstPage.executions).toHaveLength(2);
    const secondPage = await client.send(
      new ListExecutionsCommand({ stateMachineArn: machineArn('retries'), maxResults: 2, nextToken: firstPage.nextToken }),
    );
    expect((secondPage.executions ?? []).length).toBeGreaterThan(0);
    const aborted = await client.send(new ListExecutionsCommand({ stateMachineArn: machineArn('longWait'), statusFilter: 'ABORTED' }));
    expect(aborted.executions?.map((execution) => execution.name)).toEqual(['nightly-1']);

    const stranger = new SFNClient({
      region: REGION,
      endpoint: endpoint.url,
      credentials: { accessKeyId: 'AKIA222222222222LOCL', secretAccessKey: 'x' },
    });
    await expect(
      stranger.send(new DescribeExecutionCommand({ executionArn: firstPage.executions?.[0]?.executionArn })),
    ).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
    stranger.destroy();
  });

  it('resumes a waiting execution and a waiting callback after a restart on the same data folder', async () => {
    const waiting = await start('longWait', { seconds: 20_000 });
    const asking = await start('callback', { marker: 'restart' });
    const token = await tokenFor('restart');
    const callsBefore = notified.length;
    await shut();
    await open();
    expect((await client.send(new DescribeExecutionCommand({ executionArn: waiting }))).status).toBe('RUNNING');
    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"after":"restart"}' }));
    expect(JSON.parse((await finished(asking)).output ?? '{}')).toMatchObject({ answer: { after: 'restart' } });
    expect(notified.length).toBe(callsBefore);
    expect((await finished(waiting)).status).toBe('SUCCEEDED');
  });

  it('refuses a JSONata definition rather than mis-running it', () => {
    expect(() =>
      engine.createStateMachine({
        name: 'jsonata',
        arn: machineArn('jsonata'),
        definition: JSON.stringify({ QueryLanguage: 'JSONata', StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }),
      }),
    ).toThrow('runs only the JSONPath dialect');
  });
});
