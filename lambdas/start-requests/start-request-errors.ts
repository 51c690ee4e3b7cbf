import { ValidationError } from '../iot-api/field-rules';

/** Error names a workflow matches on (no Catch carries on after them). */
export const UNVERIFIED_REQUEST = 'UnverifiedRequest';
export const START_REQUEST_STORE_UNAVAILABLE = 'StartRequestStoreUnavailable';

/** The body is not JSON: a 400 that names the body, with the parser's error as its cause. */
export class MalformedStartRequest extends ValidationError {
  constructor(cause: unknown) {
    super('body', 'must be a JSON object { "name"?: string, "input": object }');
    this.cause = cause;
  }
}

/**
 * The execution name was already started with another input (or by another caller, whose
 * identity is part of the input): StartExecution's own rule for a name, refused before it
 * is called so the start request on record stays the one that was started.
 */
export class StartRequestConflict extends Error {
  override readonly name = 'StartRequestConflict';

  constructor(
    readonly executionName: string,
    options?: { cause: unknown },
  ) {
    super(
      `name: execution ${executionName} was already started with a different input (or by another caller); an execution name is started once per input: choose another name`,
      options,
    );
  }
}

/** The start-request table could not be read or written: nothing was started; retrying is safe. */
export class StartRequestStoreUnavailable extends Error {
  override readonly name = START_REQUEST_STORE_UNAVAILABLE;

  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
  }
}

/**
 * The execution was not started through the start API, or not with this input: no start
 * request backs it (a StartExecution made directly), or the one on record is of another
 * input or requester. Terminal: the workflow fails with it before it reads the certificate.
 */
export class UnverifiedRequest extends Error {
  override readonly name = UNVERIFIED_REQUEST;

  constructor(
    readonly executionName: string,
    readonly problem: string,
  ) {
    super(`execution ${executionName} is not verified: ${problem}`);
  }
}
