import { randomUUID } from 'node:crypto';
import { evaluateChoiceRule } from './choice-rules';
import type { ExecutionRecord } from './execution-record';
import { readPath, writePath } from './json-paths';
import { fillTemplate } from './payload-templates';
import type { CatchRule, MachineDefinition, RetryRule, StateDefinition } from './state-machine-definition';
import { STATES_HEARTBEAT_TIMEOUT, STATES_RUNTIME, STATES_TASK_FAILED, STATES_TIMEOUT, StatesError, runtimeError } from './states-error';

type Json = unknown;

/** What a run needs from the engine. */
export interface RunnerServices {
  region: string;
  /** Real milliseconds for a duration in workflow seconds. */
  scaled(seconds: number): number;
  invokeLambda(functionArn: string, payload: Json): Promise<Json>;
  /** Registers a callback task and resolves with its output (SendTaskSuccess) or rejects (SendTaskFailure, timeout, heartbeat timeout). */
  awaitTaskToken(token: string, execution: ExecutionRecord, timing: { timeoutMs?: number; heartbeatMs?: number }, signal: AbortSignal): Promise<Json>;
  newTaskToken(): string;
  /** The task failed before its callback: its token no longer waits. */
  abandonTaskToken(token: string): void;
  addEvent(execution: ExecutionRecord, type: string, detailsKey?: string, details?: Record<string, Json>): void;
  save(): void;
}

/** Thrown when an execution is stopped or the engine closes: the run ends where it is. */
export class RunInterrupted extends Error {
  override readonly name = 'RunInterrupted';
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new RunInterrupted());
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new RunInterrupted());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function withTimeout<T>(work: Promise<T>, ms: number | undefined, signal: AbortSignal): Promise<T> {
  if (ms === undefined) return work;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new StatesError(STATES_TIMEOUT, 'The task timed out')), Math.max(0, ms));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new RunInterrupted());
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function errorMatches(rule: { ErrorEquals: string[] }, error: StatesError): boolean {
  return rule.ErrorEquals.some(
    (name) =>
      name === error.name ||
      (name === 'States.ALL' && error.name !== STATES_RUNTIME) ||
      (name === STATES_TASK_FAILED && error.name !== STATES_TIMEOUT && error.name !== STATES_RUNTIME && !error.name.startsWith('States.')),
  );
}

/** A Lambda function's failure as Step Functions reports it: Error is its type, Cause a JSON of the error. */
function lambdaError(error: unknown): StatesError {
  if (error instanceof StatesError || error instanceof RunInterrupted) return error as StatesError;
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return new StatesError(name, JSON.stringify({ errorMessage: message, errorType: name, trace: [] }));
}

const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([^:]+)(?::[^:]+)?$/;

/** Runs the states of one execution (or of one Map / Parallel branch) from a given state. */
export class ExecutionRunner {
  constructor(
    private readonly services: RunnerServices,
    private readonly execution: ExecutionRecord,
    private readonly signal: AbortSignal,
    /** Only the top level saves its position and writes history; branches re-run whole after a restart. */
    private readonly topLevel: boolean,
  ) {}

  private get account(): string {
    return this.execution.executionArn.split(':')[4] ?? '';
  }

  private context(stateName: string, enteredAt: number, retryCount: number, extra: Record<string, Json> = {}): Json {
    const { execution } = this;
    return {
      Execution: { Id: execution.executionArn, Name: execution.name, Input: JSON.parse(execution.input) as Json, StartTime: new Date(execution.startDate).toISOString(), RoleArn: `arn:aws:iam::${this.account}:role/certflow-local` },
      StateMachine: { Id: execution.stateMachineArn, Name: execution.stateMachineArn.split(':').pop() },
      State: { Name: stateName, EnteredTime: new Date(enteredAt).toISOString(), RetryCount: retryCount },
      ...extra,
    };
  }

  private event(type: string, detailsKey?: string, details?: Record<string, Json>): void {
    if (this.topLevel) this.services.addEvent(this.execution, type, detailsKey, details);
  }

  /** Runs from `stateName` until a terminal state; returns the final output. */
  async run(machine: MachineDefinition, stateName: string, input: Json, resume?: ExecutionRecord['position'], mapContext?: Json): Promise<Json> {
    let current = stateName;
    let stateInput = input;
    let retryCount = resume?.retryCount ?? 0;
    let resumed = resume;
    for (;;) {
      if (this.signal.aborted) throw new RunInterrupted();
      const state = machine.States[current];
      if (!state) throw runtimeError(`The state ${current} does not exist`);
      const enteredAt = resumed?.enteredAt ?? Date.now();
      if (this.topLevel) {
        this.execution.position = { ...(resumed ?? {}), stateName: current, input: stateInput, enteredAt, retryCount };
        if (!resumed) this.event(`${state.Type}StateEntered`, 'stateEnteredEventDetails', { name: current, input: JSON.stringify(stateInput) });
        this.services.save();
      }
      let outcome: { output: Json; next?: string };
      try {
        outcome = await this.runState(current, state, stateInput, this.context(current, enteredAt, retryCount, mapContext as Record<string, Json>), resumed);
        resumed = undefined;
      } catch (error) {
        resumed = undefined;
        if (error instanceof RunInterrupted || !(error instanceof StatesError)) throw error;
        if (state.Type === 'Fail') throw error;
        const retry = (state.Retry ?? []).find((rule) => errorMatches(rule, error));
        const attempts = retry ? this.attemptsSoFar(retry, retryCount) : 0;
        if (retry && attempts < (retry.MaxAttempts ?? 3)) {
          await sleep(this.services.scaled(this.retryDelaySeconds(retry, attempts)), this.signal);
          retryCount += 1;
          continue;
        }
        const handler: CatchRule | undefined = (state.Catch ?? []).find((rule) => errorMatches(rule, error));
        if (!handler) throw error;
        this.event(`${state.Type}StateExited`, 'stateExitedEventDetails', { name: current, output: JSON.stringify({ Error: error.name, Cause: error.cause }) });
        stateInput = writePath(stateInput, handler.ResultPath === undefined ? '$' : handler.ResultPath, { Error: error.name, Cause: error.cause });
        current = handler.Next;
        retryCount = 0;
        continue;
      }
      if (state.Type !== 'Fail' && state.Type !== 'Succeed') {
        this.event(`${state.Type}StateExited`, 'stateExitedEventDetails', { name: current, output: JSON.stringify(outcome.output) });
      } else if (state.Type === 'Succeed') {
        this.event('SucceedStateExited', 'stateExitedEventDetails', { name: current, output: JSON.stringify(outcome.output) });
      }
      if (!outcome.next) return outcome.output;
      current = outcome.next;
      stateInput = outcome.output;
      retryCount = 0;
    }
  }

  private retryCounts = new Map<RetryRule, number>();

  /** Retries are counted per Retry rule within one entry of the state. */
  private attemptsSoFar(rule: RetryRule, retryCount: number): number {
    if (retryCount === 0) this.retryCounts.clear();
    const used = this.retryCounts.get(rule) ?? 0;
    this.retryCounts.set(rule, used + 1);
    return used;
  }

  private retryDelaySeconds(rule: RetryRule, attempt: number): number {
    let delay = (rule.IntervalSeconds ?? 1) * (rule.BackoffRate ?? 2) ** attempt;
    if (rule.MaxDelaySeconds !== undefined) delay = Math.min(delay, rule.MaxDelaySeconds);
    return rule.JitterStrategy === 'FULL' ? Math.random() * delay : delay;
  }

  private effectiveInput(state: StateDefinition, input: Json, context: Json): Json {
    const selected = state.InputPath === null ? {} : state.InputPath ? readPath(state.InputPath, input, context) : input;
    const template = state.Type === 'Map' ? undefined : state.Parameters;
    return template === undefined ? selected : fillTemplate(template, selected, context);
  }

  private finish(state: StateDefinition, input: Json, result: Json, context: Json): { output: Json; next?: string } {
    const selected = state.ResultSelector === undefined ? result : fillTemplate(state.ResultSelector, result, context);
    const combined = writePath(input, state.ResultPath, selected);
    const output = state.OutputPath === null ? {} : state.OutputPath ? readPath(state.OutputPath, combined, context) : combined;
    return { output, next: state.End ? undefined : state.Next };
  }

  private async runState(name: string, state: StateDefinition, input: Json, context: Json, resume?: ExecutionRecord['position']): Promise<{ output: Json; next?: string }> {
    switch (state.Type) {
      case 'Pass': {
        const effective = this.effectiveInput(state, input, context);
        return this.finish({ ...state, ResultSelector: undefined }, input, state.Result !== undefined ? state.Result : effective, context);
      }
      case 'Succeed': {
        const selected = state.InputPath ? readPath(state.InputPath, input, context) : input;
        return { output: state.OutputPath ? readPath(state.OutputPath, selected, context) : selected };
      }
      case 'Fail': {
        const error = state.ErrorPath ? String(readPath(state.ErrorPath, input, context)) : (state.Error ?? 'States.Fail');
        const cause = state.CausePath ? String(readPath(state.CausePath, input, context)) : (state.Cause ?? '');
        throw new StatesError(error, cause);
      }
      case 'Choice': {
        const selected = state.InputPath ? readPath(state.InputPath, input, context) : input;
        const matched = (state.Choices ?? []).find((rule) => evaluateChoiceRule(rule, selected, context));
        const next = (matched?.Next as string | undefined) ?? state.Default;
        if (!next) throw new StatesError('States.NoChoiceMatched', `No Choice rule of ${name} matched and it has no Default`);
        return { output: state.OutputPath ? readPath(state.OutputPath, selected, context) : selected, next };
      }
      case 'Wait': {
        const selected = state.InputPath ? readPath(state.InputPath, input, context) : input;
        let waitUntil = resume?.waitUntil;
        if (waitUntil === undefined) {
          let seconds: number;
          if (state.Seconds !== undefined) seconds = state.Seconds;
          else if (state.SecondsPath) seconds = Number(readPath(state.SecondsPath, selected, context));
          else {
            const timestamp = state.Timestamp ?? String(readPath(state.TimestampPath ?? '$', selected, context));
            seconds = Math.max(0, (Date.parse(timestamp) - Date.now()) / 1000);
          }
          if (!Number.isFinite(seconds) || seconds < 0) throw runtimeError(`Wait ${name}: the wait time is not a number of seconds`);
          waitUntil = Date.now() + this.services.scaled(seconds);
          if (this.topLevel && this.execution.position) {
            this.execution.position.waitUntil = waitUntil;
            this.services.save();
          }
        }
        await sleep(waitUntil - Date.now(), this.signal);
        return { output: state.OutputPath ? readPath(state.OutputPath, selected, context) : selected, next: state.End ? undefined : state.Next };
      }
      case 'Task':
        return this.runTask(name, state, input, context, resume);
      case 'Parallel': {
        const effective = this.effectiveInput(state, input, context);
        const results = await Promise.all((state.Branches ?? []).map((branch) => new ExecutionRunner(this.services, this.execution, this.signal, false).run(branch, branch.StartAt, effective)));
        return this.finish(state, input, results, context);
      }
      case 'Map':
        return this.runMap(state, input, context);
      default:
        throw runtimeError(`Unsupported state type ${(state as { Type: string }).Type}`);
    }
  }

  private async runMap(state: StateDefinition, input: Json, context: Json): Promise<{ output: Json; next?: string }> {
    const selected = state.InputPath ? readPath(state.InputPath, input, context) : input;
    const items = readPath(state.ItemsPath ?? '$', selected, context);
    if (!Array.isArray(items)) throw runtimeError(`Map: ItemsPath ${state.ItemsPath ?? '$'} is not an array`);
    const processor = state.ItemProcessor ?? state.Iterator;
    if (!processor) throw runtimeError('Map: no ItemProcessor');
    const selector = state.ItemSelector ?? state.Parameters;
    const limit = state.MaxConcurrency && state.MaxConcurrency > 0 ? state.MaxConcurrency : items.length || 1;
    const results: Json[] = new Array(items.length);
    let nextIndex = 0;
    const worker = async (): Promise<void> => {
      while (nextIndex < items.length) {
        const index = nextIndex++;
        const mapContext = { Map: { Item: { Index: index, Value: items[index] } } };
        const itemContext = { ...(context as Record<string, Json>), ...mapContext };
        const itemInput = selector === undefined ? items[index] : fillTemplate(selector, selected, itemContext);
        results[index] = await new ExecutionRunner(this.services, this.execution, this.signal, false).run(processor, processor.StartAt, itemInput, undefined, mapContext);
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, Math.max(1, items.length)) }, worker));
    return this.finish(state, input, results, context);
  }

  private functionArnOf(name: string): string {
    if (LAMBDA_ARN.test(name)) {
      const [, region, account, functionName] = LAMBDA_ARN.exec(name) ?? [];
      return `arn:aws:lambda:${region}:${account}:function:${functionName}`;
    }
    return `arn:aws:lambda:${this.services.region}:${this.account}:function:${name}`;
  }

  private async runTask(name: string, state: StateDefinition, input: Json, context: Json, resume?: ExecutionRecord['position']): Promise<{ output: Json; next?: string }> {
    const resource = state.Resource ?? '';
    const timeoutSeconds = state.TimeoutSeconds ?? (state.TimeoutSecondsPath ? Number(readPath(state.TimeoutSecondsPath, input, context)) : undefined);
    const heartbeatSeconds = state.HeartbeatSeconds ?? (state.HeartbeatSecondsPath ? Number(readPath(state.HeartbeatSecondsPath, input, context)) : undefined);
    const callback = /^arn:aws[a-z-]*:states:::lambda:invoke\.waitForTaskToken$/.test(resource);
    const integration = /^arn:aws[a-z-]*:states:::lambda:invoke$/.test(resource);
    const direct = LAMBDA_ARN.test(resource);
    if (!callback && !integration && !direct) throw runtimeError(`Task ${name}: the resource ${resource} is not supported by the local engine (lambda:invoke, lambda:invoke.waitForTaskToken and function ARNs are)`);

    // A callback task resumed after a restart: its function already ran; wait for the same token.
    if (callback && resume?.taskToken) {
      const remaining = resume.taskDeadline === undefined ? undefined : resume.taskDeadline - Date.now();
      const output = await this.awaitCallback(resume.taskToken, remaining, heartbeatSeconds);
      return this.finish(state, input, output, context);
    }

    const token = callback ? this.services.newTaskToken() : undefined;
    const taskContext = token ? { ...(context as Record<string, Json>), Task: { Token: token } } : context;
    const effective = this.effectiveInput(state, input, taskContext);
    const deadline = timeoutSeconds === undefined ? undefined : Date.now() + this.services.scaled(timeoutSeconds);
    const parameters = effective as { FunctionName?: string; Payload?: Json };
    const functionArn = direct ? this.functionArnOf(resource) : this.functionArnOf(String(parameters.FunctionName ?? ''));
    const payload = direct ? effective : parameters.Payload;
    const resourceType = direct ? undefined : callback ? 'invoke.waitForTaskToken' : 'invoke';

    if (direct) this.event('LambdaFunctionScheduled', 'lambdaFunctionScheduledEventDetails', { resource: functionArn, input: JSON.stringify(payload), ...(timeoutSeconds ? { timeoutInSeconds: timeoutSeconds } : {}) });
    else this.event('TaskScheduled', 'taskScheduledEventDetails', { resourceType: 'lambda', resource: resourceType, region: this.services.region, parameters: JSON.stringify({ FunctionName: functionArn, Payload: payload }) });
    this.event(direct ? 'LambdaFunctionStarted' : 'TaskStarted', direct ? undefined : 'taskStartedEventDetails', direct ? undefined : { resourceType: 'lambda', resource: resourceType });

    try {
      let result: Json;
      const remaining = () => (deadline === undefined ? undefined : deadline - Date.now());
      const invoked = withTimeout(this.services.invokeLambda(functionArn, payload).catch((error: unknown) => Promise.reject(lambdaError(error))), remaining(), this.signal);
      if (callback && token) {
        // The token is live from the task's start: SendTaskSuccess may come before the function returns.
        const waitingForToken = this.awaitCallback(token, remaining(), heartbeatSeconds);
        waitingForToken.catch(() => undefined);
        try {
          await invoked;
        } catch (error) {
          this.services.abandonTaskToken(token);
          throw error;
        }
        this.event('TaskSubmitted', 'taskSubmittedEventDetails', { resourceType: 'lambda', resource: resourceType, output: '{}' });
        if (this.topLevel && this.execution.position) {
          this.execution.position.taskToken = token;
          this.execution.position.taskDeadline = deadline;
          this.services.save();
        }
        result = await waitingForToken;
      } else {
        const payloadResult = await invoked;
        result = integration
          ? { ExecutedVersion: '$LATEST', Payload: payloadResult, StatusCode: 200, SdkHttpMetadata: { HttpStatusCode: 200 }, SdkResponseMetadata: { RequestId: randomUUID() } }
          : payloadResult;
      }
      this.event(direct ? 'LambdaFunctionSucceeded' : 'TaskSucceeded', direct ? 'lambdaFunctionSucceededEventDetails' : 'taskSucceededEventDetails', {
        ...(direct ? {} : { resourceType: 'lambda', resource: resourceType }),
        output: JSON.stringify(result),
      });
      return this.finish(state, input, result, taskContext);
    } catch (error) {
      if (error instanceof RunInterrupted) throw error;
      const failure = error instanceof StatesError ? error : lambdaError(error);
      const timedOut = failure.name === STATES_TIMEOUT || failure.name === STATES_HEARTBEAT_TIMEOUT;
      const type = direct ? (timedOut ? 'LambdaFunctionTimedOut' : 'LambdaFunctionFailed') : timedOut ? 'TaskTimedOut' : 'TaskFailed';
      const key = direct ? (timedOut ? 'lambdaFunctionTimedOutEventDetails' : 'lambdaFunctionFailedEventDetails') : timedOut ? 'taskTimedOutEventDetails' : 'taskFailedEventDetails';
      this.event(type, key, { ...(direct ? {} : { resourceType: 'lambda', resource: resourceType }), error: failure.name, cause: failure.cause });
      throw failure;
    }
  }

  private awaitCallback(token: string, remainingMs: number | undefined, heartbeatSeconds: number | undefined): Promise<Json> {
    const heartbeatMs = heartbeatSeconds === undefined ? undefined : this.services.scaled(heartbeatSeconds);
    return this.services.awaitTaskToken(token, this.execution, { timeoutMs: remainingMs, heartbeatMs }, this.signal);
  }
}
