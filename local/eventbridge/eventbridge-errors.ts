/**
 * An error EventBridge answers with: `type` is the `__type` of the JSON 1.1 error body
 * (ValidationException, ResourceNotFoundException, ...), always HTTP 400 except
 * InternalException.
 */
export class EventBridgeApiError extends Error {
  override readonly name = 'EventBridgeApiError';

  constructor(
    readonly type: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get httpStatus(): number {
    return this.type === 'InternalException' ? 500 : 400;
  }
}

export const validationError = (message: string): EventBridgeApiError => new EventBridgeApiError('ValidationException', message);

/** The wording AWS uses for a member that breaks a shape constraint of the service model. */
export const constraintError = (value: unknown, member: string, constraint: string): EventBridgeApiError =>
  validationError(
    `1 validation error detected: Value '${typeof value === 'string' ? value : JSON.stringify(value)}' at '${member}' failed to satisfy constraint: ${constraint}`,
  );
