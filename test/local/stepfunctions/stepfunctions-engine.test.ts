import { StepFunctionsEngine } from '../../../local/stepfunctions';
import { cdkLambdaInvokeState, deploy, functionArn, functionError, recordingFunction, REGION } from './state-machine-fixtures';

describe('StepFunctionsEngine', () => {
  let engine: StepFunctionsEngine;
  beforeEach(() => {
    engine = new StepFunctionsEngine({ region: REGION, timeScale: 0.001 });
  });
  afterEach(() => engine.close());

  const run = async (definition: object, input: unknown = {}) => {
    const arn = deploy(engine, `machine-${Math.random().toString(36).slice(2)}`, definition);
    const { executionArn } = engine.startExecution({ stateMachineArn: arn, input: JSON.stringify(input) });
    const result = await engine.waitForExecution(executionArn);
    return { ...result, parsedOutput: result.output === undefined ? undefined : (JSON.parse(result.output) as unknown), executionArn };
  };

  it('runs lambda:invoke the way CDK synthesizes it and returns the Invoke response with the Payload parsed', async () => {
    const fn = recordingFunction((event) => ({ doubled: (event as { value: number }).value * 2 }));
    engine.registerLambdaFunction(functionArn('double'), fn.invoke);
    const result = await run(
      { StartAt: 'Double', States: { Double: cdkLambdaInvokeState(functionArn('double'), { End: true }) } },
      { value: 21 },
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(fn.events).toEqual([{ value: 21 }]);
    expect(result.parsedOutput).toMatchObject({
      ExecutedVersion: '$LATEST',
      Payload: { doubled: 42 },
      StatusCode: 200,
      SdkHttpMetadata: { HttpStatusCode: 200 },
    });
  });

  it('returns only the payload when the Resource is the function ARN (payloadResponseOnly)', async () => {
    engine.registerLambdaFunction(functionArn('echo'), async (event) => ({ got: event }));
    const result = await run(
      { StartAt: 'Echo', States: { Echo: { Type: 'Task', Resource: functionArn('echo'), ResultPath: '$.echo', End: true } } },
      { a: 1 },
    );
    expect(result.parsedOutput).toEqual({ a: 1, echo: { got: { a: 1 } } });
  });

  it('processes InputPath, Parameters with context paths and intrinsics, ResultSelector, ResultPath and OutputPath', async () => {
    engine.registerLambdaFunction(functionArn('echo'), async (event) => event);
    const result = await run(
      {
        StartAt: 'Call',
        States: {
          Call: {
            Type: 'Task',
            Resource: functionArn('echo'),
            InputPath: '$.request',
            Parameters: {
              'id.$': '$.id',
              'execution.$': '$$.Execution.Name',
              'state.$': '$$.State.Name',
              'label.$': "States.Format('cert {}', $.id)",
              fixed: 1,
            },
            ResultSelector: { 'label.$': '$.label', 'state.$': '$.state' },
            ResultPath: '$.result',
            OutputPath: '$.result',
            End: true,
          },
        },
      },
      { request: { id: 'c-1' }, other: true },
    );
    expect(result.parsedOutput).toEqual({ label: 'cert c-1', state: 'Call' });
  });

  it('fails with States.Runtime naming the path when a Parameters path is missing', async () => {
    const result = await run({ StartAt: 'P', States: { P: { Type: 'Pass', Parameters: { 'x.$': '$.missing' }, End: true } } }, {});
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(result.cause).toContain("The JSONPath '$.missing' specified for the field 'x.$' could not be found");
  });

  it("reports a function's error by its errorType with AWS's JSON cause, which Catch can route on", async () => {
    engine.registerLambdaFunction(functionArn('reject'), async () => {
      throw functionError('TransferConflict', 'already pending');
    });
    const caught = await run({
      StartAt: 'Call',
      States: {
        Call: {
          Type: 'Task',
          Resource: functionArn('reject'),
          Catch: [{ ErrorEquals: ['TransferConflict'], ResultPath: '$.error', Next: 'Handled' }],
          End: true,
        },
        Handled: { Type: 'Succeed' },
      },
    });
    expect(caught.parsedOutput).toEqual({
      error: {
        Error: 'TransferConflict',
        Cause: JSON.stringify({ errorMessage: 'already pending', errorType: 'TransferConflict', trace: [] }),
      },
    });
    const uncaught = await run({ StartAt: 'Call', States: { Call: { Type: 'Task', Resource: functionArn('reject'), End: true } } });
    expect(uncaught).toMatchObject({ status: 'FAILED', error: 'TransferConflict' });
  });

  it('reports a function time-out as Lambda.Unknown and a missing function as Lambda.ResourceNotFoundException', async () => {
    engine.registerLambdaFunction(functionArn('slow'), async () => {
      throw functionError('Sandbox.Timedout', 'Task timed out after 3.00 seconds');
    });
    expect(await run({ StartAt: 'Call', States: { Call: { Type: 'Task', Resource: functionArn('slow'), End: true } } })).toMatchObject({
      status: 'FAILED',
      error: 'Lambda.Unknown',
    });
    expect(await run({ StartAt: 'Call', States: { Call: cdkLambdaInvokeState(functionArn('nobody'), { End: true }) } })).toMatchObject({
      status: 'FAILED',
      error: 'Lambda.ResourceNotFoundException',
    });
  });

  it('refuses, when the state machine is created, a definition with a resource it does not run', () => {
    expect(() =>
      deploy(engine, 'put-item', {
        StartAt: 'Put',
        States: { Put: { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:putItem', Parameters: { TableName: 't' }, End: true } },
      }),
    ).toThrow(
      expect.objectContaining({
        type: 'InvalidDefinition',
        message: expect.stringContaining('arn:aws:states:::dynamodb:putItem') as unknown,
      }),
    );
  });

  it('retries with backoff up to MaxAttempts, then lets Catch handle the error', async () => {
    const fn = recordingFunction(() => {
      throw functionError('ThrottlingException', 'slow down');
    });
    engine.registerLambdaFunction(functionArn('flaky'), fn.invoke);
    const result = await run({
      StartAt: 'Call',
      States: {
        Call: {
          Type: 'Task',
          Resource: functionArn('flaky'),
          Retry: [
            {
              ErrorEquals: ['ThrottlingException'],
              IntervalSeconds: 2,
              BackoffRate: 2,
              MaxAttempts: 3,
              MaxDelaySeconds: 5,
              JitterStrategy: 'FULL',
            },
          ],
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'GaveUp' }],
          End: true,
        },
        GaveUp: { Type: 'Pass', End: true },
      },
    });
    expect(fn.events).toHaveLength(4);
    expect(result.parsedOutput).toMatchObject({ Error: 'ThrottlingException' });
  });

  it('exposes the retry count in $$.State.RetryCount and succeeds once a retry works', async () => {
    const fn = recordingFunction((_event, call) => {
      if (call < 3) throw functionError('Lambda.ServiceException', 'transient');
      return 'ok';
    });
    engine.registerLambdaFunction(functionArn('recovering'), fn.invoke);
    const result = await run({
      StartAt: 'Call',
      States: {
        Call: cdkLambdaInvokeState(
          functionArn('recovering'),
          { End: true },
          { Parameters: { FunctionName: functionArn('recovering'), 'Payload.$': '$$.State.RetryCount' } },
        ),
      },
    });
    expect(result.status).toBe('SUCCEEDED');
    expect(fn.events).toEqual([0, 1, 2]);
  });

  it('times a slow task out with States.Timeout after TimeoutSeconds', async () => {
    engine.registerLambdaFunction(functionArn('hang'), () => new Promise(() => undefined));
    const result = await run({
      StartAt: 'Call',
      States: {
        Call: {
          Type: 'Task',
          Resource: functionArn('hang'),
          TimeoutSeconds: 30,
          Catch: [{ ErrorEquals: ['States.Timeout'], Next: 'Late' }],
          End: true,
        },
        Late: { Type: 'Pass', End: true },
      },
    });
    expect(result.parsedOutput).toMatchObject({ Error: 'States.Timeout' });
  });

  it('times the whole execution out after the state machine TimeoutSeconds', async () => {
    const result = await run({ TimeoutSeconds: 60, StartAt: 'Long', States: { Long: { Type: 'Wait', Seconds: 3600, End: true } } });
    expect(result).toMatchObject({ status: 'TIMED_OUT' });
    expect(engine.getExecutionHistory({ executionArn: result.executionArn }).events.at(-1)).toMatchObject({ type: 'ExecutionTimedOut' });
  });

  it('chooses the first matching rule, falls back to Default, and fails with States.NoChoiceMatched otherwise', async () => {
    const definition = (withDefault: boolean) => ({
      StartAt: 'Route',
      States: {
        Route: {
          Type: 'Choice',
          Choices: [
            {
              And: [
                { Variable: '$.status', IsPresent: true },
                { Variable: '$.status', StringEquals: 'ACTIVE' },
              ],
              Next: 'Active',
            },
            { Variable: '$.count', NumericGreaterThanPath: '$.limit', Next: 'Over' },
          ],
          ...(withDefault ? { Default: 'Other' } : {}),
        },
        Active: { Type: 'Pass', Result: 'active', End: true },
        Over: { Type: 'Pass', Result: 'over', End: true },
        ...(withDefault ? { Other: { Type: 'Pass', Result: 'other', End: true } } : {}),
      },
    });
    expect((await run(definition(true), { status: 'ACTIVE' })).parsedOutput).toBe('active');
    expect((await run(definition(true), { count: 5, limit: 2 })).parsedOutput).toBe('over');
    expect((await run(definition(true), { count: 1, limit: 2 })).parsedOutput).toBe('other');
    expect(await run(definition(false), { count: 1, limit: 2 })).toMatchObject({ status: 'FAILED', error: 'States.NoChoiceMatched' });
  });

  it('waits for Seconds, SecondsPath and TimestampPath scaled by timeScale', async () => {
    await engine.close();
    engine = new StepFunctionsEngine({ region: REGION, timeScale: 0.00001 });
    const inAnHour = new Date(Date.now() + 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const result = await run(
      {
        StartAt: 'A',
        States: {
          A: { Type: 'Wait', Seconds: 3600, Next: 'B' },
          B: { Type: 'Wait', SecondsPath: '$.delay', Next: 'C' },
          C: { Type: 'Wait', TimestampPath: '$.until', End: true },
        },
      },
      { delay: 1800, until: inAnHour },
    );
    expect(result.status).toBe('SUCCEEDED');
  });

  it('runs Map iterations with at most MaxConcurrency at once and keeps the results in item order', async () => {
    let running = 0;
    let peak = 0;
    engine.registerLambdaFunction(functionArn('square'), async (event) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      const { value, index } = event as { value: number; index: number };
      return { square: value * value, index };
    });
    const result = await run(
      {
        StartAt: 'Each',
        States: {
          Each: {
            Type: 'Map',
            ItemsPath: '$.values',
            MaxConcurrency: 2,
            ItemSelector: { 'value.$': '$$.Map.Item.Value', 'index.$': '$$.Map.Item.Index' },
            ItemProcessor: {
              ProcessorConfig: { Mode: 'INLINE' },
              StartAt: 'Square',
              States: { Square: { Type: 'Task', Resource: functionArn('square'), End: true } },
            },
            ResultPath: '$.squares',
            End: true,
          },
        },
      },
      { values: [1, 2, 3, 4, 5] },
    );
    expect(peak).toBeLessThanOrEqual(2);
    expect(result.parsedOutput).toEqual({
      values: [1, 2, 3, 4, 5],
      squares: [1, 4, 9, 16, 25].map((square, index) => ({ square, index })),
    });
    const types = engine.getExecutionHistory({ executionArn: result.executionArn }).events.map((event) => event.type);
    expect(types.filter((type) => type === 'MapIterationSucceeded')).toHaveLength(5);
    expect(types).toContain('MapStateStarted');
  });

  it('fails a Map when an iteration fails and lets the Map state catch it', async () => {
    const result = await run(
      {
        StartAt: 'Each',
        States: {
          Each: {
            Type: 'Map',
            ItemsPath: '$.items',
            Iterator: {
              StartAt: 'Check',
              States: {
                Check: { Type: 'Choice', Choices: [{ Variable: '$', NumericEquals: 2, Next: 'Bad' }], Default: 'Good' },
                Bad: { Type: 'Fail', Error: 'BadItem', Cause: 'two' },
                Good: { Type: 'Succeed' },
              },
            },
            Catch: [{ ErrorEquals: ['BadItem'], ResultPath: '$.failure', Next: 'Done' }],
            End: true,
          },
          Done: { Type: 'Pass', End: true },
        },
      },
      { items: [1, 2, 3] },
    );
    expect(result.parsedOutput).toEqual({ items: [1, 2, 3], failure: { Error: 'BadItem', Cause: 'two' } });
  });

  it('runs Parallel branches on the same input and collects their outputs in branch order', async () => {
    const result = await run(
      {
        StartAt: 'Both',
        States: {
          Both: {
            Type: 'Parallel',
            Branches: [
              {
                StartAt: 'Slow',
                States: {
                  Slow: { Type: 'Wait', Seconds: 10, Next: 'First' },
                  First: { Type: 'Pass', Parameters: { 'first.$': '$.n' }, End: true },
                },
              },
              { StartAt: 'Second', States: { Second: { Type: 'Pass', Parameters: { 'second.$': 'States.MathAdd($.n, 1)' }, End: true } } },
            ],
            ResultSelector: { 'merged.$': 'States.JsonMerge($[0], $[1], false)' },
            End: true,
          },
        },
      },
      { n: 1 },
    );
    expect(result.parsedOutput).toEqual({ merged: { first: 1, second: 2 } });
  });

  it('fails a Parallel state with the failing branch error and cancels the other branches', async () => {
    const result = await run({
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'Forever', States: { Forever: { Type: 'Wait', Seconds: 100000, End: true } } },
            { StartAt: 'Boom', States: { Boom: { Type: 'Fail', Error: 'Boom', Cause: 'branch two' } } },
          ],
          End: true,
        },
      },
    });
    expect(result).toMatchObject({ status: 'FAILED', error: 'Boom', cause: 'branch two' });
  });

  it('fails with the Error and Cause a Fail state selects by path', async () => {
    const result = await run(
      { StartAt: 'F', States: { F: { Type: 'Fail', ErrorPath: '$.code', CausePath: "States.Format('because {}', $.why)" } } },
      { code: 'Denied', why: 'no' },
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'Denied', cause: 'because no' });
  });

  it('refuses a JSONata definition and an invalid one when the state machine is created', () => {
    expect(() =>
      deploy(engine, 'jsonata', { QueryLanguage: 'JSONata', StartAt: 'P', States: { P: { Type: 'Pass', Output: '{% 1 %}', End: true } } }),
    ).toThrow(/JSONata/);
    expect(() => deploy(engine, 'broken', { StartAt: 'P', States: { P: { Type: 'Pass', Next: 'Nowhere' } } })).toThrow(
      /Invalid State Machine Definition/,
    );
  });

  it('records the history with ids, causal previous ids and AWS event types', async () => {
    engine.registerLambdaFunction(functionArn('echo'), async (event) => event);
    const result = await run({
      StartAt: 'Call',
      States: { Call: cdkLambdaInvokeState(functionArn('echo'), { Next: 'Done' }), Done: { Type: 'Succeed' } },
    });
    const events = engine.getExecutionHistory({ executionArn: result.executionArn }).events;
    expect(events.map((event) => event.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    events.forEach((event, index) => expect(event).toMatchObject({ id: index + 1, previousEventId: index }));
    expect(events[2]).toMatchObject({ taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke', region: REGION } });
  });
});
