import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { StepFunctionsEngine } from '../../../local/stepfunctions';
import { deploy, eventually, functionArn, recordingFunction, REGION } from './state-machine-fixtures';

describe('StepFunctionsEngine on a data folder', () => {
  let dataDir: string;
  const open: StepFunctionsEngine[] = [];
  const engineOn = (timeScale = 0.01) => {
    const engine = new StepFunctionsEngine({ region: REGION, timeScale, dataDir });
    open.push(engine);
    return engine;
  };
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'certflow-sfn-'));
  });
  afterEach(async () => {
    for (const engine of open.splice(0)) await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const historyTypes = (engine: StepFunctionsEngine, executionArn: string) =>
    engine.getExecutionHistory({ executionArn }).events.map((event) => event.type as string);

  it('resumes a Wait after a restart with the time it had left, and keeps state machines and history', async () => {
    const first = engineOn();
    const arn = deploy(first, 'waiting', {
      StartAt: 'Settle',
      States: { Settle: { Type: 'Wait', Seconds: 60, Next: 'Done' }, Done: { Type: 'Pass', Result: 'done', End: true } },
    });
    const { executionArn } = first.startExecution({ stateMachineArn: arn, name: 'wait-1' });
    await eventually('the Wait state', () => historyTypes(first, executionArn).includes('WaitStateEntered'));
    await first.close();

    const second = engineOn();
    expect(second.describeStateMachine({ stateMachineArn: arn }).name).toBe('waiting');
    expect(second.describeExecution({ executionArn }).status).toBe('RUNNING');
    second.resumeExecutions();
    const finished = await second.waitForExecution(executionArn);
    expect(finished).toMatchObject({ status: 'SUCCEEDED', output: '"done"' });
    const types = historyTypes(second, executionArn);
    expect(types.filter((type) => type === 'WaitStateEntered')).toHaveLength(1);
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    second.getExecutionHistory({ executionArn }).events.forEach((event, index) => expect(event.id).toBe(index + 1));
  });

  const callbackDefinition = {
    StartAt: 'Approve',
    States: {
      Approve: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { FunctionName: functionArn('request-approval'), Payload: { 'taskToken.$': '$$.Task.Token' } },
        TimeoutSeconds: 86_400,
        End: true,
      },
    },
  };

  it('keeps a waiting task token valid across a restart without invoking the function again', async () => {
    const requests = recordingFunction(() => ({ sent: true }));
    const first = engineOn();
    first.registerLambdaFunction(functionArn('request-approval'), requests.invoke);
    const arn = deploy(first, 'approval', callbackDefinition);
    const { executionArn } = first.startExecution({ stateMachineArn: arn, name: 'approve-1' });
    const { taskToken } = await eventually('the approval request', () => requests.events[0] as { taskToken: string } | undefined);
    await eventually('the task to be submitted', () => historyTypes(first, executionArn).includes('TaskSubmitted'));
    await first.close();

    const second = engineOn();
    second.registerLambdaFunction(functionArn('request-approval'), requests.invoke);
    second.resumeExecutions();
    second.sendTaskSuccess({ taskToken, output: '{"decision":"APPROVED"}' });
    expect(await second.waitForExecution(executionArn)).toMatchObject({ status: 'SUCCEEDED', output: '{"decision":"APPROVED"}' });
    expect(requests.events).toHaveLength(1);
    expect(() => second.sendTaskSuccess({ taskToken, output: '{}' })).toThrow(expect.objectContaining({ type: 'TaskTimedOut' }));
  });

  it('accepts SendTaskSuccess for a resumed token even before resumeExecutions is called', async () => {
    const requests = recordingFunction(() => ({ sent: true }));
    const first = engineOn();
    first.registerLambdaFunction(functionArn('request-approval'), requests.invoke);
    const arn = deploy(first, 'approval', callbackDefinition);
    const { executionArn } = first.startExecution({ stateMachineArn: arn });
    const { taskToken } = await eventually('the approval request', () => requests.events[0] as { taskToken: string } | undefined);
    await eventually('the task to be submitted', () => historyTypes(first, executionArn).includes('TaskSubmitted'));
    await first.close();

    const second = engineOn();
    second.sendTaskSuccess({ taskToken, output: '{"early":true}' });
    second.resumeExecutions();
    expect(await second.waitForExecution(executionArn)).toMatchObject({ status: 'SUCCEEDED', output: '{"early":true}' });
  });

  it('re-runs a Lambda task that was in flight when the engine closed (at least once, like a retry)', async () => {
    const first = engineOn();
    const started: unknown[] = [];
    first.registerLambdaFunction(functionArn('work'), (event) => {
      started.push(event);
      return new Promise(() => undefined);
    });
    const arn = deploy(first, 'work', { StartAt: 'Work', States: { Work: { Type: 'Task', Resource: functionArn('work'), End: true } } });
    const { executionArn } = first.startExecution({ stateMachineArn: arn, input: '{"job":7}' });
    await eventually('the function to start', () => started.length > 0);
    await first.close();

    const second = engineOn();
    const rerun = recordingFunction((event) => ({ finished: event }));
    second.registerLambdaFunction(functionArn('work'), rerun.invoke);
    second.resumeExecutions();
    expect(await second.waitForExecution(executionArn)).toMatchObject({ status: 'SUCCEEDED', output: '{"finished":{"job":7}}' });
    expect(rerun.events).toEqual([{ job: 7 }]);
  });

  it('keeps finished executions, and a token of a finished task is answered TaskTimedOut after a restart', async () => {
    const requests = recordingFunction(() => ({ sent: true }));
    const first = engineOn();
    first.registerLambdaFunction(functionArn('request-approval'), requests.invoke);
    const arn = deploy(first, 'approval', callbackDefinition);
    const { executionArn } = first.startExecution({ stateMachineArn: arn });
    const { taskToken } = await eventually('the approval request', () => requests.events[0] as { taskToken: string } | undefined);
    first.sendTaskFailure({ taskToken, error: 'Rejected', cause: 'no' });
    await first.waitForExecution(executionArn);
    await first.close();

    const second = engineOn();
    expect(second.describeExecution({ executionArn })).toMatchObject({ status: 'FAILED', error: 'Rejected', cause: 'no' });
    expect(second.listExecutions({ stateMachineArn: arn }).executions).toHaveLength(1);
    expect(() => second.sendTaskSuccess({ taskToken, output: '{}' })).toThrow(expect.objectContaining({ type: 'TaskTimedOut' }));
  });
});
