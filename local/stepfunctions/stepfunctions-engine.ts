import { randomUUID } from 'node:crypto';
import { type MapRunObjectStore } from './distributed-map';
import { ExecutionHistory, historyEventForApi } from './execution-history';
import { ExecutionInterrupted, type ExecutionOutcome, ExecutionRunner, type RunningExecution } from './execution-runner';
import {
  type ExecutionCursor,
  type ExecutionRecord,
  type ExecutionStatus,
  ExecutionStore,
  type StoredStateMachine,
  type TaskDecision,
} from './execution-store';
import { type Json } from './json-value';
import { LambdaFunctions, type LambdaInvoker } from './lambda-integration';
import { assertFieldLength, assertPayloadSize, MAX_CAUSE_LENGTH, MAX_ERROR_LENGTH } from './payload-limits';
import { type LongTimer, ScaledTime, setLongTimeout, unboundedAbortController } from './scaled-time';
import { parseStateMachineDefinition, type StateMachineDefinition } from './state-machine-definition';
import { assertValidExecutionName, executionArnOf, parseExecutionArn, parseStateMachineArn } from './stepfunctions-arns';
import { StatesError, StepFunctionsApiError } from './stepfunctions-errors';
import { type TaskOutcome, TaskTokens } from './task-tokens';

export interface StepFunctionsEngineOptions {
  region: string;
  /** 1 = real time; 0.001 = a thousand times faster (Wait, Retry intervals, timeouts, heartbeats). */
  timeScale?: number;
  /** Where state machines and executions are kept across restarts; in memory only when unset. */
  dataDir?: string;
  log?: (line: string) => void;
  /** The sandbox's S3 objects (`LocalObjectStore`): what Distributed Map ItemReader reads and ResultWriter writes. */
  objectStore?: MapRunObjectStore;
  /**
   * New executions wait until `resumeExecutions()` (the sandbox calls it once its functions
   * are deployed), so one started while a restart is under way does not fail its first Task.
   * Default false: they run at once.
   */
  holdNewExecutionsUntilResumed?: boolean;
}

export interface ExecutionDescription {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  input: string;
  inputDetails: { included: boolean };
  output?: string;
  outputDetails?: { included: boolean };
  error?: string;
  cause?: string;
  traceHeader?: string;
  redriveCount: number;
  redriveStatus: 'NOT_REDRIVABLE';
}

interface EngineExecution extends RunningExecution {
  completion: Promise<void>;
  complete: () => void;
  timeoutTimer?: LongTimer;
  running?: Promise<void>;
}

interface EngineStateMachine extends StoredStateMachine {
  machine: StateMachineDefinition;
}

const DEFAULT_PAGE_SIZE = 100;
/**
 * The Quotas page: a Standard execution runs at most 1 year; past it, it fails with
 * States.Timeout (a Wait beyond it ends there). The guide does not say how many days
 * its year has: 365 here.
 */
const MAX_EXECUTION_SECONDS = 365 * 24 * 60 * 60;
const MAX_PAGE_SIZE = 1000;
const PLACEHOLDER_MACHINE: StateMachineDefinition = { StartAt: '', States: {} };

function required(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new StepFunctionsApiError(
      'ValidationException',
      `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

function taskOutcomeOf(decision: TaskDecision): TaskOutcome {
  return decision.kind === 'success' ? decision : { kind: 'failure', error: new StatesError(decision.error, decision.cause) };
}

function page<T>(items: readonly T[], maxResults: number | undefined, nextToken: string | undefined): { items: T[]; nextToken?: string } {
  if (maxResults !== undefined && (!Number.isInteger(maxResults) || maxResults < 0 || maxResults > MAX_PAGE_SIZE)) {
    throw new StepFunctionsApiError(
      'ValidationException',
      `1 validation error detected: Value '${maxResults}' at 'maxResults' failed to satisfy constraint: Member must have value between 0 and ${MAX_PAGE_SIZE}`,
    );
  }
  const size = maxResults || DEFAULT_PAGE_SIZE;
  let offset = 0;
  if (nextToken !== undefined) {
    const decoded = /^o(\d+)$/.exec(Buffer.from(nextToken, 'base64url').toString('utf8'));
    if (!decoded) throw new StepFunctionsApiError('InvalidToken', `Invalid Token: '${nextToken}'`);
    offset = Number(decoded[1]);
  }
  const slice = items.slice(offset, offset + size);
  const next = offset + size < items.length ? Buffer.from(`o${offset + size}`, 'utf8').toString('base64url') : undefined;
  return next ? { items: slice, nextToken: next } : { items: slice };
}

/**
 * The local AWS Step Functions service: state machines, Standard executions run by the
 * JSONPath interpreter, task tokens and execution history, in the shapes of the API so
 * that the HTTP endpoint stays thin. A `callerAccountId` argument, when given, limits a
 * call to that account's resources.
 */
export class StepFunctionsEngine {
  readonly region: string;
  private readonly time: ScaledTime;
  private readonly log: (line: string) => void;
  private readonly store: ExecutionStore;
  private readonly functions = new LambdaFunctions();
  private readonly tokens = new TaskTokens();
  private readonly runner: ExecutionRunner;
  private readonly stateMachines = new Map<string, EngineStateMachine>();
  private readonly executions = new Map<string, EngineExecution>();
  private readonly executionsByStateMachine = new Map<string, EngineExecution[]>();
  private readonly awaitingResume: Array<{ execution: EngineExecution; cursor: ExecutionCursor | undefined }> = [];
  private closed = false;

  /** States entered since the engine started, in every execution: for benchmarks. */
  stateTransitions = 0;
  /** False until resumeExecutions, when new executions are held (see the option). */
  private resumed: boolean;

  constructor(options: StepFunctionsEngineOptions) {
    this.region = options.region;
    this.time = new ScaledTime(options.timeScale ?? 1);
    this.log = options.log ?? (() => undefined);
    this.store = new ExecutionStore(options.dataDir);
    this.resumed = !options.holdNewExecutionsUntilResumed;
    this.runner = new ExecutionRunner({
      functions: this.functions,
      tokens: this.tokens,
      time: this.time,
      save: (execution) => this.store.save(execution.record, execution.history.events),
      close: (execution, outcome) => this.closeExecution(execution as EngineExecution, outcome),
      objectStore: options.objectStore,
      onStateEntered: () => void (this.stateTransitions += 1),
    });
    this.load();
  }

  private load(): void {
    for (const stored of this.store.loadStateMachines()) {
      try {
        this.stateMachines.set(stored.stateMachineArn, { ...stored, machine: parseStateMachineDefinition(stored.definition) });
      } catch (error) {
        this.log(
          JSON.stringify({
            service: 'stepfunctions',
            event: 'StateMachineNotLoaded',
            stateMachineArn: stored.stateMachineArn,
            error: String(error),
          }),
        );
      }
    }
    for (const { record, events } of this.store.loadExecutions()) {
      let machine = PLACEHOLDER_MACHINE;
      if (record.status === 'RUNNING') {
        try {
          machine = parseStateMachineDefinition(record.definition);
        } catch {
          machine = PLACEHOLDER_MACHINE;
        }
      }
      const execution = this.track(record, new ExecutionHistory(events), machine);
      const callback = record.status === 'RUNNING' ? record.cursor?.callback : undefined;
      for (const token of record.taskTokens) {
        if (token === callback?.token) this.tokens.reopen(token, record.executionArn);
        else this.tokens.rememberClosed(token, record.executionArn);
      }
      // A decision answered before the restart: the resumed task takes it instead of waiting.
      if (callback?.decision) this.tokens.settle(callback.token, taskOutcomeOf(callback.decision));
      if (record.status === 'RUNNING') this.awaitingResume.push({ execution, cursor: record.cursor });
    }
  }

  private track(record: ExecutionRecord, history: ExecutionHistory, machine: StateMachineDefinition): EngineExecution {
    const { accountId, name: stateMachineName } = parseStateMachineArn(record.stateMachineArn);
    let complete: () => void = () => undefined;
    const completion = new Promise<void>((resolve) => {
      complete = resolve;
    });
    const execution: EngineExecution = {
      record,
      history,
      machine,
      stateMachineName,
      region: this.region,
      accountId,
      controller: unboundedAbortController(),
      parsedInput: JSON.parse(record.input) as Json,
      halted: false,
      completion,
      complete,
    };
    if (record.status !== 'RUNNING') complete();
    this.executions.set(record.executionArn, execution);
    const list = this.executionsByStateMachine.get(record.stateMachineArn) ?? [];
    list.push(execution);
    this.executionsByStateMachine.set(record.stateMachineArn, list);
    return execution;
  }

  registerLambdaFunction(functionArn: string, invoke: LambdaInvoker): void {
    this.functions.register(functionArn, invoke);
  }

  /** Creates or replaces (same ARN) a state machine; throws InvalidDefinition with the validator's findings. */
  createStateMachine(input: { name: string; arn: string; definition: string; roleArn?: string; type?: 'STANDARD' | 'EXPRESS' }): void {
    const { accountId } = parseStateMachineArn(input.arn);
    const machine = parseStateMachineDefinition(input.definition);
    const existing = this.stateMachines.get(input.arn);
    this.stateMachines.set(input.arn, {
      stateMachineArn: input.arn,
      name: input.name,
      definition: input.definition,
      roleArn: input.roleArn ?? `arn:aws:iam::${accountId}:role/service-role/StepFunctions-${input.name}-role`,
      type: input.type ?? 'STANDARD',
      creationDate: existing?.creationDate ?? Date.now(),
      machine,
    });
    this.saveStateMachines();
  }

  private saveStateMachines(): void {
    this.store.saveStateMachines([...this.stateMachines.values()].map(({ machine: _machine, ...stored }) => stored));
  }

  /** CreateStateMachine as the API has it: same name and definition is idempotent, a different one conflicts. */
  createStateMachineForAccount(
    input: { name?: string; definition?: string; roleArn?: string; type?: string },
    callerAccountId: string,
  ): { stateMachineArn: string; creationDate: Date } {
    const name = required(input.name, 'name');
    const definition = required(input.definition, 'definition');
    assertValidExecutionName(name);
    const type = input.type === 'EXPRESS' ? 'EXPRESS' : 'STANDARD';
    const arn = `arn:aws:states:${this.region}:${callerAccountId}:stateMachine:${name}`;
    const existing = this.stateMachines.get(arn);
    if (existing && (existing.definition !== definition || (input.roleArn !== undefined && existing.roleArn !== input.roleArn))) {
      throw new StepFunctionsApiError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
    }
    if (!existing) this.createStateMachine({ name, arn, definition, roleArn: input.roleArn, type });
    return { stateMachineArn: arn, creationDate: new Date((this.stateMachines.get(arn) as EngineStateMachine).creationDate) };
  }

  deleteStateMachine(input: { stateMachineArn?: string }, callerAccountId?: string): Record<string, never> {
    const arn = required(input.stateMachineArn, 'stateMachineArn');
    const parts = parseStateMachineArn(arn);
    if (callerAccountId === undefined || parts.accountId === callerAccountId) {
      if (this.stateMachines.delete(arn)) this.saveStateMachines();
    }
    return {};
  }

  private stateMachine(arn: unknown, callerAccountId: string | undefined): EngineStateMachine {
    const stateMachineArn = required(arn, 'stateMachineArn');
    const parts = parseStateMachineArn(stateMachineArn);
    const found = this.stateMachines.get(stateMachineArn);
    if (!found || parts.region !== this.region || (callerAccountId !== undefined && parts.accountId !== callerAccountId)) {
      throw new StepFunctionsApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    }
    return found;
  }

  private execution(arn: unknown, callerAccountId: string | undefined): EngineExecution {
    const executionArn = required(arn, 'executionArn');
    const parts = parseExecutionArn(executionArn);
    const found = this.executions.get(executionArn);
    if (!found || (callerAccountId !== undefined && parts.accountId !== callerAccountId)) {
      throw new StepFunctionsApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    }
    return found;
  }

  describeStateMachine(input: { stateMachineArn?: string }, callerAccountId?: string) {
    const found = this.stateMachine(input.stateMachineArn, callerAccountId);
    return {
      stateMachineArn: found.stateMachineArn,
      name: found.name,
      status: 'ACTIVE' as const,
      definition: found.definition,
      roleArn: found.roleArn,
      type: found.type,
      creationDate: new Date(found.creationDate),
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    };
  }

  listStateMachines(input: { maxResults?: number; nextToken?: string }, callerAccountId?: string) {
    const all = [...this.stateMachines.values()]
      .filter((found) => {
        const parts = parseStateMachineArn(found.stateMachineArn);
        return parts.region === this.region && (callerAccountId === undefined || parts.accountId === callerAccountId);
      })
      .sort((left, right) => left.name.localeCompare(right.name));
    const result = page(all, input.maxResults, input.nextToken);
    return {
      stateMachines: result.items.map((found) => ({
        stateMachineArn: found.stateMachineArn,
        name: found.name,
        type: found.type,
        creationDate: new Date(found.creationDate),
      })),
      ...(result.nextToken ? { nextToken: result.nextToken } : {}),
    };
  }

  startExecution(
    input: { stateMachineArn?: string; name?: string; input?: string; traceHeader?: string },
    callerAccountId?: string,
  ): { executionArn: string; startDate: Date } {
    const stateMachine = this.stateMachine(input.stateMachineArn, callerAccountId);
    const name = input.name ?? randomUUID();
    assertValidExecutionName(name);
    const inputText = input.input ?? '{}';
    assertPayloadSize(inputText, 'input');
    try {
      JSON.parse(inputText);
    } catch (error) {
      throw new StepFunctionsApiError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: '${error instanceof Error ? error.message : String(error)}'`,
      );
    }
    const executionArn = executionArnOf(stateMachine.stateMachineArn, name);
    const existing = this.executions.get(executionArn);
    if (existing) {
      // Same name and input while still running is the same request; otherwise the name is taken.
      if (existing.record.status === 'RUNNING' && existing.record.input === inputText)
        return { executionArn, startDate: new Date(existing.record.startDate) };
      throw new StepFunctionsApiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    if (this.closed) throw new StepFunctionsApiError('InternalFailure', 'The Step Functions engine is closed');
    const startDate = Date.now();
    const machine = stateMachine.machine;
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn: stateMachine.stateMachineArn,
      name,
      status: 'RUNNING',
      startDate,
      input: inputText,
      traceHeader: input.traceHeader,
      definition: stateMachine.definition,
      roleArn: stateMachine.roleArn,
      timeoutAt: this.timeoutAt(startDate, machine.TimeoutSeconds),
      taskTokens: [],
    };
    const history = new ExecutionHistory();
    history.add('ExecutionStarted', 0, { input: inputText, inputDetails: { truncated: false }, roleArn: stateMachine.roleArn }, startDate);
    const execution = this.track(record, history, machine);
    // On disk before StartExecution answers: a caller told "started" must find it after a crash.
    this.store.saveNow(record, history.events);
    // Until the sandbox has deployed its functions (resumeExecutions), a new execution waits
    // with the resumed ones rather than failing its first Task on a function not there yet.
    if (this.resumed) this.launch(execution, undefined);
    else this.awaitingResume.push({ execution, cursor: undefined });
    return { executionArn, startDate: new Date(startDate) };
  }

  /** When the execution times out: its TimeoutSeconds, at most the 1-year maximum (not applied at time scale 0, where it would be now). */
  private timeoutAt(startDate: number, timeoutSeconds: number | undefined): number | undefined {
    if (timeoutSeconds === undefined && this.time.timeScale === 0) return undefined;
    return startDate + this.time.realMs(Math.min(timeoutSeconds ?? MAX_EXECUTION_SECONDS, MAX_EXECUTION_SECONDS));
  }

  private launch(execution: EngineExecution, cursor: ExecutionCursor | undefined): void {
    const { timeoutAt } = execution.record;
    if (timeoutAt !== undefined) {
      execution.timeoutTimer = setLongTimeout(() => this.timeOut(execution), timeoutAt - Date.now());
    }
    execution.running = this.runner.run(execution, cursor);
  }

  private timeOut(execution: EngineExecution): void {
    if (execution.record.status !== 'RUNNING' || execution.halted) return;
    const cause =
      (execution.machine.TimeoutSeconds ?? MAX_EXECUTION_SECONDS) <= MAX_EXECUTION_SECONDS
        ? 'The execution ran longer than the state machine TimeoutSeconds'
        : 'The execution ran longer than the maximum execution time of a Standard workflow (1 year)';
    this.closeExecution(execution, { status: 'TIMED_OUT', error: 'States.Timeout', cause });
    execution.controller.abort(new ExecutionInterrupted('timed-out'));
  }

  private closeExecution(
    execution: EngineExecution,
    outcome: ExecutionOutcome | { status: 'ABORTED' | 'TIMED_OUT'; error?: string; cause?: string },
  ): void {
    const { record, history } = execution;
    if (record.status !== 'RUNNING' || execution.halted) return;
    const now = Date.now();
    record.status = outcome.status;
    record.stopDate = now;
    record.cursor = undefined;
    const previous = history.lastEventId;
    if (outcome.status === 'SUCCEEDED') {
      record.output = JSON.stringify(outcome.output);
      history.add('ExecutionSucceeded', previous, { output: record.output, outputDetails: { truncated: false } }, now);
    } else {
      record.error = outcome.error;
      record.cause = outcome.cause;
      const type =
        outcome.status === 'FAILED' ? 'ExecutionFailed' : outcome.status === 'ABORTED' ? 'ExecutionAborted' : 'ExecutionTimedOut';
      history.add(type, previous, { error: outcome.error, cause: outcome.cause }, now);
    }
    execution.timeoutTimer?.clear();
    this.store.saveNow(record, history.events);
    execution.complete();
    this.log(
      JSON.stringify({
        service: 'stepfunctions',
        event: 'ExecutionClosed',
        executionArn: record.executionArn,
        status: record.status,
        error: record.error,
      }),
    );
  }

  describeExecution(input: { executionArn?: string }, callerAccountId?: string): ExecutionDescription {
    const { record } = this.execution(input.executionArn, callerAccountId);
    const description: ExecutionDescription = {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: new Date(record.startDate),
      input: record.input,
      inputDetails: { included: true },
      redriveCount: 0,
      redriveStatus: 'NOT_REDRIVABLE',
    };
    if (record.stopDate !== undefined) description.stopDate = new Date(record.stopDate);
    if (record.output !== undefined) {
      description.output = record.output;
      description.outputDetails = { included: true };
    }
    if (record.error) description.error = record.error;
    if (record.cause) description.cause = record.cause;
    if (record.traceHeader) description.traceHeader = record.traceHeader;
    return description;
  }

  describeStateMachineForExecution(input: { executionArn?: string }, callerAccountId?: string) {
    const { record, stateMachineName } = this.execution(input.executionArn, callerAccountId);
    return {
      stateMachineArn: record.stateMachineArn,
      name: stateMachineName,
      definition: record.definition,
      roleArn: record.roleArn,
      updateDate: new Date(this.stateMachines.get(record.stateMachineArn)?.creationDate ?? record.startDate),
    };
  }

  listExecutions(
    input: { stateMachineArn?: string; statusFilter?: string; maxResults?: number; nextToken?: string },
    callerAccountId?: string,
  ) {
    const stateMachine = this.stateMachine(input.stateMachineArn, callerAccountId);
    const all = this.executionsByStateMachine.get(stateMachine.stateMachineArn) ?? [];
    const matching: EngineExecution[] = [];
    for (let index = all.length - 1; index >= 0; index--) {
      const execution = all[index] as EngineExecution;
      if (input.statusFilter === undefined || execution.record.status === input.statusFilter) matching.push(execution);
    }
    const result = page(matching, input.maxResults, input.nextToken);
    return {
      executions: result.items.map(({ record }) => ({
        executionArn: record.executionArn,
        stateMachineArn: record.stateMachineArn,
        name: record.name,
        status: record.status,
        startDate: new Date(record.startDate),
        ...(record.stopDate !== undefined ? { stopDate: new Date(record.stopDate) } : {}),
      })),
      ...(result.nextToken ? { nextToken: result.nextToken } : {}),
    };
  }

  getExecutionHistory(
    input: { executionArn?: string; maxResults?: number; nextToken?: string; reverseOrder?: boolean; includeExecutionData?: boolean },
    callerAccountId?: string,
  ) {
    const { history } = this.execution(input.executionArn, callerAccountId);
    const events = input.reverseOrder ? [...history.events].reverse() : history.events;
    const result = page(events, input.maxResults, input.nextToken);
    const includeData = input.includeExecutionData ?? true;
    return {
      events: result.items.map((event) => historyEventForApi(event, includeData)),
      ...(result.nextToken ? { nextToken: result.nextToken } : {}),
    };
  }

  stopExecution(input: { executionArn?: string; error?: string; cause?: string }, callerAccountId?: string): { stopDate: Date } {
    const execution = this.execution(input.executionArn, callerAccountId);
    assertFieldLength(input.error, 'error', MAX_ERROR_LENGTH);
    assertFieldLength(input.cause, 'cause', MAX_CAUSE_LENGTH);
    if (execution.record.status === 'RUNNING') {
      this.closeExecution(execution, { status: 'ABORTED', error: input.error, cause: input.cause });
      execution.controller.abort(new ExecutionInterrupted('stopped'));
      // The stop is on disk before the API answers.
      this.store.flush();
    }
    return { stopDate: new Date(execution.record.stopDate ?? Date.now()) };
  }

  sendTaskSuccess(input: { taskToken?: string; output?: string }): Record<string, never> {
    const token = required(input.taskToken, 'taskToken');
    const outputText = required(input.output, 'output');
    assertPayloadSize(outputText, 'output');
    let output: Json;
    try {
      output = JSON.parse(outputText) as Json;
    } catch (error) {
      throw new StepFunctionsApiError('InvalidOutput', `Invalid Output: '${error instanceof Error ? error.message : String(error)}'`);
    }
    this.settleDurably(token, { kind: 'success', output });
    return {};
  }

  sendTaskFailure(input: { taskToken?: string; error?: string; cause?: string }): Record<string, never> {
    const token = required(input.taskToken, 'taskToken');
    assertFieldLength(input.error, 'error', MAX_ERROR_LENGTH);
    assertFieldLength(input.cause, 'cause', MAX_CAUSE_LENGTH);
    this.settleDurably(token, { kind: 'failure', error: input.error ?? '', cause: input.cause ?? '' });
    return {};
  }

  sendTaskHeartbeat(input: { taskToken?: string }): Record<string, never> {
    const token = required(input.taskToken, 'taskToken');
    this.tokens.heartbeat(token);
    // The heartbeat moved the task's deadline in its checkpoint: on disk before the answer.
    const execution = this.executions.get(this.tokens.executionOf(token));
    if (execution) this.store.saveNow(execution.record, execution.history.events);
    return {};
  }

  /**
   * Settles a task token and writes the decision into the execution's checkpoint before
   * returning, so that an engine killed right after the API answered resumes with it.
   */
  private settleDurably(token: string, decision: TaskDecision): void {
    const execution = this.executions.get(this.tokens.executionOf(token));
    this.tokens.settle(token, taskOutcomeOf(decision));
    const callback = execution?.record.cursor?.callback;
    if (!execution || execution.record.status !== 'RUNNING' || callback?.token !== token) return;
    callback.decision = decision;
    this.store.saveNow(execution.record, execution.history.events);
  }

  /**
   * Resumes the executions that were RUNNING when the engine last closed. Call it once the
   * functions they may invoke are registered. Only the top level of a definition is
   * checkpointed: an execution inside a Parallel or Map state re-runs that whole state.
   */
  resumeExecutions(): void {
    this.resumed = true;
    for (const { execution, cursor } of this.awaitingResume.splice(0)) {
      if (execution.record.status !== 'RUNNING') continue;
      if (execution.machine === PLACEHOLDER_MACHINE) {
        this.closeExecution(execution, {
          status: 'FAILED',
          error: 'States.Runtime',
          cause: 'The definition of this execution could not be loaded after a restart',
        });
        continue;
      }
      this.launch(execution, cursor);
    }
  }

  /** Resolves once the execution has ended (for tests and scripts). */
  async waitForExecution(executionArn: string): Promise<ExecutionDescription> {
    await this.execution(executionArn, undefined).completion;
    return this.describeExecution({ executionArn });
  }

  /** Stops running work (executions stay RUNNING on disk, to resume) and writes everything out. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const running: Array<Promise<void>> = [];
    for (const execution of this.executions.values()) {
      if (execution.record.status !== 'RUNNING') continue;
      execution.halted = true;
      execution.timeoutTimer?.clear();
      execution.controller.abort(new ExecutionInterrupted('engine-closed'));
      if (execution.running) running.push(execution.running);
      execution.complete();
    }
    await Promise.allSettled(running);
    this.store.flush();
  }
}
