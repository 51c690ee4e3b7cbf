/** Error names a workflow matches on in Retry and Catch. */
export const UNVERIFIED_DECISION = 'UnverifiedDecision';
export const APPROVAL_RECORD_UNAVAILABLE = 'ApprovalRecordUnavailable';

/**
 * The approval task's callback is not backed by the approval record: no decision was
 * claimed (a forged SendTaskSuccess), or the callback says something else. Terminal:
 * the workflow fails with it and changes nothing.
 */
export class UnverifiedDecision extends Error {
  override readonly name = UNVERIFIED_DECISION;

  constructor(
    readonly requestId: string,
    readonly problem: string,
  ) {
    super(`approval ${requestId} is not verified: ${problem}`);
  }
}

/** The approval table could not be read or written just now; the step is retried. */
export class ApprovalRecordUnavailable extends Error {
  override readonly name = APPROVAL_RECORD_UNAVAILABLE;

  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
  }
}
