/** The `__type` names the Step Functions API answers with. */
export type StepFunctionsApiErrorType =
  | 'StateMachineDoesNotExist'
  | 'StateMachineAlreadyExists'
  | 'ExecutionDoesNotExist'
  | 'ExecutionAlreadyExists'
  | 'InvalidArn'
  | 'InvalidName'
  | 'InvalidDefinition'
  | 'InvalidExecutionInput'
  | 'InvalidToken'
  | 'TaskDoesNotExist'
  | 'TaskTimedOut'
  | 'InvalidOutput'
  | 'ValidationException'
  | 'UnknownOperationException'
  | 'UnrecognizedClientException'
  | 'SerializationException'
  | 'InternalFailure';

/** A request the Step Functions API refuses (HTTP 400 with `{"__type", "message"}`). */
export class StepFunctionsApiError extends Error {
  constructor(
    readonly type: StepFunctionsApiErrorType,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

/** The error names the States language defines (and this interpreter raises). */
export const StatesErrorName = {
  All: 'States.ALL',
  Runtime: 'States.Runtime',
  Timeout: 'States.Timeout',
  HeartbeatTimeout: 'States.HeartbeatTimeout',
  TaskFailed: 'States.TaskFailed',
  NoChoiceMatched: 'States.NoChoiceMatched',
  DataLimitExceeded: 'States.DataLimitExceeded',
  ResultPathMatchFailure: 'States.ResultPathMatchFailure',
  ItemReaderFailed: 'States.ItemReaderFailed',
  ResultWriterFailed: 'States.ResultWriterFailed',
  ExceedToleratedFailureThreshold: 'States.ExceedToleratedFailureThreshold',
} as const;

/** An error raised inside an execution: what Retry and Catch match on, and what a failed execution reports. */
export class StatesError extends Error {
  constructor(
    readonly error: string,
    override readonly cause: string,
  ) {
    super(`${error}: ${cause}`);
    this.name = error;
  }
}

export function runtimeError(cause: string): StatesError {
  return new StatesError(StatesErrorName.Runtime, cause);
}
