import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { accountOfArn, type ExecutionRecord, type ExecutionStatus, type HistoryEvent } from './execution-record';
import { ExecutionRunner, RunInterrupted, type RunnerServices } from './execution-runner';
import { parseDefinition, type MachineDefinition } from './state-machine-definition';
import { STATES_HEARTBEAT_TIMEOUT, STATES_TIMEOUT, StatesError, StepFunctionsApiError } from './states-error';

type Json = unknown;

export interface StateMachineRecord {
  stateMachineArn: string;
  name: string;
  definition: string;
  roleArn: string;
  type: 'STANDARD' | 'EXPRESS';
  creationDate: number;
}

interface WaitingTask {
  executionArn: string;
  resolve(output: Json): void;
  reject(error: StatesError): void;
  heartbeat(): void;
}

export interface StepFunctionsEngineOptions {
  region: string;
  /** 1 = real time; 0.001 runs waits, retry delays and timeouts 1000 times faster. */
  timeScale?: number;
  dataDir?: string;
  log?: (line: string) => void;
}

const NAME_PATTERN = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{100,1024}$/;
const MAX_INPUT_BYTES = 256 * 1024;

const seconds = (epochMs: number | undefined) => (epochMs === undefined ? undefined : epochMs / 1000);

function page<T>(items: T[], maxResults: number | undefined, nextToken: string | undefined, limit = 1000): { items: T[]; nextToken?: string } {
  const size = maxResults && maxResults > 0 ? Math.min(maxResults, limit) : 100;
  const start = nextToken ? Number(Buffer.from(nextToken, 'base64url').toString('utf8')) : 0;
  if (!Number.isInteger(start) || start < 0) throw new StepFunctionsApiError('InvalidToken', 'Invalid pagination token');
  const slice = items.slice(start, start + size);
  return { items: slice, nextToken: start + size < items.length ? Buffer.from(String(start + size)).toString('base64url') : undefined };
}

/**
 * A local Step Functions: state machines loaded from synthesized definitions, Standard
 * executions run by certflow's JSONPath interpreter, Lambda tasks invoked in-process,
 * callback tokens, and everything saved to the data folder so running executions resume
 * after a restart. Its methods are the API's operations, called with the caller's account.
 */
export class StepFunctionsEngine {
  private readonly stateMachines = new Map<string, StateMachineRecord & { parsed: MachineDefinition }>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly lambdas = new Map<string, (event: unknown) => Promise<unknown>>();
  private readonly waiting = new Map<string, WaitingTask>();
  /** Tokens of tasks that ended, and how: answers TaskTimedOut rather than TaskDoesNotExist. */
  private readonly closedTokens = new Map<string, 'completed' | 'timed-out'>();
  private readonly running = new Map<string, AbortController>();
  private readonly finishedWaiters = new Map<string, Array<(execution: ExecutionRecord) => void>>();
  private readonly file?: string;
  private saveTimer?: NodeJS.Timeout;
  private closed = false;
  readonly timeScale: number;

  constructor(private readonly options: StepFunctionsEngineOptions) {
    this.timeScale = options.timeScale ?? 1;
    if (options.dataDir) {
      mkdirSync(options.dataDir, { recursive: true });
      this.file = path.join(options.dataDir, 'stepfunctions.json');
      if (existsSync(this.file)) {
        const saved = JSON.parse(readFileSync(this.file, 'utf8')) as { stateMachines: StateMachineRecord[]; executions: ExecutionRecord[]; closedTokens?: Array<[string, 'completed' | 'timed-out']> };
        for (const machine of saved.stateMachines) this.stateMachines.set(machine.stateMachineArn, { ...machine, parsed: parseDefinition(machine.definition) });
        for (const execution of saved.executions) this.executions.set(execution.executionArn, execution);
        for (const [token, how] of saved.closedTokens ?? []) this.closedTokens.set(token, how);
      }
    }
  }

  registerLambdaFunction(functionArn: string, invoke: (event: unknown) => Promise<unknown>): void {
    this.lambdas.set(functionArn, invoke);
  }

  /** Creates or updates (same ARN) a state machine; the definition is validated first. */
  createStateMachine(input: { name: string; arn: string; definition: string; roleArn?: string; type?: 'STANDARD' | 'EXPRESS' }): StateMachineRecord {
    const parsed = parseDefinition(input.definition);
    const existing = this.stateMachines.get(input.arn);
    const record = {
      stateMachineArn: input.arn,
      name: input.name,
      definition: input.definition,
      roleArn: input.roleArn ?? `arn:aws:iam::${accountOfArn(input.arn)}:role/${input.name}-role`,
      type: input.type ?? 'STANDARD',
      creationDate: existing?.creationDate ?? Date.now(),
      parsed,
    };
    this.stateMachines.set(input.arn, record);
    this.scheduleSave();
    return record;
  }

  /** Resumes the executions that were running when the engine last stopped; call once every function is registered. */
  resumeExecutions(): void {
    for (const execution of this.executions.values()) {
      if (execution.status === 'RUNNING' && !this.running.has(execution.executionArn)) this.launch(execution, true);
    }
  }

  // --- the API -------------------------------------------------------------------------

  listStateMachines(account: string, request: { maxResults?: number; nextToken?: string }): Record<string, Json> {
    const machines = [...this.stateMachines.values()].filter((machine) => accountOfArn(machine.stateMachineArn) === account);
    const { items, nextToken } = page(machines, request.maxResults, request.nextToken);
    return { stateMachines: items.map((machine) => ({ stateMachineArn: machine.stateMachineArn, name: machine.name, type: machine.type, creationDate: seconds(machine.creationDate) })), nextToken };
  }

  describeStateMachine(account: string, request: { stateMachineArn?: string }): Record<string, Json> {
    const machine = this.stateMachineOf(account, request.stateMachineArn);
    return {
      stateMachineArn: machine.stateMachineArn,
      name: machine.name,
      status: 'ACTIVE',
      definition: machine.definition,
      roleArn: machine.roleArn,
      type: machine.type,
      creationDate: seconds(machine.creationDate),
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    };
  }

  describeStateMachineForExecution(account: string, request: { executionArn?: string }): Record<string, Json> {
    const execution = this.executionOf(account, request.executionArn);
    const { creationDate, ...described } = this.describeStateMachine(account, { stateMachineArn: execution.stateMachineArn });
    return { ...described, updateDate: creationDate };
  }

  startExecution(account: string, request: { stateMachineArn?: string; name?: string; input?: string }): { executionArn: string; startDate: number } {
    const machine = this.stateMachineOf(account, request.stateMachineArn);
    const name = request.name ?? randomUUID();
    if (!NAME_PATTERN.test(name)) throw new StepFunctionsApiError('InvalidName', `Invalid Name: '${name}' (1 to 80 characters, no whitespace, brackets, wildcards, special or control characters)`);
    const input = request.input ?? '{}';
    if (Buffer.byteLength(input) > MAX_INPUT_BYTES) throw new StepFunctionsApiError('InvalidExecutionInput', 'The input is larger than 256 KiB');
    try {
      JSON.parse(input);
    } catch {
      throw new StepFunctionsApiError('InvalidExecutionInput', 'Invalid State Machine Execution Input: the input is not valid JSON');
    }
    const executionArn = `${machine.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      // A Standard workflow's StartExecution is idempotent for the same name and input while the execution runs.
      if (existing.status === 'RUNNING' && existing.input === input) return { executionArn, startDate: seconds(existing.startDate) ?? 0 };
      throw new StepFunctionsApiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const execution: ExecutionRecord = {
      executionArn,
      stateMachineArn: machine.stateMachineArn,
      name,
      input,
      status: 'RUNNING',
      startDate: Date.now(),
      events: [],
      deadline: machine.parsed.TimeoutSeconds ? Date.now() + this.scaled(machine.parsed.TimeoutSeconds) : undefined,
    };
    this.executions.set(executionArn, execution);
    this.addEvent(execution, 'ExecutionStarted', 'executionStartedEventDetails', { input, inputDetails: { truncated: false }, roleArn: machine.roleArn });
    this.launch(execution, false);
    return { executionArn, startDate: seconds(execution.startDate) ?? 0 };
  }

  describeExecution(account: string, request: { executionArn?: string }): Record<string, Json> {
    const execution = this.executionOf(account, request.executionArn);
    return {
      executionArn: execution.executionArn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: seconds(execution.startDate),
      stopDate: seconds(execution.stopDate),
      input: execution.input,
      inputDetails: { included: true },
      ...(execution.output !== undefined ? { output: execution.output, outputDetails: { included: true } } : {}),
      ...(execution.error !== undefined ? { error: execution.error } : {}),
      ...(execution.cause !== undefined ? { cause: execution.cause } : {}),
    };
  }

  listExecutions(account: string, request: { stateMachineArn?: string; statusFilter?: string; maxResults?: number; nextToken?: string }): Record<string, Json> {
    const machine = this.stateMachineOf(account, request.stateMachineArn);
    const statuses = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'];
    if (request.statusFilter !== undefined && !statuses.includes(request.statusFilter)) {
      throw new StepFunctionsApiError('ValidationException', `1 validation error detected: Value '${request.statusFilter}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [${statuses.join(', ')}]`);
    }
    const executions = [...this.executions.values()]
      .filter((execution) => execution.stateMachineArn === machine.stateMachineArn && (!request.statusFilter || execution.status === request.statusFilter))
      .sort((a, b) => b.startDate - a.startDate);
    const { items, nextToken } = page(executions, request.maxResults, request.nextToken);
    return {
      executions: items.map((execution) => ({
        executionArn: execution.executionArn,
        stateMachineArn: execution.stateMachineArn,
        name: execution.name,
        status: execution.status,
        startDate: seconds(execution.startDate),
        stopDate: seconds(execution.stopDate),
      })),
      nextToken,
    };
  }

  getExecutionHistory(account: string, request: { executionArn?: string; maxResults?: number; nextToken?: string; reverseOrder?: boolean; includeExecutionData?: boolean }): Record<string, Json> {
    const execution = this.executionOf(account, request.executionArn);
    const events = request.reverseOrder ? [...execution.events].reverse() : execution.events;
    const { items, nextToken } = page(events, request.maxResults, request.nextToken);
    return { events: items.map((event) => this.eventShape(event, request.includeExecutionData ?? true)), nextToken };
  }

  stopExecution(account: string, request: { executionArn?: string; error?: string; cause?: string }): { stopDate: number } {
    const execution = this.executionOf(account, request.executionArn);
    if (execution.status === 'RUNNING') {
      this.running.get(execution.executionArn)?.abort();
      this.close_(execution, 'ABORTED', { error: request.error, cause: request.cause });
    }
    return { stopDate: seconds(execution.stopDate ?? Date.now()) ?? 0 };
  }

  sendTaskSuccess(account: string, request: { taskToken?: string; output?: string }): Record<string, never> {
    const task = this.waitingTask(account, request.taskToken);
    let output: Json;
    try {
      output = JSON.parse(request.output ?? '');
    } catch {
      throw new StepFunctionsApiError('InvalidOutput', 'Invalid Output: the output is not valid JSON');
    }
    this.endTask(request.taskToken ?? '', 'completed');
    task.resolve(output);
    return {};
  }

  sendTaskFailure(account: string, request: { taskToken?: string; error?: string; cause?: string }): Record<string, never> {
    const task = this.waitingTask(account, request.taskToken);
    this.endTask(request.taskToken ?? '', 'completed');
    task.reject(new StatesError(request.error ?? '', request.cause ?? ''));
    return {};
  }

  sendTaskHeartbeat(account: string, request: { taskToken?: string }): Record<string, never> {
    this.waitingTask(account, request.taskToken).heartbeat();
    return {};
  }

  /** For tests: resolves once the execution is no longer RUNNING. */
  waitForExecution(executionArn: string): Promise<ExecutionRecord> {
    const execution = this.executions.get(executionArn);
    if (!execution) return Promise.reject(new StepFunctionsApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`));
    if (execution.status !== 'RUNNING') return Promise.resolve(execution);
    return new Promise((resolve) => this.finishedWaiters.set(executionArn, [...(this.finishedWaiters.get(executionArn) ?? []), resolve]));
  }

  /** Stops running executions where they are (they resume on the next start) and saves. */
  async close(): Promise<void> {
    this.closed = true;
    for (const controller of this.running.values()) controller.abort();
    this.running.clear();
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveNow();
  }

  // --- internals -----------------------------------------------------------------------

  scaled(workflowSeconds: number): number {
    return workflowSeconds * 1000 * this.timeScale;
  }

  private launch(execution: ExecutionRecord, resuming: boolean): void {
    const machine = this.stateMachines.get(execution.stateMachineArn);
    if (!machine) return;
    const controller = new AbortController();
    this.running.set(execution.executionArn, controller);
    const services: RunnerServices = {
      region: this.options.region,
      scaled: (value) => this.scaled(value),
      invokeLambda: (functionArn, payload) => {
        const invoke = this.lambdas.get(functionArn);
        if (!invoke) return Promise.reject(new StatesError('Lambda.ResourceNotFoundException', `Function not found: ${functionArn}`));
        return invoke(payload) as Promise<Json>;
      },
      awaitTaskToken: (token, owner, timing, signal) => this.awaitToken(token, owner, timing, signal),
      newTaskToken: () => randomBytes(96).toString('base64url'),
      abandonTaskToken: (token) => {
        this.waiting.get(token)?.reject(new StatesError(STATES_TIMEOUT, 'abandoned'));
        this.endTask(token, 'completed');
      },
      addEvent: (owner, type, key, details) => this.addEvent(owner, type, key, details),
      save: () => this.scheduleSave(),
    };
    const position = resuming ? execution.position : undefined;
    const startAt = position?.stateName ?? machine.parsed.StartAt;
    const input = position ? position.input : (JSON.parse(execution.input) as Json);
    const runner = new ExecutionRunner(services, execution, controller.signal, true);
    let run = runner.run(machine.parsed, startAt, input, position);
    if (execution.deadline !== undefined) {
      const deadline = execution.deadline;
      run = Promise.race([
        run,
        new Promise<never>((_, reject) => {
          const timer = setTimeout(() => reject(new StatesError('States.ExecutionTimeout', 'The execution timed out')), Math.max(0, deadline - Date.now()));
          timer.unref();
          controller.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
        }),
      ]);
    }
    run.then(
      (output) => {
        if (execution.status !== 'RUNNING') return;
        this.close_(execution, 'SUCCEEDED', { output: JSON.stringify(output) });
      },
      (error: unknown) => {
        if (error instanceof RunInterrupted || execution.status !== 'RUNNING' || this.closed) return;
        if (error instanceof StatesError && error.name === 'States.ExecutionTimeout') {
          controller.abort();
          this.close_(execution, 'TIMED_OUT', { error: STATES_TIMEOUT, cause: error.cause });
          return;
        }
        const failure = error instanceof StatesError ? error : new StatesError('States.Runtime', error instanceof Error ? error.message : String(error));
        this.close_(execution, 'FAILED', { error: failure.name, cause: failure.cause });
      },
    );
  }

  private close_(execution: ExecutionRecord, status: Exclude<ExecutionStatus, 'RUNNING'>, result: { output?: string; error?: string; cause?: string }): void {
    execution.status = status;
    execution.stopDate = Date.now();
    execution.position = undefined;
    if (result.output !== undefined) execution.output = result.output;
    if (result.error !== undefined) execution.error = result.error;
    if (result.cause !== undefined) execution.cause = result.cause;
    const [type, key, details] =
      status === 'SUCCEEDED'
        ? ['ExecutionSucceeded', 'executionSucceededEventDetails', { output: result.output }]
        : status === 'FAILED'
          ? ['ExecutionFailed', 'executionFailedEventDetails', { error: result.error, cause: result.cause }]
          : status === 'TIMED_OUT'
            ? ['ExecutionTimedOut', 'executionTimedOutEventDetails', { error: result.error, cause: result.cause }]
            : ['ExecutionAborted', 'executionAbortedEventDetails', { error: result.error, cause: result.cause }];
    this.addEvent(execution, type, key, details as Record<string, Json>);
    for (const [token, task] of this.waiting) {
      if (task.executionArn === execution.executionArn) {
        this.waiting.delete(token);
        this.closedTokens.set(token, 'timed-out');
      }
    }
    this.running.delete(execution.executionArn);
    for (const resolve of this.finishedWaiters.get(execution.executionArn) ?? []) resolve(execution);
    this.finishedWaiters.delete(execution.executionArn);
    this.scheduleSave();
  }

  private awaitToken(token: string, execution: ExecutionRecord, timing: { timeoutMs?: number; heartbeatMs?: number }, signal: AbortSignal): Promise<Json> {
    const { heartbeatMs } = timing;
    return new Promise((resolve, reject) => {
      let heartbeatTimer: NodeJS.Timeout | undefined;
      const timeoutTimer =
        timing.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              if (heartbeatTimer) clearTimeout(heartbeatTimer);
              this.endTask(token, 'timed-out');
              reject(new StatesError(STATES_TIMEOUT, 'The task timed out'));
            }, Math.max(0, timing.timeoutMs));
      const armHeartbeat = () => {
        if (heartbeatMs === undefined) return;
        if (heartbeatTimer) clearTimeout(heartbeatTimer);
        heartbeatTimer = setTimeout(() => {
          settle();
          this.endTask(token, 'timed-out');
          reject(new StatesError(STATES_HEARTBEAT_TIMEOUT, 'The task did not send a heartbeat in time'));
        }, heartbeatMs);
      };
      const settle = () => {
        if (heartbeatTimer) clearTimeout(heartbeatTimer);
        if (timeoutTimer) clearTimeout(timeoutTimer);
      };
      signal.addEventListener(
        'abort',
        () => {
          settle();
          this.waiting.delete(token);
          reject(new RunInterrupted());
        },
        { once: true },
      );
      this.waiting.set(token, {
        executionArn: execution.executionArn,
        resolve: (output) => {
          settle();
          resolve(output);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
        heartbeat: armHeartbeat,
      });
      armHeartbeat();
    });
  }

  private endTask(token: string, how: 'completed' | 'timed-out'): void {
    this.waiting.delete(token);
    this.closedTokens.set(token, how);
    this.scheduleSave();
  }

  private waitingTask(account: string, token: string | undefined): WaitingTask {
    if (!token || !TOKEN_PATTERN.test(token)) throw new StepFunctionsApiError('InvalidToken', 'Invalid Token: the task token is malformed');
    const task = this.waiting.get(token);
    if (task && accountOfArn(task.executionArn) === account) return task;
    if (this.closedTokens.get(token) === 'timed-out') throw new StepFunctionsApiError('TaskTimedOut', 'Task Timed Out: the task is no longer waiting');
    throw new StepFunctionsApiError('TaskDoesNotExist', 'Task Does Not Exist: no task is waiting for this token');
  }

  private stateMachineOf(account: string, arn: string | undefined): StateMachineRecord & { parsed: MachineDefinition } {
    if (!arn || !/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/.test(arn)) throw new StepFunctionsApiError('InvalidArn', `Invalid Arn: '${arn ?? ''}'`);
    const machine = this.stateMachines.get(arn);
    if (!machine || accountOfArn(arn) !== account) throw new StepFunctionsApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  private executionOf(account: string, arn: string | undefined): ExecutionRecord {
    if (!arn || !/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/.test(arn)) throw new StepFunctionsApiError('InvalidArn', `Invalid Arn: '${arn ?? ''}'`);
    const execution = this.executions.get(arn);
    if (!execution || accountOfArn(arn) !== account) throw new StepFunctionsApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  addEvent(execution: ExecutionRecord, type: string, key?: string, details?: Record<string, Json>): void {
    const previous = execution.events[execution.events.length - 1];
    const event: HistoryEvent = { id: (previous?.id ?? 0) + 1, previousEventId: previous?.id ?? 0, timestamp: Date.now(), type };
    if (key && details) event.details = { key, value: details };
    execution.events.push(event);
    this.scheduleSave();
  }

  private eventShape(event: HistoryEvent, includeData: boolean): Record<string, Json> {
    const details = event.details ? { ...event.details.value } : undefined;
    if (details && !includeData) for (const field of ['input', 'output', 'parameters']) delete details[field];
    return { timestamp: seconds(event.timestamp), type: event.type, id: event.id, previousEventId: event.previousEventId, ...(event.details ? { [event.details.key]: details } : {}) };
  }

  private scheduleSave(): void {
    if (!this.file || this.closed || this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.saveNow();
    }, 50);
    this.saveTimer.unref();
  }

  private saveNow(): void {
    if (!this.file) return;
    const saved = {
      stateMachines: [...this.stateMachines.values()].map(({ parsed, ...machine }) => machine),
      executions: [...this.executions.values()],
      closedTokens: [...this.closedTokens.entries()],
    };
    writeFileSync(`${this.file}.tmp`, JSON.stringify(saved));
    renameSync(`${this.file}.tmp`, this.file);
  }
}
