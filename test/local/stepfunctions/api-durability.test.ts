import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import {
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { StepFunctionsEngine } from '../../../local/stepfunctions';
import { ACCOUNT, functionArn, recordingFunction, REGION } from './state-machine-fixtures';

interface CrashingEngine {
  child: ChildProcess;
  client: SFNClient;
  executionArn: string;
  taskToken: string;
}

/** Starts the engine in a child process on the data folder; resolves once its approval task waits. */
function startCrashingEngine(dataDir: string): Promise<CrashingEngine> {
  const script = path.join(__dirname, 'crashing-engine-process.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the engine process exited (${String(code)}) before it was ready: ${stderr}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', (line) => {
      const ready = JSON.parse(line) as { url: string; executionArn: string; taskToken: string };
      const client = new SFNClient({
        region: REGION,
        endpoint: ready.url,
        credentials: { accessKeyId: `AKIA${ACCOUNT}LOCL`, secretAccessKey: 'x' },
        maxAttempts: 1,
      });
      resolve({ child, client, executionArn: ready.executionArn, taskToken: ready.taskToken });
    });
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

describe('the Step Functions API persists a decision before it answers', () => {
  let dataDir: string;
  const engines: StepFunctionsEngine[] = [];
  const children: ChildProcess[] = [];
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'certflow-sfn-crash-'));
  });
  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const engine of engines.splice(0)) await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Sends one request, SIGKILLs the engine the moment the answer arrives, and restarts it on the same data. */
  async function answerThenCrash(send: (engine: CrashingEngine) => Promise<unknown>) {
    const crashing = await startCrashingEngine(dataDir);
    children.push(crashing.child);
    await send(crashing);
    crashing.child.kill('SIGKILL');
    await killed(crashing.child);
    crashing.client.destroy();
    const requests = recordingFunction(() => ({ notified: true }));
    const restarted = new StepFunctionsEngine({ region: REGION, timeScale: 1, dataDir });
    engines.push(restarted);
    restarted.registerLambdaFunction(functionArn('request-approval'), requests.invoke);
    restarted.resumeExecutions();
    return { restarted, requests, crashing };
  }

  it('continues from a SendTaskSuccess answered just before a SIGKILL', async () => {
    const { restarted, requests, crashing } = await answerThenCrash(({ client, taskToken }) =>
      client.send(new SendTaskSuccessCommand({ taskToken, output: '{"decision":"APPROVED"}' })),
    );
    const finished = await restarted.waitForExecution(crashing.executionArn);
    expect(finished.status).toBe('SUCCEEDED');
    expect(JSON.parse(finished.output ?? 'null')).toEqual({ certificateId: 'c-1', decision: { decision: 'APPROVED' } });
    expect(requests.events).toHaveLength(0);
  }, 30_000);

  it('continues from a SendTaskFailure answered just before a SIGKILL', async () => {
    const { restarted, crashing } = await answerThenCrash(({ client, taskToken }) =>
      client.send(new SendTaskFailureCommand({ taskToken, error: 'Rejected', cause: 'not this one' })),
    );
    expect(await restarted.waitForExecution(crashing.executionArn)).toMatchObject({
      status: 'FAILED',
      error: 'Rejected',
      cause: 'not this one',
    });
  }, 30_000);

  it('keeps an execution stopped by a StopExecution answered just before a SIGKILL', async () => {
    const { restarted, crashing } = await answerThenCrash(({ client, executionArn }) =>
      client.send(new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'stopped by hand' })),
    );
    expect(restarted.describeExecution({ executionArn: crashing.executionArn })).toMatchObject({
      status: 'ABORTED',
      error: 'Operator',
      cause: 'stopped by hand',
    });
    expect(restarted.getExecutionHistory({ executionArn: crashing.executionArn }).events.at(-1)?.type).toBe('ExecutionAborted');
  }, 30_000);

  it('keeps a task token open after a SendTaskHeartbeat answered just before a SIGKILL', async () => {
    const { restarted, crashing } = await answerThenCrash(({ client, taskToken }) =>
      client.send(new SendTaskHeartbeatCommand({ taskToken })),
    );
    expect(restarted.describeExecution({ executionArn: crashing.executionArn }).status).toBe('RUNNING');
    restarted.sendTaskSuccess({ taskToken: crashing.taskToken, output: '"late"' });
    expect(await restarted.waitForExecution(crashing.executionArn)).toMatchObject({ status: 'SUCCEEDED' });
  }, 30_000);
});
