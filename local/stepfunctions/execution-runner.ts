import { choiceRuleMatches, parseTimestamp } from './choice-rules';
import { randomUUID } from 'node:crypto';
import {
  batchItems,
  type ChildExecutionResult,
  DISTRIBUTED_MAP_DEFAULT_CONCURRENCY,
  exceededThresholdError,
  childResultEntry,
  type MapRunObjectStore,
  readItems,
  s3Location,
  toleratedFailures,
  writeMapRunResults,
} from './distributed-map';
import { DiscardedHistory, type EventDetails, type ExecutionHistory, type HistoryEventType } from './execution-history';
import { type ExecutionCursor, type ExecutionRecord } from './execution-store';
import { ReferencePathConflictError, setAtReferencePath } from './json-path';
import { isJsonObject, type Json } from './json-value';
import {
  isFunctionArn,
  LAMBDA_CALLBACK_RESOURCE,
  LAMBDA_INVOKE_RESOURCE,
  lambdaInvokeResult,
  lambdaRequestPayload,
  type LambdaFunctions,
} from './lambda-integration';
import { applyPayloadTemplate, applySelectionPath, evaluateDynamicValue, lookUpPath } from './payload-template';
import { firstMatching, maxAttemptsOf, retryDelaySeconds } from './retry-policy';
import { childAbortController, type LongTimer, raceAbort, type ScaledTime, setLongTimeout, sleep } from './scaled-time';
import { isDistributedMap, type StateDefinition, type StateMachineDefinition, type StatesBlock } from './state-machine-definition';
import { assertStateDataSize } from './payload-limits';
import { runtimeError, StatesError, StatesErrorName } from './stepfunctions-errors';
import { type TaskTokens } from './task-tokens';

/** An execution the engine is running: its stored record, its history, and what stops it. */
export interface RunningExecution {
  readonly record: ExecutionRecord;
  readonly history: ExecutionHistory;
  readonly machine: StateMachineDefinition;
  readonly stateMachineName: string;
  readonly region: string;
  readonly accountId: string;
  readonly controller: AbortController;
  readonly parsedInput: Json;
  /** Set once the engine closes: the execution stays RUNNING on disk and records nothing more. */
  halted: boolean;
  /** Set on a Distributed Map's child execution: it is neither saved nor kept in its parent's history. */
  readonly parent?: RunningExecution;
}

/** Why an execution's work stops without any state failing (the stopper records the outcome). */
export class ExecutionInterrupted extends Error {
  constructor(readonly reason: 'stopped' | 'timed-out' | 'engine-closed') {
    super(`execution interrupted: ${reason}`);
    this.name = 'ExecutionInterrupted';
  }
}

/** A Parallel branch or Map iteration cancelled because a sibling failed. */
class SiblingFailed extends Error {
  override readonly name = 'SiblingFailed';
}

export interface ExecutionRunnerDependencies {
  readonly functions: LambdaFunctions;
  readonly tokens: TaskTokens;
  readonly time: ScaledTime;
  /** Persists the execution's record and history (debounced by the store). */
  readonly save: (execution: RunningExecution) => void;
  /** Records how the execution ended; ignored when it already ended. */
  readonly close: (execution: RunningExecution, outcome: ExecutionOutcome) => void;
  /** Where Distributed Map ItemReader reads and ResultWriter writes. */
  readonly objectStore?: MapRunObjectStore;
  /** Told of every state entered, in any execution (a Map Run's children too): what AWS bills as a state transition. */
  readonly onStateEntered?: () => void;
}

/** A failure's error and cause are absent when nothing named them (a Fail state without Error or Cause). */
export type ExecutionOutcome = { status: 'SUCCEEDED'; output: Json } | { status: 'FAILED'; error?: string; cause?: string };

/** Where a chain of states runs: the top level of the definition, a Parallel branch or a Map iteration. */
interface BranchScope {
  readonly execution: RunningExecution;
  readonly signal: AbortSignal;
  lastEventId: number;
  /** Only top-level states are checkpointed for resuming after a restart. */
  readonly topLevel: boolean;
}

interface StateRun {
  readonly name: string;
  readonly state: StateDefinition;
  readonly input: Json;
  readonly scope: BranchScope;
  readonly enteredTime: string;
  /** The id of the state's StateEntered event: AWS names it in the cause of the state's runtime errors. */
  readonly enteredEventId: number;
  /** Saves where the execution is (top level only). */
  readonly checkpoint: (extra?: Partial<ExecutionCursor>) => void;
}

interface StepResult {
  output: Json;
  next?: string;
}

const dataDetails = (name: string, field: 'input' | 'output', data: Json): EventDetails => ({
  name,
  [field]: JSON.stringify(data),
  [`${field}Details`]: { truncated: false },
});

const LOCATED_CAUSE_PREFIX = 'An error occurred while executing the state ';

/**
 * A States.Runtime error raised by a state's own data processing, with the prefix AWS puts
 * on its cause ("An error occurred while executing the state 'X' (entered at the event id #N). ...").
 * An error that already names a state (one from inside a branch) is left as it is.
 */
function locatedRuntimeError(error: unknown, run: StateRun): unknown {
  if (!(error instanceof StatesError) || error.error !== StatesErrorName.Runtime || error.cause.startsWith(LOCATED_CAUSE_PREFIX))
    return error;
  return new StatesError(
    error.error,
    `${LOCATED_CAUSE_PREFIX}'${run.name}' (entered at the event id #${run.enteredEventId}). ${error.cause}`,
  );
}

function asStatesError(error: unknown): StatesError {
  if (error instanceof StatesError) return error;
  return runtimeError(error instanceof Error ? error.message : String(error));
}

/**
 * The interpreter of the JSONPath dialect of the States language. Each execution runs as
 * one async chain; Parallel branches and Map iterations run as concurrent chains that share
 * the execution's history; a Distributed Map's children run as child executions whose events
 * are not kept. Stop, time-out and engine close abort the execution's signal.
 */
export class ExecutionRunner {
  constructor(private readonly deps: ExecutionRunnerDependencies) {}

  async run(execution: RunningExecution, resumeFrom?: ExecutionCursor): Promise<void> {
    const scope: BranchScope = {
      execution,
      signal: execution.controller.signal,
      lastEventId: execution.history.lastEventId,
      topLevel: true,
    };
    try {
      const start = resumeFrom?.stateName ?? execution.machine.StartAt;
      const input = resumeFrom ? resumeFrom.stateInput : execution.parsedInput;
      const output = await this.runBlock(execution.machine, start, input, scope, resumeFrom);
      this.deps.close(execution, { status: 'SUCCEEDED', output });
    } catch (error) {
      if (execution.controller.signal.aborted) return;
      const failure = asStatesError(error);
      this.deps.close(execution, { status: 'FAILED', error: failure.error || undefined, cause: failure.cause || undefined });
    }
  }

  private emit(scope: BranchScope, type: HistoryEventType, details?: EventDetails): number {
    const { execution } = scope;
    if (execution.halted || execution.record.status !== 'RUNNING') return scope.lastEventId;
    scope.lastEventId = execution.history.add(type, scope.lastEventId, details);
    if (!execution.parent) this.deps.save(execution);
    return scope.lastEventId;
  }

  private async runBlock(
    block: StatesBlock,
    startAt: string,
    input: Json,
    scope: BranchScope,
    resumeFrom?: ExecutionCursor,
  ): Promise<Json> {
    let name = startAt;
    let data = input;
    let cursor = resumeFrom;
    for (;;) {
      const state = block.States[name];
      if (!state) throw runtimeError(`The state '${name}' does not exist`);
      const step = await this.runState(name, state, data, scope, cursor);
      cursor = undefined;
      if (step.next === undefined) return step.output;
      name = step.next;
      data = step.output;
    }
  }

  private async runState(
    name: string,
    state: StateDefinition,
    input: Json,
    scope: BranchScope,
    cursor: ExecutionCursor | undefined,
  ): Promise<StepResult> {
    const enteredTime = cursor?.enteredTime ?? new Date().toISOString();
    let enteredEventId = cursor?.enteredEventId ?? scope.lastEventId;
    if (!cursor) {
      enteredEventId = this.emit(
        scope,
        state.Type === 'Fail' ? 'FailStateEntered' : `${state.Type}StateEntered`,
        dataDetails(name, 'input', input),
      );
      this.deps.onStateEntered?.();
    }
    const base: ExecutionCursor = {
      stateName: name,
      stateInput: input,
      enteredTime,
      enteredEventId,
      retriesDone: cursor?.retriesDone ?? [],
    };
    const checkpoint = (extra: Partial<ExecutionCursor> = {}): void => {
      if (!scope.topLevel || scope.execution.halted || scope.execution.record.status !== 'RUNNING') return;
      scope.execution.record.cursor = { ...base, ...extra };
      this.deps.save(scope.execution);
    };
    if (!cursor) checkpoint();
    const run: StateRun = { name, state, input, scope, enteredTime, enteredEventId, checkpoint };
    try {
      return await this.runStateOfType(run, cursor);
    } catch (error) {
      throw locatedRuntimeError(error, run);
    }
  }

  private async runStateOfType(run: StateRun, cursor: ExecutionCursor | undefined): Promise<StepResult> {
    const { state, input } = run;
    switch (state.Type) {
      case 'Pass':
        return this.runPass(run);
      case 'Choice':
        return this.runChoice(run);
      case 'Wait':
        return this.runWait(run, cursor);
      case 'Succeed': {
        const context = this.contextObject(run, 0);
        const output = applySelectionPath(
          state.OutputPath,
          applySelectionPath(state.InputPath, input, context, 'InputPath'),
          context,
          'OutputPath',
        );
        this.exitState(run, output);
        return { output };
      }
      case 'Fail':
        throw this.failStateError(run);
      case 'Task':
        return this.runWithRetries(run, cursor, (retryCount, resume) => this.runTaskAttempt(run, retryCount, resume));
      case 'Parallel':
        return this.runWithRetries(run, cursor, (retryCount) => this.runParallelAttempt(run, retryCount));
      case 'Map':
        return this.runWithRetries(run, cursor, (retryCount) => this.runMapAttempt(run, retryCount));
      default:
        throw runtimeError(`Unsupported state type ${String((state as { Type: unknown }).Type)}`);
    }
  }

  private contextObject(run: StateRun, retryCount: number, extra: { token?: string; mapItem?: { index: number; value: Json } } = {}): Json {
    const { execution } = run.scope;
    const context: Record<string, Json> = {
      Execution: {
        Id: execution.record.executionArn,
        Input: execution.parsedInput,
        Name: execution.record.name,
        RoleArn: execution.record.roleArn,
        StartTime: new Date(execution.record.startDate).toISOString(),
        RedriveCount: 0,
      },
      StateMachine: { Id: execution.record.stateMachineArn, Name: execution.stateMachineName },
      State: { EnteredTime: run.enteredTime, Name: run.name, RetryCount: retryCount },
    };
    if (extra.token !== undefined) context.Task = { Token: extra.token };
    if (extra.mapItem) context.Map = { Item: { Index: extra.mapItem.index, Value: extra.mapItem.value } };
    return context;
  }

  /** ResultPath then OutputPath: how a state's result and its raw input become its output. */
  private combineResult(run: StateRun, result: Json, resultPath: string | null | undefined, context: Json): Json {
    let combined: Json;
    if (resultPath === null) combined = run.input;
    else if (resultPath === undefined || resultPath === '$') combined = result;
    else {
      try {
        combined = setAtReferencePath(run.input, resultPath, result);
      } catch (error) {
        if (error instanceof ReferencePathConflictError) throw new StatesError(StatesErrorName.ResultPathMatchFailure, error.message);
        throw runtimeError(error instanceof Error ? error.message : String(error));
      }
    }
    return applySelectionPath(run.state.OutputPath, combined, context, 'OutputPath');
  }

  private runPass(run: StateRun): StepResult {
    const { state } = run;
    const context = this.contextObject(run, 0);
    const input = applySelectionPath(state.InputPath, run.input, context, 'InputPath');
    const result =
      state.Result !== undefined
        ? state.Result
        : state.Parameters !== undefined
          ? applyPayloadTemplate(state.Parameters, { input, context })
          : input;
    const output = this.combineResult(run, result, state.ResultPath, context);
    this.exitState(run, output);
    return { output, next: state.Next };
  }

  private runChoice(run: StateRun): StepResult {
    const { state } = run;
    const context = this.contextObject(run, 0);
    const input = applySelectionPath(state.InputPath, run.input, context, 'InputPath');
    const matched = (state.Choices ?? []).find((rule) => choiceRuleMatches(rule, { input, context }));
    const next = matched?.Next ?? state.Default;
    if (next === undefined)
      throw new StatesError(
        StatesErrorName.NoChoiceMatched,
        `No Choice Rules matched and no Default specified in the Choice state '${run.name}'`,
      );
    const output = applySelectionPath(state.OutputPath, input, context, 'OutputPath');
    this.exitState(run, output);
    return { output, next };
  }

  private async runWait(run: StateRun, cursor: ExecutionCursor | undefined): Promise<StepResult> {
    const { state } = run;
    const context = this.contextObject(run, 0);
    const input = applySelectionPath(state.InputPath, run.input, context, 'InputPath');
    let waitUntil = cursor?.waitUntil;
    if (waitUntil === undefined) {
      const now = Date.now();
      const seconds = (value: Json, field: string): number => {
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
          throw runtimeError(
            `The value of ${field} in the Wait state '${run.name}' must be a non-negative integer, got ${JSON.stringify(value)}`,
          );
        return value;
      };
      const timestamp = (value: Json, field: string): number => {
        const time = parseTimestamp(value);
        if (time === undefined)
          throw runtimeError(
            `The value of ${field} in the Wait state '${run.name}' must be an ISO-8601 timestamp, got ${JSON.stringify(value)}`,
          );
        return Math.max(0, time - now) / 1000;
      };
      const field = (path: string, name: string): Json => {
        const found = lookUpPath(path, { input, context });
        if (!found.found) throw runtimeError(`Invalid path '${path}' for ${name}: no value in the input of the Wait state '${run.name}'`);
        return found.value;
      };
      let delaySeconds = 0;
      if (state.Seconds !== undefined) delaySeconds = seconds(state.Seconds, 'Seconds');
      else if (state.SecondsPath !== undefined) delaySeconds = seconds(field(state.SecondsPath, 'SecondsPath'), 'SecondsPath');
      else if (state.Timestamp !== undefined) delaySeconds = timestamp(state.Timestamp, 'Timestamp');
      else if (state.TimestampPath !== undefined) delaySeconds = timestamp(field(state.TimestampPath, 'TimestampPath'), 'TimestampPath');
      waitUntil = now + this.deps.time.realMs(delaySeconds);
      run.checkpoint({ waitUntil });
    }
    await sleep(waitUntil - Date.now(), run.scope.signal);
    const output = applySelectionPath(state.OutputPath, input, context, 'OutputPath');
    this.exitState(run, output);
    return { output, next: state.Next };
  }

  /** Records the state's exit, once its output is known to fit the payload quota. */
  private exitState(run: StateRun, output: Json): void {
    assertStateDataSize(output, 'output', run.name);
    this.emit(
      run.scope,
      `${run.state.Type as Exclude<StateDefinition['Type'], 'Fail'>}StateExited`,
      dataDetails(run.name, 'output', output),
    );
  }

  private failStateError(run: StateRun): StatesError {
    const { state } = run;
    const context = this.contextObject(run, 0);
    const scope = { input: run.input, context };
    const text = (value: Json): string => (typeof value === 'string' ? value : JSON.stringify(value));
    const error = state.Error ?? (state.ErrorPath !== undefined ? text(evaluateDynamicValue(state.ErrorPath, scope, 'ErrorPath')) : '');
    const cause = state.Cause ?? (state.CausePath !== undefined ? text(evaluateDynamicValue(state.CausePath, scope, 'CausePath')) : '');
    return new StatesError(error, cause);
  }

  /**
   * Runs a Task, Parallel or Map attempt under the state's Retry and Catch rules. The
   * processing of a successful attempt's result (ResultSelector, ResultPath, OutputPath) is
   * not retried: its errors go to Catch only, and States.Runtime (what a path that selects
   * nothing raises) matches no catcher, so it fails the execution as AWS documents.
   */
  private async runWithRetries(
    run: StateRun,
    cursor: ExecutionCursor | undefined,
    attempt: (retryCount: number, resume: ExecutionCursor | undefined) => Promise<Json>,
  ): Promise<StepResult> {
    const { state, scope } = run;
    const retriesDone = [...(cursor?.retriesDone ?? [])];
    let resume = cursor;
    for (;;) {
      const retryCount = retriesDone.reduce((sum, count) => sum + count, 0);
      let result: Json;
      try {
        result = await attempt(retryCount, resume);
      } catch (error) {
        resume = undefined;
        if (scope.signal.aborted) throw error;
        const failure = asStatesError(error);
        const retrier = firstMatching(state.Retry, failure.error);
        const done = retrier ? (retriesDone[retrier.index] ?? 0) : 0;
        if (retrier && done < maxAttemptsOf(retrier.rule)) {
          retriesDone[retrier.index] = done + 1;
          run.checkpoint({ retriesDone: [...retriesDone] });
          await sleep(this.deps.time.realMs(retryDelaySeconds(retrier.rule, done)), scope.signal);
          continue;
        }
        return this.catchFailure(run, failure);
      }
      let output: Json;
      try {
        const context = this.contextObject(run, retryCount);
        const selected =
          state.ResultSelector !== undefined ? applyPayloadTemplate(state.ResultSelector, { input: result, context }) : result;
        output = this.combineResult(run, selected, state.ResultPath, context);
        assertStateDataSize(output, 'output', run.name);
      } catch (error) {
        return this.catchFailure(run, asStatesError(locatedRuntimeError(error, run)));
      }
      this.exitState(run, output);
      return { output, next: state.Next };
    }
  }

  /** The state's first Catcher that names the failure, with the error output placed at its ResultPath; else the failure. */
  private catchFailure(run: StateRun, failure: StatesError): StepResult {
    const catcher = firstMatching(run.state.Catch, failure.error);
    if (!catcher) throw failure;
    const errorOutput = { Error: failure.error, Cause: failure.cause };
    const resultPath = catcher.rule.ResultPath;
    let output: Json;
    try {
      output =
        resultPath === null
          ? run.input
          : resultPath === undefined || resultPath === '$'
            ? errorOutput
            : setAtReferencePath(run.input, resultPath, errorOutput);
    } catch (pathError) {
      throw new StatesError(StatesErrorName.ResultPathMatchFailure, pathError instanceof Error ? pathError.message : String(pathError));
    }
    this.exitState(run, output);
    return { output, next: catcher.rule.Next };
  }

  private positiveSeconds(
    run: StateRun,
    input: Json,
    context: Json,
    fixed: number | undefined,
    path: string | undefined,
    field: string,
  ): number | undefined {
    if (fixed !== undefined) return fixed;
    if (path === undefined) return undefined;
    const found = lookUpPath(path, { input, context });
    if (!found.found || typeof found.value !== 'number' || !Number.isInteger(found.value) || found.value <= 0) {
      throw runtimeError(`The value of ${field} ('${path}') in the state '${run.name}' must be a positive integer`);
    }
    return found.value;
  }

  private async runTaskAttempt(run: StateRun, retryCount: number, resume: ExecutionCursor | undefined): Promise<Json> {
    const { state, scope } = run;
    const { execution } = scope;
    const resource = state.Resource ?? '';
    const callback = resource === LAMBDA_CALLBACK_RESOURCE;
    const optimized = resource === LAMBDA_INVOKE_RESOURCE || callback;
    if (!optimized && !isFunctionArn(resource)) {
      throw runtimeError(
        `The resource '${resource}' of the Task state '${run.name}' is not supported by the local Step Functions engine; it runs ${LAMBDA_INVOKE_RESOURCE}, ${LAMBDA_CALLBACK_RESOURCE} and Lambda function ARNs`,
      );
    }
    const resumed = resume?.callback;
    const token = callback ? (resumed?.token ?? this.deps.tokens.issue(execution.record.executionArn)) : undefined;
    if (token !== undefined && !execution.record.taskTokens.includes(token)) execution.record.taskTokens.push(token);
    const { controller, dispose } = childAbortController(scope.signal);
    const timers: LongTimer[] = [];
    let heartbeatTimer: LongTimer | undefined;
    const resourceType = 'lambda';
    const resourceName = callback ? 'invoke.waitForTaskToken' : 'invoke';
    try {
      const context = this.contextObject(run, retryCount, { token });
      const input = applySelectionPath(state.InputPath, run.input, context, 'InputPath');
      const effective = state.Parameters !== undefined ? applyPayloadTemplate(state.Parameters, { input, context }) : input;
      assertStateDataSize(effective, 'input after Parameters processing', run.name);
      const timeoutSeconds = this.positiveSeconds(
        run,
        input,
        context,
        state.TimeoutSeconds,
        state.TimeoutSecondsPath,
        'TimeoutSecondsPath',
      );
      const heartbeatSeconds = this.positiveSeconds(
        run,
        input,
        context,
        state.HeartbeatSeconds,
        state.HeartbeatSecondsPath,
        'HeartbeatSecondsPath',
      );
      if (optimized) {
        this.emit(scope, 'TaskScheduled', {
          resourceType,
          resource: resourceName,
          region: execution.region,
          parameters: JSON.stringify(effective),
          timeoutInSeconds: timeoutSeconds,
          heartbeatInSeconds: heartbeatSeconds,
        });
        this.emit(scope, 'TaskStarted', { resourceType, resource: resourceName });
      } else {
        this.emit(scope, 'LambdaFunctionScheduled', {
          resource,
          input: JSON.stringify(effective),
          inputDetails: { truncated: false },
          timeoutInSeconds: timeoutSeconds,
        });
        this.emit(scope, 'LambdaFunctionStarted');
      }
      const timeoutAt =
        resumed?.timeoutAt ?? (timeoutSeconds !== undefined ? Date.now() + this.deps.time.realMs(timeoutSeconds) : undefined);
      if (timeoutAt !== undefined) {
        timers.push(
          setLongTimeout(
            () =>
              controller.abort(
                new StatesError(StatesErrorName.Timeout, `The task did not finish within its TimeoutSeconds (${timeoutSeconds ?? '?'} s)`),
              ),
            Math.max(0, timeoutAt - Date.now()),
          ),
        );
      }
      try {
        let result: Json;
        if (callback && token !== undefined) {
          let heartbeatAt =
            resumed?.heartbeatAt ?? (heartbeatSeconds !== undefined ? Date.now() + this.deps.time.realMs(heartbeatSeconds) : undefined);
          const armHeartbeat = () => {
            heartbeatTimer?.clear();
            if (heartbeatAt === undefined) return;
            heartbeatTimer = setLongTimeout(
              () =>
                controller.abort(
                  new StatesError(StatesErrorName.HeartbeatTimeout, `No heartbeat within HeartbeatSeconds (${heartbeatSeconds ?? '?'} s)`),
                ),
              Math.max(0, heartbeatAt - Date.now()),
            );
          };
          armHeartbeat();
          const saveCallback = (invoked: boolean) =>
            run.checkpoint({
              retriesDone: execution.record.cursor?.retriesDone ?? [],
              callback: { token, invoked, timeoutAt, heartbeatSeconds, heartbeatAt },
            });
          if (!resumed?.invoked) {
            saveCallback(false);
            const payload = lambdaRequestPayload(isJsonObject(effective) ? effective.Payload : undefined);
            const response = await raceAbort(
              this.deps.functions.invoke(
                String(isJsonObject(effective) ? effective.FunctionName : ''),
                payload,
                execution.region,
                execution.accountId,
              ),
              controller.signal,
            );
            this.emit(scope, 'TaskSubmitted', {
              resourceType,
              resource: resourceName,
              output: JSON.stringify(lambdaInvokeResult(response, undefined)),
              outputDetails: { truncated: false },
            });
          }
          saveCallback(true);
          const outcome = await raceAbort(
            this.deps.tokens.wait(token, () => {
              if (heartbeatSeconds === undefined) return;
              heartbeatAt = Date.now() + this.deps.time.realMs(heartbeatSeconds);
              armHeartbeat();
              saveCallback(true);
            }),
            controller.signal,
          );
          if (outcome.kind === 'failure') throw outcome.error;
          result = outcome.output;
        } else if (optimized) {
          const parameters = isJsonObject(effective) ? effective : {};
          const invocationType = typeof parameters.InvocationType === 'string' ? parameters.InvocationType : undefined;
          const invocation = this.deps.functions.invoke(
            String(parameters.FunctionName ?? ''),
            lambdaRequestPayload(parameters.Payload),
            execution.region,
            execution.accountId,
          );
          if (invocationType === 'Event') {
            invocation.catch(() => undefined);
            result = lambdaInvokeResult(null, invocationType);
          } else {
            result = lambdaInvokeResult(await raceAbort(invocation, controller.signal), invocationType);
          }
        } else {
          result = await raceAbort(
            this.deps.functions.invoke(resource, effective, execution.region, execution.accountId),
            controller.signal,
          );
        }
        assertStateDataSize(result, 'result', run.name);
        if (optimized)
          this.emit(scope, 'TaskSucceeded', {
            resourceType,
            resource: resourceName,
            output: JSON.stringify(result),
            outputDetails: { truncated: false },
          });
        else this.emit(scope, 'LambdaFunctionSucceeded', { output: JSON.stringify(result), outputDetails: { truncated: false } });
        return result;
      } catch (error) {
        if (scope.signal.aborted || !(error instanceof StatesError)) throw error;
        const timedOut = error.error === StatesErrorName.Timeout || error.error === StatesErrorName.HeartbeatTimeout;
        const details = { error: error.error, cause: error.cause };
        if (optimized) this.emit(scope, timedOut ? 'TaskTimedOut' : 'TaskFailed', { resourceType, resource: resourceName, ...details });
        else this.emit(scope, timedOut ? 'LambdaFunctionTimedOut' : 'LambdaFunctionFailed', details);
        throw error;
      }
    } finally {
      for (const timer of timers) timer.clear();
      heartbeatTimer?.clear();
      dispose();
      if (token !== undefined && !scope.execution.halted) this.deps.tokens.close(token);
    }
  }

  private async runParallelAttempt(run: StateRun, retryCount: number): Promise<Json> {
    const { state, scope } = run;
    const context = this.contextObject(run, retryCount);
    const input = applySelectionPath(state.InputPath, run.input, context, 'InputPath');
    const effective = state.Parameters !== undefined ? applyPayloadTemplate(state.Parameters, { input, context }) : input;
    const startedId = this.emit(scope, 'ParallelStateStarted');
    const { controller, dispose } = childAbortController(scope.signal);
    let firstFailure: unknown;
    try {
      const outputs = await Promise.all(
        (state.Branches ?? []).map((branch) =>
          this.runBlock(branch, branch.StartAt, effective, {
            execution: scope.execution,
            signal: controller.signal,
            lastEventId: startedId,
            topLevel: false,
          }).catch((error: unknown) => {
            if (!controller.signal.aborted) {
              firstFailure = error;
              controller.abort(new SiblingFailed('another branch failed'));
            }
            throw error;
          }),
        ),
      );
      scope.lastEventId = scope.execution.history.lastEventId;
      this.emit(scope, 'ParallelStateSucceeded');
      return outputs;
    } catch (error) {
      if (scope.signal.aborted) throw error;
      scope.lastEventId = scope.execution.history.lastEventId;
      this.emit(scope, 'ParallelStateFailed');
      throw firstFailure ?? error;
    } finally {
      dispose();
    }
  }

  private async runMapAttempt(run: StateRun, retryCount: number): Promise<Json> {
    const { state, scope, name } = run;
    if (isDistributedMap(state)) return this.runDistributedMapAttempt(run, retryCount);
    const processor = state.ItemProcessor ?? state.Iterator;
    if (!processor) throw runtimeError(`The Map state '${name}' has no ItemProcessor`);
    const context = this.contextObject(run, retryCount);
    const input = applySelectionPath(state.InputPath, run.input, context, 'InputPath');
    const items = applySelectionPath(state.ItemsPath, input, context, 'ItemsPath');
    if (!Array.isArray(items))
      throw runtimeError(
        `Invalid path '${state.ItemsPath ?? '$'}': the ItemsPath of the Map state '${name}' must select an array, got ${JSON.stringify(items)}`,
      );
    let maxConcurrency = state.MaxConcurrency ?? 0;
    if (state.MaxConcurrencyPath !== undefined) {
      const found = lookUpPath(state.MaxConcurrencyPath, { input, context });
      if (!found.found || typeof found.value !== 'number' || !Number.isInteger(found.value) || found.value < 0)
        throw runtimeError(`MaxConcurrencyPath of the Map state '${name}' must select a non-negative integer`);
      maxConcurrency = found.value;
    }
    const template = state.ItemSelector ?? state.Parameters;
    const startedId = this.emit(scope, 'MapStateStarted', { length: items.length });
    const { controller, dispose } = childAbortController(scope.signal);
    const results: Json[] = new Array<Json>(items.length).fill(null);
    let nextIndex = 0;
    let firstFailure: unknown;
    const worker = async (): Promise<void> => {
      while (nextIndex < items.length && !controller.signal.aborted) {
        const index = nextIndex++;
        const value = items[index] as Json;
        const iteration: BranchScope = { execution: scope.execution, signal: controller.signal, lastEventId: startedId, topLevel: false };
        this.emit(iteration, 'MapIterationStarted', { name, index });
        try {
          const iterationInput =
            template !== undefined
              ? applyPayloadTemplate(template, { input, context: this.contextObject(run, retryCount, { mapItem: { index, value } }) })
              : value;
          results[index] = await this.runBlock(processor, processor.StartAt, iterationInput, iteration);
          this.emit(iteration, 'MapIterationSucceeded', { name, index });
        } catch (error) {
          if (controller.signal.aborted) {
            if (!scope.signal.aborted) this.emit(iteration, 'MapIterationAborted', { name, index });
            throw error;
          }
          this.emit(iteration, 'MapIterationFailed', { name, index });
          firstFailure = error;
          controller.abort(new SiblingFailed('another iteration failed'));
          throw error;
        }
      }
    };
    const workerCount = Math.max(1, maxConcurrency > 0 ? Math.min(maxConcurrency, items.length) : items.length);
    try {
      await Promise.all(Array.from({ length: workerCount }, worker));
      scope.lastEventId = scope.execution.history.lastEventId;
      this.emit(scope, 'MapStateSucceeded');
      return results;
    } catch (error) {
      if (scope.signal.aborted) throw error;
      scope.lastEventId = scope.execution.history.lastEventId;
      this.emit(scope, 'MapStateFailed');
      throw firstFailure ?? error;
    } finally {
      dispose();
    }
  }

  /**
   * A Distributed Map: each item (or batch) runs the ItemProcessor as a child execution whose
   * events are discarded, so the parent records only the Map Run. Children are not
   * checkpointed: after a restart the Map state re-runs from its start, as an inline Map does.
   */
  private async runDistributedMapAttempt(run: StateRun, retryCount: number): Promise<Json> {
    const { state, scope, name } = run;
    const { execution } = scope;
    const processor = state.ItemProcessor ?? state.Iterator;
    if (!processor) throw runtimeError(`The Map state '${name}' has no ItemProcessor`);
    const context = this.contextObject(run, retryCount);
    const input = applySelectionPath(state.InputPath, run.input, context, 'InputPath');
    const data = { input, context };
    const items = isJsonObject(state.ItemReader)
      ? readItems(state.ItemReader, data, this.deps.objectStore, execution.accountId)
      : applySelectionPath(state.ItemsPath, input, context, 'ItemsPath');
    if (!Array.isArray(items))
      throw runtimeError(
        `Invalid path '${state.ItemsPath ?? '$'}': the ItemsPath of the Map state '${name}' must select an array, got ${JSON.stringify(items)}`,
      );
    const writerTarget = isJsonObject(state.ResultWriter) ? s3Location(state.ResultWriter.Parameters, data, 'Prefix') : undefined;
    let maxConcurrency = state.MaxConcurrency ?? 0;
    if (state.MaxConcurrencyPath !== undefined) {
      const found = lookUpPath(state.MaxConcurrencyPath, data);
      if (!found.found || typeof found.value !== 'number' || !Number.isInteger(found.value) || found.value < 0)
        throw runtimeError(`MaxConcurrencyPath of the Map state '${name}' must select a non-negative integer`);
      maxConcurrency = found.value;
    }
    const tolerated = toleratedFailures(state, data, items.length);
    const template = state.ItemSelector ?? state.Parameters;
    const select = (index: number): Json => {
      const value = items[index] as Json;
      return template !== undefined
        ? applyPayloadTemplate(template, { input, context: this.contextObject(run, retryCount, { mapItem: { index, value } }) })
        : value;
    };
    const batches = isJsonObject(state.ItemBatcher)
      ? batchItems(
          state.ItemBatcher,
          items.map((_, index) => select(index)),
          data,
        )
      : undefined;
    const childCount = batches ? batches.length : items.length;

    const { region, accountId, stateMachineName } = execution;
    const label = state.Label ?? name;
    const mapRunId = randomUUID();
    const mapRunArn = `arn:aws:states:${region}:${accountId}:mapRun:${stateMachineName}/${label}:${mapRunId}`;
    const childMachineArn = `${execution.record.stateMachineArn}/${label}`;
    const childArnPrefix = `arn:aws:states:${region}:${accountId}:${state.ItemProcessor?.ProcessorConfig?.ExecutionType === 'EXPRESS' ? 'express' : 'execution'}:${stateMachineName}/${label}`;

    this.emit(scope, 'MapStateStarted', { length: items.length });
    this.emit(scope, 'MapRunStarted', { mapRunArn });
    const { controller, dispose } = childAbortController(scope.signal);
    const outputs: Json[] = writerTarget ? [] : new Array<Json>(childCount).fill(null);
    const written: ChildExecutionResult[] = [];
    let failedItems = 0;
    let thresholdError: StatesError | undefined;
    let next = 0;

    const runChild = async (index: number): Promise<void> => {
      const childInput = batches ? (batches[index] as { input: Json }).input : select(index);
      const childName = randomUUID();
      const startDate = Date.now();
      const inputText = JSON.stringify(childInput);
      const child: RunningExecution = {
        record: {
          executionArn: `${childArnPrefix}:${childName}`,
          stateMachineArn: childMachineArn,
          name: childName,
          status: 'RUNNING',
          startDate,
          input: inputText,
          definition: '',
          roleArn: execution.record.roleArn,
          taskTokens: [],
        },
        history: new DiscardedHistory(),
        machine: { StartAt: processor.StartAt, States: processor.States },
        stateMachineName: `${stateMachineName}/${label}`,
        region,
        accountId,
        controller,
        parsedInput: childInput,
        get halted() {
          return execution.halted;
        },
        parent: execution,
      };
      let outcome: ChildExecutionResult['outcome'];
      try {
        const output = await this.runBlock(processor, processor.StartAt, childInput, {
          execution: child,
          signal: controller.signal,
          lastEventId: 0,
          topLevel: false,
        });
        if (!writerTarget) outputs[index] = output;
        outcome = { status: 'SUCCEEDED', output: JSON.stringify(output) };
      } catch (error) {
        if (controller.signal.aborted) return;
        const failure = asStatesError(error);
        outcome = { status: 'FAILED', error: failure.error, cause: failure.cause };
        failedItems += batches ? (batches[index] as { size: number }).size : 1;
        if (failedItems > tolerated) {
          thresholdError = exceededThresholdError(failedItems, items.length);
          controller.abort(new SiblingFailed('the Map Run exceeded its tolerated failures'));
        }
      }
      const result: ChildExecutionResult = {
        executionArn: child.record.executionArn,
        name: childName,
        stateMachineArn: childMachineArn,
        input: inputText,
        startDate,
        stopDate: Date.now(),
        outcome,
      };
      if (writerTarget) written.push(result);
      else if (outcome.status === 'FAILED') outputs[index] = childResultEntry(result);
    };
    const worker = async (): Promise<void> => {
      while (next < childCount && !controller.signal.aborted) await runChild(next++);
    };
    const limit = maxConcurrency > 0 ? maxConcurrency : DISTRIBUTED_MAP_DEFAULT_CONCURRENCY;
    try {
      await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, childCount)) }, worker));
      if (scope.signal.aborted) throw scope.signal.reason;
      const result = writerTarget
        ? writeMapRunResults(this.deps.objectStore, writerTarget, accountId, { arn: mapRunArn, id: mapRunId }, written)
        : outputs;
      if (thresholdError) throw thresholdError;
      this.emit(scope, 'MapRunSucceeded');
      this.emit(scope, 'MapStateSucceeded');
      return result;
    } catch (error) {
      if (scope.signal.aborted) throw error;
      const failure = thresholdError ?? asStatesError(error);
      this.emit(scope, 'MapRunFailed', { error: failure.error, cause: failure.cause });
      this.emit(scope, 'MapStateFailed');
      throw failure;
    } finally {
      dispose();
    }
  }
}
