import type { InitializeMiddleware, MiddlewareStack } from '@smithy/types';

/**
 * Error names a Step Functions Retry or Catch matches on. A Lambda function's
 * error type is the thrown error's `name`, so each IoT failure is rethrown under
 * the IoT error name itself.
 */

export const RETRYABLE_IOT_ERRORS = ['ThrottlingException', 'ServiceUnavailableException', 'InternalFailureException'] as const;

export const TERMINAL_IOT_ERRORS = [
  'CertificateStateException',
  'TransferConflictException',
  'TransferAlreadyCompletedException',
  'ResourceNotFoundException',
  'InvalidRequestException',
  'UnauthorizedException',
  'ResourceAlreadyExistsException',
  'AccessDeniedException',
] as const;

/**
 * The names a denied permission comes back under: IAM's AccessDeniedException (one of
 * the errors every AWS API can return) and IoT's own UnauthorizedException. A retry
 * cannot grant a permission, so both are terminal.
 */
export const PERMISSION_DENIED_ERRORS = ['AccessDeniedException', 'UnauthorizedException'] as const;
export type PermissionDeniedErrorName = (typeof PERMISSION_DENIED_ERRORS)[number];

/** The IoT endpoint could not be reached or answered with something that is not an IoT error. */
export const IOT_REQUEST_FAILED = 'IotRequestFailed';
/** The audit table could not be read or written; retrying the step is safe. */
export const AUDIT_TRAIL_UNAVAILABLE = 'AuditTrailUnavailable';

/** Every error name a workflow should retry with backoff. */
export const RETRYABLE_ERROR_NAMES: readonly string[] = [...RETRYABLE_IOT_ERRORS, IOT_REQUEST_FAILED, AUDIT_TRAIL_UNAVAILABLE];

export type IotErrorName = (typeof RETRYABLE_IOT_ERRORS)[number] | (typeof TERMINAL_IOT_ERRORS)[number] | typeof IOT_REQUEST_FAILED;

const KNOWN_IOT_ERRORS: readonly string[] = [...RETRYABLE_IOT_ERRORS, ...TERMINAL_IOT_ERRORS];

export class IotActionError extends Error {
  override readonly name: IotErrorName;
  readonly retryable: boolean;

  constructor(
    name: IotErrorName,
    message: string,
    readonly requestId?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = name;
    this.retryable = RETRYABLE_ERROR_NAMES.includes(name);
  }
}

export class AuditTrailUnavailableError extends Error {
  override readonly name = AUDIT_TRAIL_UNAVAILABLE;
}

/**
 * An AWS call the function's role may not make. Its name stays the one AWS answered
 * (terminal for every workflow), its message names the IAM Action to grant.
 */
export class PermissionDeniedError extends Error {
  override readonly name: PermissionDeniedErrorName;

  constructor(
    name: PermissionDeniedErrorName,
    /** The IAM Action that was denied, e.g. `iot:TransferCertificate`. */
    readonly action: string,
    awsMessage: string,
    options?: ErrorOptions,
  ) {
    super(`${action} was denied: the function's role needs ${action} on the resource it called (AWS said: ${awsMessage})`, options);
    this.name = name;
  }
}

export function isPermissionDenied(error: unknown): error is { name: PermissionDeniedErrorName } {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' && (PERMISSION_DENIED_ERRORS as readonly string[]).includes(name);
}

// IAM's own denial names the Action: "... is not authorized to perform: iot:ListCertificates on resource: ...".
const ACTION_IN_IAM_MESSAGE = /not authorized to perform: ([a-z0-9-]+:[A-Za-z0-9]+)/;

/**
 * Makes the client fail a denied call with a PermissionDeniedError naming the IAM Action.
 * For IoT and DynamoDB the IAM Action is the API operation under the service's prefix
 * (`TransferCertificateCommand` → `iot:TransferCertificate`); where AWS's own message names
 * the Action, that name wins.
 */
export function nameDeniedPermissions<Input extends object, Output extends object>(
  client: { middlewareStack: MiddlewareStack<Input, Output> },
  iamPrefix: string,
): void {
  const naming: InitializeMiddleware<Input, Output> = (next, context) => async (args) => {
    try {
      return await next(args);
    } catch (error) {
      if (!isPermissionDenied(error) || error instanceof PermissionDeniedError) throw error;
      const awsMessage = error instanceof Error ? error.message : String(error);
      const operation = String(context.commandName ?? 'UnknownCommand').replace(/Command$/, '');
      const action = ACTION_IN_IAM_MESSAGE.exec(awsMessage)?.[1] ?? `${iamPrefix}:${operation}`;
      throw new PermissionDeniedError(error.name, action, awsMessage, { cause: error });
    }
  };
  client.middlewareStack.add(naming, { step: 'initialize', name: 'certflowDeniedPermissionNaming', override: true });
}

/**
 * What an audit-trail read or write that failed should throw: a denied permission as it
 * is (terminal), anything else as AuditTrailUnavailable (the workflow retries the step).
 */
export function toAuditTrailError(message: string, error: unknown): Error {
  if (error instanceof PermissionDeniedError) return error;
  return new AuditTrailUnavailableError(message, { cause: error });
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
  const name = typeof shape.name === 'string' && KNOWN_IOT_ERRORS.includes(shape.name) ? (shape.name as IotErrorName) : IOT_REQUEST_FAILED;
  return new IotActionError(name, message, requestId, { cause: error });
}
