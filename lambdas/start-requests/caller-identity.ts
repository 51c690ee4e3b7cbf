import { ValidationError } from '../iot-api/field-rules';
import { parseEmailAddress } from '../approvals/approver-identity';

/**
 * Who called the start API, as API Gateway verified it (IAM authorization: the SigV4
 * signature): `requestContext.identity` of the REST proxy event. Nothing in the request
 * body can change it.
 */
export interface CallerIdentity {
  /** The caller's account. */
  accountId: string;
  /** The caller's ARN: an IAM user, an assumed-role session, or the account root. */
  userArn: string;
  /** The caller's principal id (`AIDA…` for a user, `AROA…:<session>` for a role session). */
  caller: string;
}

/** Who requested an execution, as its input carries it. */
export interface Requester {
  /** The caller's e-mail address where its ARN names one, otherwise the ARN itself. */
  requestedBy: string;
  /** The caller's ARN, always. */
  requestedByArn: string;
}

/** An IAM or STS principal ARN (`iam::<account>:user/...`, `sts::<account>:assumed-role/...`, `iam::<account>:root`). */
export const PRINCIPAL_ARN_PATTERN = /^arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:(root|user\/.+|assumed-role\/[^/]+\/.+|federated-user\/.+)$/;

const ASSUMED_ROLE_SESSION = /^arn:aws[a-z-]*:sts::[0-9]{12}:assumed-role\/[^/]+\/(.+)$/;
// An IAM user's path may have several segments: the name is the last.
const IAM_USER_NAME = /^arn:aws[a-z-]*:iam::[0-9]{12}:user\/(?:.*\/)?([^/]+)$/;

/** The caller's identity from API Gateway's request context; refused when IAM authorization supplied none. */
export function parseCallerIdentity(identity: unknown): CallerIdentity {
  const fields = (typeof identity === 'object' && identity !== null ? identity : {}) as Record<string, unknown>;
  const text = (field: string): string => {
    const value = fields[field];
    if (typeof value !== 'string' || value.length === 0) {
      throw new ValidationError(`requestContext.identity.${field}`, 'is required: the API must use IAM authorization (AWS_IAM)');
    }
    return value;
  };
  const userArn = text('userArn');
  if (!PRINCIPAL_ARN_PATTERN.test(userArn)) {
    throw new ValidationError('requestContext.identity.userArn', 'must be an IAM user, role session or root ARN');
  }
  return { accountId: text('accountId'), userArn, caller: text('caller') };
}

/**
 * The e-mail address a principal ARN names, if any: an assumed-role session named after
 * the person (IAM Identity Center names its sessions after the user's e-mail address), or an
 * IAM user whose name is an e-mail address. Parsed as strictly as an approver's address.
 */
export function emailOfPrincipal(arn: string): string | undefined {
  const name = ASSUMED_ROLE_SESSION.exec(arn)?.[1] ?? IAM_USER_NAME.exec(arn)?.[1];
  if (name === undefined) return undefined;
  try {
    return parseEmailAddress(name, 'session');
  } catch (error) {
    if (error instanceof ValidationError) return undefined;
    throw error;
  }
}

/** Who the caller is as an execution's requester: the e-mail of its ARN, or the ARN. */
export function requesterOf(caller: Pick<CallerIdentity, 'userArn'>): Requester {
  return { requestedBy: emailOfPrincipal(caller.userArn) ?? caller.userArn, requestedByArn: caller.userArn };
}
