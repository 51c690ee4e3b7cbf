/**
 * Error names a Step Functions Retry or Catch matches on. A Lambda function's
 * error type is the thrown error's `name`, so each IoT failure is rethrown under
 * the IoT error name itself.
 */

export const RETRYABLE_IOT_ERRORS = [
  'ThrottlingException',
  'ServiceUnavailableException',
  'InternalFailureException',
] as const;

export const TERMINAL_IOT_ERRORS = [
  'CertificateStateException',
  'TransferConflictException',
  'TransferAlreadyCompletedException',
  'ResourceNotFoundException',
  'InvalidRequestException',
  'UnauthorizedException',
  'ResourceAlreadyExistsException',
] as const;

/** The IoT endpoint could not be reached or answered with something that is not an IoT error. */
export const IOT_REQUEST_FAILED = 'IotRequestFailed';
/** The audit table could not be read or written; retrying the step is safe. */
export const AUDIT_TRAIL_UNAVAILABLE = 'AuditTrailUnavailable';

/** Every error name a workflow should retry with backoff. */
export const RETRYABLE_ERROR_NAMES: readonly string[] = [
  ...RETRYABLE_IOT_ERRORS,
  IOT_REQUEST_FAILED,
  AUDIT_TRAIL_UNAVAILABLE,
];

export type IotErrorName =
  | (typeof RETRYABLE_IOT_ERRORS)[number]
  | (typeof TERMINAL_IOT_ERRORS)[number]
  | typeof IOT_REQUEST_FAILED;

const KNOWN_IOT_ERRORS: readonly string[] = [...RETRYABLE_IOT_ERRORS, ...TERMINAL_IOT_ERRORS];

export class IotActionError extends Error {
  override readonly name: IotErrorName;
  readonly retryable: boolean;

  constructor(
    name: IotErrorName,
    message: string,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = name;
    this.retryable = RETRYABLE_ERROR_NAMES.includes(name);
  }
}

export class AuditTrailUnavailableError extends Error {
  override readonly name = AUDIT_TRAIL_UNAVAILABLE;
}

interface SdkErrorShape {
  name?: unknown;
  message?: unknown;
  $metadata?: { requestId?: string };
}

/** Maps whatever the IoT client threw to an IotActionError carrying the IoT error name. */
export function toIotActionError(error: unknown): IotActionError {
  if (error instanceof IotActionError) return error;
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const message = typeof shape.message === 'string' ? shape.message : String(error);
  const requestId = shape.$metadata?.requestId;
  const name =
    typeof shape.name === 'string' && KNOWN_IOT_ERRORS.includes(shape.name)
      ? (shape.name as IotErrorName)
      : IOT_REQUEST_FAILED;
  return new IotActionError(name, message, requestId);
}
