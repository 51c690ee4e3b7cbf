import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  DescribeStateMachineForExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  type DescribeExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import { StepFunctionsEngine, startStepFunctionsEndpoint, type StepFunctionsEndpoint } from '../../../local/stepfunctions';
import {
  ACCOUNT,
  cdkLambdaInvokeState,
  deploy,
  eventually,
  functionArn,
  functionError,
  OTHER_ACCOUNT,
  recordingFunction,
  REGION,
} from './state-machine-fixtures';

describe('local Step Functions endpoint', () => {
  let engine: StepFunctionsEngine;
  let endpoint: StepFunctionsEndpoint;
  const clients: SFNClient[] = [];
  const client = (account = ACCOUNT) => {
    const created = new SFNClient({
      region: REGION,
      endpoint: endpoint.url,
      credentials: { accessKeyId: `AKIA${account}LOCL`, secretAccessKey: 'x' },
    });
    clients.push(created);
    return created;
  };
  const tokens: string[] = [];
  const approvalFunction = recordingFunction((event) => {
    tokens.push((event as { taskToken: string }).taskToken);
    return { notified: true };
  });

  /** A waitForTaskToken approval with a deadline and a heartbeat, as certflow's workflows use it. */
  const approvalDefinition = (options: { timeoutSeconds?: number; heartbeatSeconds?: number } = {}) => ({
    StartAt: 'RequestApproval',
    States: {
      RequestApproval: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: {
          FunctionName: functionArn('request-approval'),
          Payload: { 'taskToken.$': '$$.Task.Token', 'executionId.$': '$$.Execution.Id', 'certificateId.$': '$.certificateId' },
        },
        ...(options.timeoutSeconds ? { TimeoutSeconds: options.timeoutSeconds } : {}),
        ...(options.heartbeatSeconds ? { HeartbeatSeconds: options.heartbeatSeconds } : {}),
        ResultPath: '$.approval',
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'NotApproved' }],
        Next: 'Approved',
      },
      Approved: { Type: 'Pass', Result: 'APPROVED', ResultPath: '$.outcome', End: true },
      NotApproved: { Type: 'Pass', Result: 'NOT_APPROVED', ResultPath: '$.outcome', End: true },
    },
  });

  let approvalArn: string;
  let passArn: string;

  beforeAll(async () => {
    engine = new StepFunctionsEngine({ region: REGION, timeScale: 0.001 });
    engine.registerLambdaFunction(functionArn('request-approval'), approvalFunction.invoke);
    endpoint = await startStepFunctionsEndpoint(engine, { port: 0 });
    approvalArn = deploy(engine, 'approval', approvalDefinition());
    passArn = deploy(engine, 'pass', { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
  });
  afterAll(async () => {
    for (const created of clients) created.destroy();
    await endpoint.close();
    await engine.close();
  });

  const finished = async (executionArn: string, sfn = client()): Promise<DescribeExecutionCommandOutput> => {
    await engine.waitForExecution(executionArn);
    return sfn.send(new DescribeExecutionCommand({ executionArn }));
  };
  const startWaiting = async (stateMachineArn = approvalArn, sfn = client()) => {
    const before = tokens.length;
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, input: JSON.stringify({ certificateId: 'c-1' }) }),
    );
    const taskToken = await eventually('the approval request', () => tokens[before]);
    return { executionArn: executionArn as string, taskToken };
  };

  it('starts an execution idempotently for the same name and input, and refuses the name for another input', async () => {
    const first = await client().send(
      new StartExecutionCommand({ stateMachineArn: approvalArn, name: 'transfer-1', input: '{"certificateId":"c-9"}' }),
    );
    const again = await client().send(
      new StartExecutionCommand({ stateMachineArn: approvalArn, name: 'transfer-1', input: '{"certificateId":"c-9"}' }),
    );
    expect(first.executionArn).toBe(`arn:aws:states:${REGION}:${ACCOUNT}:execution:approval:transfer-1`);
    expect(again).toMatchObject({ executionArn: first.executionArn, startDate: first.startDate });
    await expect(
      client().send(new StartExecutionCommand({ stateMachineArn: approvalArn, name: 'transfer-1', input: '{"certificateId":"other"}' })),
    ).rejects.toMatchObject({
      name: 'ExecutionAlreadyExists',
    });
    await client().send(new StopExecutionCommand({ executionArn: first.executionArn }));
    await expect(
      client().send(new StartExecutionCommand({ stateMachineArn: approvalArn, name: 'transfer-1', input: '{"certificateId":"c-9"}' })),
    ).rejects.toMatchObject({
      name: 'ExecutionAlreadyExists',
    });
  });

  it('refuses invalid names, invalid input and unknown state machines', async () => {
    await expect(client().send(new StartExecutionCommand({ stateMachineArn: passArn, name: 'has space' }))).rejects.toMatchObject({
      name: 'InvalidName',
    });
    await expect(client().send(new StartExecutionCommand({ stateMachineArn: passArn, name: 'x'.repeat(81) }))).rejects.toMatchObject({
      name: 'InvalidName',
    });
    await expect(client().send(new StartExecutionCommand({ stateMachineArn: passArn, input: '{not json' }))).rejects.toMatchObject({
      name: 'InvalidExecutionInput',
    });
    await expect(client().send(new StartExecutionCommand({ stateMachineArn: 'not-an-arn' }))).rejects.toMatchObject({ name: 'InvalidArn' });
    await expect(client().send(new StartExecutionCommand({ stateMachineArn: `${passArn}-missing` }))).rejects.toMatchObject({
      name: 'StateMachineDoesNotExist',
    });
  });

  it("hides one account's state machines and executions from another", async () => {
    const { executionArn } = await client().send(new StartExecutionCommand({ stateMachineArn: passArn }));
    await expect(client(OTHER_ACCOUNT).send(new StartExecutionCommand({ stateMachineArn: passArn }))).rejects.toMatchObject({
      name: 'StateMachineDoesNotExist',
    });
    await expect(client(OTHER_ACCOUNT).send(new DescribeExecutionCommand({ executionArn }))).rejects.toMatchObject({
      name: 'ExecutionDoesNotExist',
    });
    expect((await client(OTHER_ACCOUNT).send(new ListStateMachinesCommand({}))).stateMachines).toEqual([]);
  });

  it('describes a finished execution with its output, dates and state machine', async () => {
    const { executionArn } = await client().send(
      new StartExecutionCommand({ stateMachineArn: passArn, name: 'described', input: '{"a":1}' }),
    );
    const described = await finished(executionArn as string);
    expect(described).toMatchObject({
      status: 'SUCCEEDED',
      name: 'described',
      input: '{"a":1}',
      output: '{"a":1}',
      stateMachineArn: passArn,
    });
    expect(described.startDate).toBeInstanceOf(Date);
    expect(described.stopDate).toBeInstanceOf(Date);
    const forExecution = await client().send(new DescribeStateMachineForExecutionCommand({ executionArn }));
    expect(forExecution).toMatchObject({ stateMachineArn: passArn, name: 'pass' });
    expect(JSON.parse(forExecution.definition as string)).toMatchObject({ StartAt: 'P' });
    expect(await client().send(new DescribeStateMachineCommand({ stateMachineArn: passArn }))).toMatchObject({
      name: 'pass',
      status: 'ACTIVE',
      type: 'STANDARD',
    });
  });

  it('lists executions newest first, by status, one page at a time', async () => {
    const listed = deploy(engine, 'listed', { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
    const names = ['one', 'two', 'three', 'four', 'five'];
    for (const name of names) await engine.waitForExecution(engine.startExecution({ stateMachineArn: listed, name }).executionArn);
    const firstPage = await client().send(new ListExecutionsCommand({ stateMachineArn: listed, maxResults: 2 }));
    expect(firstPage.executions?.map((execution) => execution.name)).toEqual(['five', 'four']);
    const rest = await client().send(
      new ListExecutionsCommand({ stateMachineArn: listed, maxResults: 10, nextToken: firstPage.nextToken }),
    );
    expect(rest.executions?.map((execution) => execution.name)).toEqual(['three', 'two', 'one']);
    expect(rest.nextToken).toBeUndefined();
    expect((await client().send(new ListExecutionsCommand({ stateMachineArn: listed, statusFilter: 'RUNNING' }))).executions).toEqual([]);
  });

  it('answers the execution history with event details, in reverse, paged, and without data on request', async () => {
    const { executionArn } = await client().send(new StartExecutionCommand({ stateMachineArn: passArn, input: '{"secret":1}' }));
    await engine.waitForExecution(executionArn as string);
    const history = await client().send(new GetExecutionHistoryCommand({ executionArn }));
    expect(history.events?.map((event) => event.type)).toEqual([
      'ExecutionStarted',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
    expect(history.events?.[1]).toMatchObject({
      id: 2,
      previousEventId: 1,
      stateEnteredEventDetails: { name: 'P', input: '{"secret":1}' },
    });
    expect(history.events?.[0]?.timestamp).toBeInstanceOf(Date);
    const reversed = await client().send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1 }));
    expect(reversed.events?.map((event) => event.type)).toEqual(['ExecutionSucceeded']);
    const next = await client().send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1, nextToken: reversed.nextToken }),
    );
    expect(next.events?.map((event) => event.type)).toEqual(['PassStateExited']);
    const withoutData = await client().send(new GetExecutionHistoryCommand({ executionArn, includeExecutionData: false }));
    expect(JSON.stringify(withoutData.events)).not.toContain('secret');
  });

  it('completes a waitForTaskToken task with SendTaskSuccess and the task output as result', async () => {
    const { executionArn, taskToken } = await startWaiting();
    expect(taskToken.length).toBeGreaterThanOrEqual(200);
    expect(approvalFunction.events.at(-1)).toMatchObject({ executionId: executionArn, certificateId: 'c-1' });
    expect((await client().send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');
    await expect(client().send(new SendTaskSuccessCommand({ taskToken, output: 'not json' }))).rejects.toMatchObject({
      name: 'InvalidOutput',
    });
    await client().send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify({ decision: 'APPROVED' }) }));
    const described = await finished(executionArn);
    expect(JSON.parse(described.output as string)).toEqual({
      certificateId: 'c-1',
      approval: { decision: 'APPROVED' },
      outcome: 'APPROVED',
    });
    await expect(client().send(new SendTaskSuccessCommand({ taskToken, output: '{}' }))).rejects.toMatchObject({ name: 'TaskTimedOut' });
    const types = (await client().send(new GetExecutionHistoryCommand({ executionArn }))).events?.map((event) => event.type);
    expect(types).toEqual(expect.arrayContaining(['TaskScheduled', 'TaskStarted', 'TaskSubmitted', 'TaskSucceeded']));
  });

  it('fails a waiting task with SendTaskFailure, and Catch sees the error and cause', async () => {
    const { executionArn, taskToken } = await startWaiting();
    await client().send(new SendTaskFailureCommand({ taskToken, error: 'RequestCancelled', cause: 'cancelled by the requester' }));
    const output = JSON.parse((await finished(executionArn)).output as string) as unknown;
    expect(output).toMatchObject({ outcome: 'NOT_APPROVED', error: { Error: 'RequestCancelled', Cause: 'cancelled by the requester' } });
  });

  it('answers InvalidToken for a token it never issued', async () => {
    await expect(client().send(new SendTaskSuccessCommand({ taskToken: 'made-up', output: '{}' }))).rejects.toMatchObject({
      name: 'InvalidToken',
    });
    await expect(client().send(new SendTaskHeartbeatCommand({ taskToken: 'made-up' }))).rejects.toMatchObject({ name: 'InvalidToken' });
  });

  /** Its own engine and endpoint, for deadlines that need another timeScale. */
  async function withTimeScale(
    timeScale: number,
    test: (local: { engine: StepFunctionsEngine; sfn: SFNClient }) => Promise<void>,
  ): Promise<void> {
    const localEngine = new StepFunctionsEngine({ region: REGION, timeScale });
    localEngine.registerLambdaFunction(functionArn('request-approval'), approvalFunction.invoke);
    const localEndpoint = await startStepFunctionsEndpoint(localEngine, { port: 0 });
    const sfn = new SFNClient({
      region: REGION,
      endpoint: localEndpoint.url,
      credentials: { accessKeyId: `AKIA${ACCOUNT}LOCL`, secretAccessKey: 'x' },
    });
    try {
      await test({ engine: localEngine, sfn });
    } finally {
      sfn.destroy();
      await localEndpoint.close();
      await localEngine.close();
    }
  }

  it('times a token wait out after TimeoutSeconds (a 24-hour deadline under timeScale)', async () => {
    await withTimeScale(0.000002, async ({ engine: local, sfn }) => {
      const deadline = deploy(local, 'deadline', approvalDefinition({ timeoutSeconds: 86_400 }));
      const { executionArn, taskToken } = await startWaiting(deadline, sfn);
      await local.waitForExecution(executionArn);
      const output = JSON.parse(local.describeExecution({ executionArn }).output as string) as unknown;
      expect(output).toMatchObject({ outcome: 'NOT_APPROVED', error: { Error: 'States.Timeout' } });
      await expect(sfn.send(new SendTaskSuccessCommand({ taskToken, output: '{}' }))).rejects.toMatchObject({ name: 'TaskTimedOut' });
    });
  });

  it('fails a waiting task with States.HeartbeatTimeout when heartbeats stop', async () => {
    const heartbeat = deploy(engine, 'heartbeat', approvalDefinition({ heartbeatSeconds: 60 }));
    const silent = await startWaiting(heartbeat);
    expect(JSON.parse((await finished(silent.executionArn)).output as string)).toMatchObject({
      error: { Error: 'States.HeartbeatTimeout' },
    });
  });

  it('keeps a waiting task alive while SendTaskHeartbeat comes within HeartbeatSeconds', async () => {
    await withTimeScale(0.01, async ({ engine: local, sfn }) => {
      const heartbeat = deploy(local, 'heartbeat', approvalDefinition({ heartbeatSeconds: 60 }));
      const { executionArn, taskToken } = await startWaiting(heartbeat, sfn);
      for (let beat = 0; beat < 12; beat++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        await sfn.send(new SendTaskHeartbeatCommand({ taskToken }));
      }
      await sfn.send(new SendTaskSuccessCommand({ taskToken, output: '{"decision":"APPROVED"}' }));
      await local.waitForExecution(executionArn);
      expect(JSON.parse(local.describeExecution({ executionArn }).output as string)).toMatchObject({ outcome: 'APPROVED' });
    });
  });

  it('stops an execution: ABORTED with the given error and cause, and its token is closed', async () => {
    const { executionArn, taskToken } = await startWaiting();
    const stopped = await client().send(new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'no longer needed' }));
    expect(stopped.stopDate).toBeInstanceOf(Date);
    expect(await client().send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({
      status: 'ABORTED',
      error: 'Operator',
      cause: 'no longer needed',
    });
    await expect(client().send(new SendTaskSuccessCommand({ taskToken, output: '{}' }))).rejects.toMatchObject({ name: 'TaskTimedOut' });
    const events = (await client().send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1 }))).events;
    expect(events?.[0]).toMatchObject({
      type: 'ExecutionAborted',
      executionAbortedEventDetails: { error: 'Operator', cause: 'no longer needed' },
    });
  });

  it('runs a CDK-style definition: lambda:invoke with Lambda retries, a Choice, a Map and a Wait', async () => {
    const check = recordingFunction((event) => ({
      status: (event as { certificateId: string }).certificateId === 'c-1' ? 'ACTIVE' : 'REVOKED',
    }));
    let transient = 0;
    engine.registerLambdaFunction(functionArn('describe'), async (event) => {
      if (transient++ === 0) throw functionError('Lambda.ServiceException', 'Rate exceeded');
      return check.invoke(event);
    });
    const { stateMachineArn } = await client().send(
      new CreateStateMachineCommand({
        name: 'cdk-style',
        roleArn: `arn:aws:iam::${ACCOUNT}:role/workflow`,
        definition: JSON.stringify({
          StartAt: 'Describe',
          States: {
            Describe: cdkLambdaInvokeState(
              functionArn('describe'),
              { Next: 'IsActive' },
              { ResultSelector: { 'status.$': '$.Payload.status' }, ResultPath: '$.certificate' },
            ),
            IsActive: {
              Type: 'Choice',
              Choices: [{ Variable: '$.certificate.status', StringEquals: 'ACTIVE', Next: 'Settle' }],
              Default: 'Refused',
            },
            Settle: { Type: 'Wait', Seconds: 30, Next: 'Notify' },
            Notify: {
              Type: 'Map',
              ItemsPath: '$.recipients',
              MaxConcurrency: 1,
              ItemSelector: { 'to.$': '$$.Map.Item.Value' },
              ItemProcessor: { StartAt: 'Send', States: { Send: { Type: 'Pass', End: true } } },
              ResultPath: '$.notified',
              End: true,
            },
            Refused: { Type: 'Fail', Error: 'CertificateNotActive', Cause: 'the certificate is not ACTIVE' },
          },
        }),
      }),
    );
    const { executionArn } = await client().send(
      new StartExecutionCommand({ stateMachineArn, input: JSON.stringify({ certificateId: 'c-1', recipients: ['a@x', 'b@x'] }) }),
    );
    const described = await finished(executionArn as string);
    expect(JSON.parse(described.output as string)).toEqual({
      certificateId: 'c-1',
      recipients: ['a@x', 'b@x'],
      certificate: { status: 'ACTIVE' },
      notified: [{ to: 'a@x' }, { to: 'b@x' }],
    });
    expect(check.events).toHaveLength(1);
  });

  it('answers an unknown operation with UnknownOperationException', async () => {
    const response = await fetch(endpoint.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'AWSStepFunctions.DoSomething',
        authorization: `AWS4-HMAC-SHA256 Credential=AKIA${ACCOUNT}LOCL/20240101/us-east-1/states/aws4_request`,
      },
      body: '{}',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ __type: 'UnknownOperationException' });
  });
});
