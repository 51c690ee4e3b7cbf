import { type Json } from './json-value';
import { StatesError, StatesErrorName, StepFunctionsApiError } from './stepfunctions-errors';

/**
 * The Quotas page: "Maximum input or output size for a task, state, or execution: 256 KiB
 * of data as a UTF-8 encoded string" (the API model's SensitiveData has max length 262144).
 */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

/** An API request field (StartExecution input, SendTaskSuccess output) over the quota: the API refuses it. */
export function assertPayloadSize(text: string, field: string): void {
  if (Buffer.byteLength(text, 'utf8') > MAX_PAYLOAD_BYTES) {
    throw new StepFunctionsApiError(
      'ValidationException',
      `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${MAX_PAYLOAD_BYTES}`,
    );
  }
}

/**
 * A state's input, result or output over the quota fails with States.DataLimitExceeded,
 * which the developer guide calls terminal: States.ALL does not catch it.
 */
export function assertStateDataSize(data: Json, what: string, stateName: string): void {
  const bytes = Buffer.byteLength(JSON.stringify(data), 'utf8');
  if (bytes > MAX_PAYLOAD_BYTES) {
    throw new StatesError(
      StatesErrorName.DataLimitExceeded,
      `The ${what} of the state '${stateName}' has a size of ${bytes} bytes, which exceeds the maximum of ${MAX_PAYLOAD_BYTES} bytes`,
    );
  }
}

/** The API model's SensitiveError and SensitiveCause: SendTaskFailure's and StopExecution's error and cause. */
export const MAX_ERROR_LENGTH = 256;
export const MAX_CAUSE_LENGTH = 32_768;

/** A string request field longer than the API model allows: ValidationException, as the API answers a constraint. */
export function assertFieldLength(value: string | undefined, field: string, max: number): void {
  if (value !== undefined && value.length > max) {
    throw new StepFunctionsApiError(
      'ValidationException',
      `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
    );
  }
}
