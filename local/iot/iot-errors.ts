/**
 * The errors the local IoT endpoint answers with: the error name goes in the
 * `x-amzn-ErrorType` header and the status is the one the IoT service model gives
 * it, so the SDK and the CLI raise the same exception they would against AWS.
 */
export const IOT_ERROR_STATUS = {
  InvalidRequestException: 400,
  ThrottlingException: 400,
  MalformedPolicyException: 400,
  SerializationException: 400,
  CertificateValidationException: 400,
  RegistrationCodeValidationException: 400,
  UnauthorizedException: 401,
  MissingAuthenticationTokenException: 403,
  UnrecognizedClientException: 403,
  ResourceNotFoundException: 404,
  UnknownOperationException: 404,
  CertificateStateException: 406,
  TransferConflictException: 409,
  DeleteConflictException: 409,
  ResourceAlreadyExistsException: 409,
  VersionConflictException: 409,
  CertificateConflictException: 409,
  TransferAlreadyCompletedException: 410,
  LimitExceededException: 410,
  InternalFailureException: 500,
  ServiceUnavailableException: 503,
} as const;

export type IotErrorType = keyof typeof IOT_ERROR_STATUS;

export class IotServiceError extends Error {
  readonly status: number;

  constructor(
    readonly type: IotErrorType,
    message: string,
    /** Extra members of the error shape, e.g. resourceId and resourceArn of ResourceAlreadyExistsException. */
    readonly details: Record<string, string> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = type;
    this.status = IOT_ERROR_STATUS[type];
  }
}
