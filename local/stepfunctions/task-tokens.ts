import { randomBytes } from 'node:crypto';
import { type Json } from './json-value';
import { StatesError, StepFunctionsApiError } from './stepfunctions-errors';

/** How a waiting callback task ends. */
export type TaskOutcome = { kind: 'success'; output: Json } | { kind: 'failure'; error: StatesError };

interface OpenToken {
  executionArn: string;
  /** A SendTask* that came before the task started waiting (the invoke was still running). */
  early?: TaskOutcome;
  waiter?: { settle: (outcome: TaskOutcome) => void; heartbeat: () => void };
}

const TOKEN_BYTES = 192;

/**
 * The task tokens of `.waitForTaskToken` tasks: unguessable (192 random bytes, base64url,
 * 256 characters), open while their task waits, remembered as closed afterwards so that
 * a late SendTask* gets TaskTimedOut rather than InvalidToken.
 */
export class TaskTokens {
  private readonly open = new Map<string, OpenToken>();
  private readonly closed = new Map<string, string>();

  issue(executionArn: string): string {
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    this.open.set(token, { executionArn });
    return token;
  }

  /** Re-opens a token a resumed execution is still waiting on. */
  reopen(token: string, executionArn: string): void {
    this.closed.delete(token);
    if (!this.open.has(token)) this.open.set(token, { executionArn });
  }

  /** Remembers tokens of tasks that ended before a restart. */
  rememberClosed(token: string, executionArn: string): void {
    if (!this.open.has(token)) this.closed.set(token, executionArn);
  }

  close(token: string): void {
    const entry = this.open.get(token);
    if (!entry) return;
    this.open.delete(token);
    this.closed.set(token, entry.executionArn);
  }

  /** Waits for SendTaskSuccess / SendTaskFailure on the token; heartbeats call `onHeartbeat`. */
  wait(token: string, onHeartbeat: () => void): Promise<TaskOutcome> {
    const entry = this.open.get(token);
    if (!entry) return Promise.reject(new StatesError('States.Runtime', 'The task token is no longer open'));
    if (entry.early) return Promise.resolve(entry.early);
    return new Promise<TaskOutcome>((resolve) => {
      entry.waiter = { settle: resolve, heartbeat: onHeartbeat };
    });
  }

  /** The execution a token belongs to, checking it is still open (else the API error to answer). */
  executionOf(token: string): string {
    const entry = this.open.get(token);
    if (entry) return entry.executionArn;
    if (this.closed.has(token))
      throw new StepFunctionsApiError('TaskTimedOut', 'Task Timed Out: the task for this token has already been closed');
    throw new StepFunctionsApiError('InvalidToken', 'Invalid Token: the task token is not valid');
  }

  settle(token: string, outcome: TaskOutcome): void {
    this.executionOf(token);
    const entry = this.open.get(token) as OpenToken;
    if (entry.waiter) {
      this.close(token);
      entry.waiter.settle(outcome);
    } else if (!entry.early) {
      entry.early = outcome;
    } else {
      throw new StepFunctionsApiError('TaskTimedOut', 'Task Timed Out: the task for this token has already been completed');
    }
  }

  heartbeat(token: string): void {
    this.executionOf(token);
    this.open.get(token)?.waiter?.heartbeat();
  }
}
