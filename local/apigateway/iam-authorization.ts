import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { executeApiSigner } from '../../cli/sigv4-signing';
import { principalOfAccessKey, SANDBOX_SECRET_ACCESS_KEY, type SandboxPrincipal } from '../sandbox-accounts';

/** The identity fields API Gateway fills in `requestContext.identity` for an IAM-authorized method. */
export interface IamCallerIdentity {
  accountId: string;
  userArn: string;
  caller: string;
  user: string;
  accessKey: string;
}

/** How API Gateway refuses a call to an AWS_IAM method: 403, its message and x-amzn-ErrorType. */
export interface IamRefusal {
  message: string;
  errorType: string;
}

/** API Gateway's answer to a call with no SigV4 signature (the same as to a path it does not serve). */
export const MISSING_AUTHENTICATION_TOKEN: IamRefusal = {
  message: 'Missing Authentication Token',
  errorType: 'MissingAuthenticationTokenException',
};
/** An access key id the account does not know. */
export const INVALID_SECURITY_TOKEN: IamRefusal = {
  message: 'The security token included in the request is invalid.',
  errorType: 'UnrecognizedClientException',
};
/** A signature made with another secret, or over other request parts than those received. */
export const SIGNATURE_MISMATCH: IamRefusal = {
  message:
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
  errorType: 'InvalidSignatureException',
};

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

export interface ReceivedRequest {
  method: string;
  /** The path as received, still percent-encoded: the client signed it so. */
  rawPath: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * API Gateway's IAM authorization as the sandbox does it: the request must carry a SigV4
 * Authorization header signed for `execute-api` with a sandbox key (sandbox-accounts.ts) and
 * the sandbox secret, over the headers, path, query and body received. No policy is
 * evaluated (execute-api:Invoke): every principal the sandbox knows may call.
 */
export async function authorizeIamCall(request: ReceivedRequest): Promise<{ identity: IamCallerIdentity } | { refused: IamRefusal }> {
  const authorization = header(request.headers, 'authorization');
  const amzDate = header(request.headers, 'x-amz-date');
  if (!authorization || !amzDate) return { refused: MISSING_AUTHENTICATION_TOKEN };
  const parts = AUTHORIZATION.exec(authorization);
  const date = AMZ_DATE.exec(amzDate);
  if (!parts || !date) return { refused: SIGNATURE_MISMATCH };
  const [, accessKeyId = '', , region = '', service = '', signedHeaders = ''] = parts;
  const principal: SandboxPrincipal | undefined = principalOfAccessKey(accessKeyId);
  if (!principal) return { refused: INVALID_SECURITY_TOKEN };
  const headers: Record<string, string> = {};
  for (const name of signedHeaders.split(';')) {
    const value = header(request.headers, name);
    if (value === undefined) return { refused: SIGNATURE_MISMATCH };
    headers[name] = value;
  }
  // The signer trusts a payload hash header it is given: check it against the body received.
  const payloadHash = headers['x-amz-content-sha256'];
  if (
    payloadHash !== undefined &&
    payloadHash !== 'UNSIGNED-PAYLOAD' &&
    payloadHash !== createHash('sha256').update(request.body).digest('hex')
  ) {
    return { refused: SIGNATURE_MISMATCH };
  }
  const query: Record<string, string | string[]> = {};
  for (const name of new Set(request.query.keys())) {
    const values = request.query.getAll(name);
    query[name] = values.length === 1 ? (values[0] ?? '') : values;
  }
  const [, year, month, day, hours, minutes, seconds] = date.map(Number);
  const signingDate = new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, day, hours, minutes, seconds));
  const expected = await executeApiSigner({ accessKeyId, secretAccessKey: SANDBOX_SECRET_ACCESS_KEY }, region).sign(
    { method: request.method, protocol: 'http:', hostname: headers.host ?? '', path: request.rawPath, query, headers, body: request.body },
    { signingDate, signingRegion: region, signingService: service },
  );
  if (service !== 'execute-api' || header(expected.headers, 'authorization') !== authorization) return { refused: SIGNATURE_MISMATCH };
  return {
    identity: {
      accountId: principal.accountId,
      userArn: principal.arn,
      caller: principal.principalId,
      user: principal.principalId,
      accessKey: accessKeyId,
    },
  };
}
