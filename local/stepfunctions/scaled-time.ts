import { setMaxListeners } from 'node:events';

/**
 * Definition time (seconds in Wait, Retry, TimeoutSeconds, HeartbeatSeconds) to real time:
 * `timeScale` 1 is real time, 0.001 runs a day in under a minute and a half.
 */
export class ScaledTime {
  constructor(readonly timeScale: number) {
    if (!(timeScale >= 0)) throw new Error(`timeScale must be a number >= 0, got ${timeScale}`);
  }

  /** Real milliseconds that `seconds` of workflow time take. */
  realMs(seconds: number): number {
    return seconds * 1000 * this.timeScale;
  }
}

/** The longest delay `setTimeout` honours; a longer one fires at once. */
const MAX_TIMER_MS = 2_147_483_647;

/** A timer that may be longer than `setTimeout` allows (a Wait of weeks at real time). */
export interface LongTimer {
  clear(): void;
}

export function setLongTimeout(callback: () => void, ms: number): LongTimer {
  const due = Date.now() + Math.max(0, ms);
  let timer: NodeJS.Timeout;
  const arm = (): void => {
    const left = due - Date.now();
    timer = left > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(callback, Math.max(0, left));
  };
  arm();
  return { clear: () => clearTimeout(timer) };
}

/** Resolves after `ms` real milliseconds, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      timer.clear();
      reject(signal.reason);
    };
    const timer = setLongTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The promise's outcome, unless the signal aborts first (the work itself is not cancelled). */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** An AbortController that also aborts (with the same reason) when its parent does; `dispose` unlinks it. */
export function childAbortController(parent: AbortSignal): { controller: AbortController; dispose: () => void } {
  const controller = unboundedAbortController();
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { controller, dispose: () => undefined };
  }
  const onAbort = () => controller.abort(parent.reason);
  parent.addEventListener('abort', onAbort, { once: true });
  return { controller, dispose: () => parent.removeEventListener('abort', onAbort) };
}

/** Many states and iterations listen to one execution's signal: lift Node's listener warning limit. */
export function unboundedAbortController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}
