import { StatesErrorName } from './stepfunctions-errors';

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
}

export interface Catcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string | null;
}

/** The developer guide: States.ALL "can't catch the States.DataLimitExceeded terminal error or Runtime error types". */
const TERMINAL_ERRORS: ReadonlySet<string> = new Set([StatesErrorName.Runtime, StatesErrorName.DataLimitExceeded]);
const TIMEOUT_ERRORS: ReadonlySet<string> = new Set([StatesErrorName.Timeout, StatesErrorName.HeartbeatTimeout]);

/**
 * Whether an ErrorEquals list names the error. `States.ALL` matches every error but the
 * terminal ones; `States.TaskFailed` every error but timeouts; `States.Timeout` also a
 * heartbeat timeout (the developer guide lists both under it). States.Runtime matches
 * nothing, even by name: the guide says it "isn't retriable, and will always cause the
 * execution to fail". States.DataLimitExceeded is matched only by its own name.
 */
export function errorMatches(errorEquals: readonly string[], error: string): boolean {
  if (error === StatesErrorName.Runtime) return false;
  return errorEquals.some((name) => {
    if (name === error) return true;
    if (TERMINAL_ERRORS.has(error)) return false;
    if (name === StatesErrorName.All) return true;
    if (name === StatesErrorName.TaskFailed) return !TIMEOUT_ERRORS.has(error);
    if (name === StatesErrorName.Timeout) return error === StatesErrorName.HeartbeatTimeout;
    return false;
  });
}

/** The first Retrier or Catcher whose ErrorEquals names the error (ASL: the first match wins). */
export function firstMatching<T extends { ErrorEquals: string[] }>(
  rules: readonly T[] | undefined,
  error: string,
): { rule: T; index: number } | undefined {
  const index = (rules ?? []).findIndex((rule) => errorMatches(rule.ErrorEquals, error));
  return index < 0 ? undefined : { rule: (rules as readonly T[])[index] as T, index };
}

export const RETRY_DEFAULTS = { IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 } as const;

export function maxAttemptsOf(retrier: Retrier): number {
  return retrier.MaxAttempts ?? RETRY_DEFAULTS.MaxAttempts;
}

/**
 * Seconds to wait before retry number `retriesDone + 1`: IntervalSeconds × BackoffRate^retriesDone,
 * capped by MaxDelaySeconds, then with JitterStrategy FULL a random point below that.
 */
export function retryDelaySeconds(retrier: Retrier, retriesDone: number, random: () => number = Math.random): number {
  const interval = retrier.IntervalSeconds ?? RETRY_DEFAULTS.IntervalSeconds;
  const backoff = retrier.BackoffRate ?? RETRY_DEFAULTS.BackoffRate;
  let delay = interval * Math.pow(backoff, retriesDone);
  if (retrier.MaxDelaySeconds !== undefined) delay = Math.min(delay, retrier.MaxDelaySeconds);
  if (retrier.JitterStrategy === 'FULL') delay = random() * delay;
  return delay;
}
