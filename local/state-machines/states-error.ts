/** An error as Step Functions names it: matched by Retry and Catch, shown as Error and Cause. */
export class StatesError extends Error {
  constructor(
    override readonly name: string,
    override readonly cause: string,
  ) {
    super(`${name}: ${cause}`);
  }
}

export const STATES_RUNTIME = 'States.Runtime';
export const STATES_TIMEOUT = 'States.Timeout';
export const STATES_HEARTBEAT_TIMEOUT = 'States.HeartbeatTimeout';
export const STATES_TASK_FAILED = 'States.TaskFailed';

export function runtimeError(cause: string): StatesError {
  return new StatesError(STATES_RUNTIME, cause);
}

/** An API error, answered as `{"__type": name, "message": ...}` with HTTP 400. */
export class StepFunctionsApiError extends Error {
  constructor(
    override readonly name: string,
    message: string,
  ) {
    super(message);
  }
}
