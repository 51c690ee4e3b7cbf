import type { IncomingHttpHeaders } from 'node:http';

const CREDENTIAL_ACCESS_KEY = /Credential=([^/,\s]+)\//;
const ACCOUNT_DIGITS = /[0-9]{12}/;

/**
 * The sandbox's one rule for who is calling: the account is the first run of 12
 * digits in the access key id of the SigV4 Authorization header (see
 * `sandbox-accounts.ts`). Signatures are not checked: the AWS CLI v2 signs IoT calls
 * for service `execute-api`, the SDK for `iot`, and both must be accepted.
 */
export function callerAccountId(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (typeof authorization !== 'string') return undefined;
  const accessKeyId = CREDENTIAL_ACCESS_KEY.exec(authorization)?.[1];
  if (accessKeyId === undefined) return undefined;
  return ACCOUNT_DIGITS.exec(accessKeyId)?.[0];
}
