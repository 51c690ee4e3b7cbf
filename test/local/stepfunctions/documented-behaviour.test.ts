/**
 * Behaviour the Step Functions developer guide documents ("Error handling", "Quotas",
 * "Context object", the Lambda integration), each test written from the guide's words.
 */
import { StepFunctionsEngine } from '../../../local/stepfunctions';
import { deploy, functionArn, recordingFunction, REGION } from './state-machine-fixtures';

describe('the engine as the Step Functions developer guide documents it', () => {
  let engine: StepFunctionsEngine;
  beforeEach(() => {
    engine = new StepFunctionsEngine({ region: REGION, timeScale: 0.001 });
  });
  afterEach(() => engine.close());

  const run = async (definition: object, input: unknown = {}) => {
    const arn = deploy(engine, `machine-${Math.random().toString(36).slice(2)}`, definition);
    const { executionArn } = engine.startExecution({ stateMachineArn: arn, input: JSON.stringify(input) });
    const result = await engine.waitForExecution(executionArn);
    const types = engine.getExecutionHistory({ executionArn }).events.map((event) => event.type as string);
    return {
      ...result,
      parsedOutput: result.output === undefined ? undefined : (JSON.parse(result.output) as unknown),
      executionArn,
      types,
    };
  };
  const catchAll = { ErrorEquals: ['States.ALL'], ResultPath: '$.caught', Next: 'Recovered' };
  const recovered = { Type: 'Pass', End: true };
  const bigString = 'x'.repeat(256 * 1024);

  describe('payload quota (256 KiB)', () => {
    it('refuses StartExecution with an input over 256 KiB', () => {
      const arn = deploy(engine, 'small', { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
      expect(() => engine.startExecution({ stateMachineArn: arn, input: JSON.stringify({ big: bigString }) })).toThrow(
        expect.objectContaining({ type: 'ValidationException' }),
      );
    });

    it('refuses SendTaskSuccess with an output over 256 KiB, and SendTaskFailure with an error over 256 characters', () => {
      expect(() => engine.sendTaskSuccess({ taskToken: 'any', output: JSON.stringify(bigString) })).toThrow(
        expect.objectContaining({ type: 'ValidationException' }),
      );
      expect(() => engine.sendTaskFailure({ taskToken: 'any', error: 'E'.repeat(257) })).toThrow(
        expect.objectContaining({ type: 'ValidationException' }),
      );
    });

    it('fails with States.DataLimitExceeded when a state output is over 256 KiB, which States.ALL does not catch', async () => {
      engine.registerLambdaFunction(functionArn('big'), async () => bigString);
      const result = await run({
        StartAt: 'Big',
        States: { Big: { Type: 'Task', Resource: functionArn('big'), Catch: [catchAll], End: true }, Recovered: recovered },
      });
      expect(result).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    });

    it('fails with States.DataLimitExceeded when a Pass state builds an output over 256 KiB', async () => {
      const result = await run(
        { StartAt: 'Grow', States: { Grow: { Type: 'Pass', Parameters: { 'a.$': '$.half', 'b.$': '$.half' }, End: true } } },
        { half: 'y'.repeat(140 * 1024) },
      );
      expect(result).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    });

    it('lets a catcher that names States.DataLimitExceeded catch it', async () => {
      engine.registerLambdaFunction(functionArn('big'), async () => bigString);
      const result = await run({
        StartAt: 'Big',
        States: {
          Big: {
            Type: 'Task',
            Resource: functionArn('big'),
            Catch: [{ ErrorEquals: ['States.DataLimitExceeded'], ResultPath: '$.caught', Next: 'Recovered' }],
            End: true,
          },
          Recovered: recovered,
        },
      });
      expect(result.status).toBe('SUCCEEDED');
      expect(result.parsedOutput).toMatchObject({ caught: { Error: 'States.DataLimitExceeded' } });
    });
  });

  describe('States.Runtime', () => {
    it('is not caught by the state when its own ResultSelector selects nothing: the execution fails', async () => {
      engine.registerLambdaFunction(functionArn('echo'), async (event) => event);
      const result = await run({
        StartAt: 'Call',
        States: {
          Call: { Type: 'Task', Resource: functionArn('echo'), ResultSelector: { 'x.$': '$.missing' }, Catch: [catchAll], End: true },
          Recovered: recovered,
        },
      });
      expect(result).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
      expect(result.types).not.toContain('PassStateEntered');
    });

    it('is not caught when the OutputPath selects nothing, nor retried, even by a rule that names it', async () => {
      const calls = recordingFunction(() => ({ ok: true }));
      engine.registerLambdaFunction(functionArn('echo'), calls.invoke);
      const result = await run({
        StartAt: 'Call',
        States: {
          Call: {
            Type: 'Task',
            Resource: functionArn('echo'),
            OutputPath: '$.missing',
            Retry: [{ ErrorEquals: ['States.Runtime'], MaxAttempts: 2, IntervalSeconds: 1 }],
            Catch: [{ ErrorEquals: ['States.Runtime'], Next: 'Recovered' }],
            End: true,
          },
          Recovered: recovered,
        },
      });
      expect(result).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
      expect(calls.events).toHaveLength(1);
    });

    it('names the state and its StateEntered event id in the cause, as AWS prefixes it', async () => {
      const result = await run({
        StartAt: 'First',
        States: { First: { Type: 'Pass', Next: 'Pick' }, Pick: { Type: 'Pass', InputPath: '$.missing', End: true } },
      });
      expect(result.status).toBe('FAILED');
      expect(result.cause).toMatch(/^An error occurred while executing the state 'Pick' \(entered at the event id #4\)\. /);
    });

    it('still lets the state catch a ResultPath that cannot be applied (States.ResultPathMatchFailure)', async () => {
      engine.registerLambdaFunction(functionArn('echo'), async () => 1);
      const result = await run(
        {
          StartAt: 'Call',
          States: {
            Call: {
              Type: 'Task',
              Resource: functionArn('echo'),
              ResultPath: '$.list.item',
              Catch: [{ ErrorEquals: ['States.ResultPathMatchFailure'], ResultPath: '$.caught', Next: 'Recovered' }],
              End: true,
            },
            Recovered: recovered,
          },
        },
        { list: [1] },
      );
      expect(result.status).toBe('SUCCEEDED');
      expect(result.parsedOutput).toMatchObject({ caught: { Error: 'States.ResultPathMatchFailure' } });
    });
  });

  describe('Fail state', () => {
    it('reports no error and no cause when the Fail state names neither', async () => {
      const result = await run({ StartAt: 'F', States: { F: { Type: 'Fail' } } });
      expect(result.status).toBe('FAILED');
      expect(result).not.toHaveProperty('error');
      expect(result).not.toHaveProperty('cause');
      const failed = engine.getExecutionHistory({ executionArn: result.executionArn }).events.at(-1) as Record<string, unknown>;
      expect(failed).toMatchObject({ type: 'ExecutionFailed', executionFailedEventDetails: {} });
      expect(failed.executionFailedEventDetails).toEqual({});
    });
  });

  describe('context object', () => {
    it('has $$.Execution.RedriveCount, 0 for an execution never redriven', async () => {
      const result = await run({
        StartAt: 'P',
        States: { P: { Type: 'Pass', Parameters: { 'redrives.$': '$$.Execution.RedriveCount' }, End: true } },
      });
      expect(result.parsedOutput).toEqual({ redrives: 0 });
    });
  });

  describe('maximum execution time (1 year)', () => {
    it('times out an execution whose Wait goes beyond one year with States.Timeout', async () => {
      // A year in about 3 s, a 400-day Wait in about 3.5 s.
      const fast = new StepFunctionsEngine({ region: REGION, timeScale: 1e-7 });
      try {
        const arn = deploy(fast, 'long-wait', { StartAt: 'Long', States: { Long: { Type: 'Wait', Seconds: 400 * 24 * 3600, End: true } } });
        const { executionArn } = fast.startExecution({ stateMachineArn: arn });
        expect(await fast.waitForExecution(executionArn)).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
      } finally {
        await fast.close();
      }
    });
  });

  describe('Lambda integration (lambda:invoke)', () => {
    it('hands the function a string Payload as the JSON it holds, not JSON-encoded again', async () => {
      const fn = recordingFunction(() => ({}));
      engine.registerLambdaFunction(functionArn('receiver'), fn.invoke);
      await run(
        {
          StartAt: 'Call',
          States: {
            Call: {
              Type: 'Task',
              Resource: 'arn:aws:states:::lambda:invoke',
              Parameters: { FunctionName: functionArn('receiver'), 'Payload.$': 'States.JsonToString($)' },
              End: true,
            },
          },
        },
        { certificateId: 'c-1' },
      );
      expect(fn.events).toEqual([{ certificateId: 'c-1' }]);
    });

    it('gives the function {} when the task has no Payload', async () => {
      const fn = recordingFunction(() => ({}));
      engine.registerLambdaFunction(functionArn('receiver'), fn.invoke);
      await run(
        {
          StartAt: 'Call',
          States: {
            Call: {
              Type: 'Task',
              Resource: 'arn:aws:states:::lambda:invoke',
              Parameters: { FunctionName: functionArn('receiver') },
              End: true,
            },
          },
        },
        { a: 1 },
      );
      expect(fn.events).toEqual([{}]);
    });
  });

  describe('history events', () => {
    it('records a Parallel state with the HistoryEventType names: Entered, Started, Succeeded, Exited', async () => {
      const result = await run({
        StartAt: 'Both',
        States: { Both: { Type: 'Parallel', Branches: [{ StartAt: 'A', States: { A: { Type: 'Pass', End: true } } }], End: true } },
      });
      expect(result.types).toEqual([
        'ExecutionStarted',
        'ParallelStateEntered',
        'ParallelStateStarted',
        'PassStateEntered',
        'PassStateExited',
        'ParallelStateSucceeded',
        'ParallelStateExited',
        'ExecutionSucceeded',
      ]);
    });

    it('records one TaskFailed per failed attempt under Retry, and no TaskStateExited when the state fails', async () => {
      const fn = recordingFunction(() => {
        throw Object.assign(new Error('nope'), { name: 'Flaky' });
      });
      engine.registerLambdaFunction(functionArn('flaky'), fn.invoke);
      const result = await run({
        StartAt: 'Call',
        States: {
          Call: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: { FunctionName: functionArn('flaky') },
            Retry: [{ ErrorEquals: ['Flaky'], MaxAttempts: 2, IntervalSeconds: 1 }],
            End: true,
          },
        },
      });
      expect(result.types.filter((type) => type === 'TaskFailed')).toHaveLength(3);
      expect(result.types.filter((type) => type === 'TaskScheduled')).toHaveLength(3);
      expect(result.types).not.toContain('TaskStateExited');
      expect(result.types.at(-1)).toBe('ExecutionFailed');
    });
  });
});
