/**
 * A bucket policy as PutBucketPolicy and AWS::S3::BucketPolicy write it, read into one
 * shape (every one-or-many element a list) so that evaluation never re-checks types.
 * Grammar: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
 */
export type PrincipalBlock = '*' | Record<string, string[]>;

export interface PolicyStatement {
  sid?: string;
  effect: 'Allow' | 'Deny';
  /** Exactly one of principal / notPrincipal is set. */
  principal?: PrincipalBlock;
  notPrincipal?: PrincipalBlock;
  /** Exactly one of action / notAction is set. */
  action?: string[];
  notAction?: string[];
  /** Exactly one of resource / notResource is set. */
  resource?: string[];
  notResource?: string[];
  /** Operator → condition key → values; several values of one key are ORed. */
  condition: Record<string, Record<string, string[]>>;
}

export interface BucketPolicy {
  version: '2008-10-17' | '2012-10-17';
  statements: PolicyStatement[];
}

/** S3's MalformedPolicy (400): the message is what S3 answers where it is known. */
export class MalformedPolicyError extends Error {
  override readonly name = 'MalformedPolicyError';
}

/** "Bucket policies are limited to 20 KB in size" (S3 User Guide, add-bucket-policy); S3 measures the document normalized. */
const MAX_NORMALIZED_POLICY_BYTES = 20 * 1024;
/** The principal_map_entry keys of the IAM grammar. */
const PRINCIPAL_KINDS = new Set(['AWS', 'Federated', 'Service', 'CanonicalUser']);
const ACCOUNT_ID = /^[0-9]{12}$/;
const IAM_PRINCIPAL_ARN = /^arn:aws:iam::[0-9]{12}:(root|user\/.+|role\/.+|federated-user\/.+)$/;
const STS_PRINCIPAL_ARN = /^arn:aws:sts::[0-9]{12}:(assumed-role|federated-user)\/.+$/;

/**
 * Parses and checks a policy for `bucket`, throwing MalformedPolicyError as S3 refuses one.
 * Messages S3 is recorded answering: "Policies must be valid JSON and the first byte must be
 * '{'" (aws/aws-cli#2779), "Missing required field Statement", "Invalid principal in
 * policy", "Policy has invalid resource". The others are the sandbox's wording.
 */
export function parseBucketPolicy(text: string, bucket: string): BucketPolicy {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new MalformedPolicyError("Policies must be valid JSON and the first byte must be '{'", { cause: error });
  }
  if (!text.trimStart().startsWith('{') || !isRecord(document))
    throw new MalformedPolicyError("Policies must be valid JSON and the first byte must be '{'");
  if (Buffer.byteLength(JSON.stringify(document)) > MAX_NORMALIZED_POLICY_BYTES)
    throw new MalformedPolicyError(`Normalized policy document exceeds the maximum allowed size of ${MAX_NORMALIZED_POLICY_BYTES} bytes`);
  const version = document.Version ?? '2008-10-17';
  if (version !== '2008-10-17' && version !== '2012-10-17')
    throw new MalformedPolicyError('The policy must contain a valid version string');
  if (document.Statement === undefined) throw new MalformedPolicyError('Missing required field Statement');
  const statements = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
  if (statements.length === 0) throw new MalformedPolicyError('Could not parse the policy: Statement is empty!');
  return { version, statements: statements.map((statement) => parseStatement(statement, bucket)) };
}

function parseStatement(statement: unknown, bucket: string): PolicyStatement {
  if (!isRecord(statement)) throw new MalformedPolicyError('Invalid policy syntax.');
  const { Sid, Effect, Condition } = statement;
  if (Effect !== 'Allow' && Effect !== 'Deny') throw new MalformedPolicyError(`Invalid effect: ${String(Effect)}`);
  if (Sid !== undefined && typeof Sid !== 'string') throw new MalformedPolicyError('Invalid policy syntax.');
  const [principalKey, principal] = exactlyOne(statement, 'Principal', 'NotPrincipal');
  // The IAM guide: NotPrincipal is for Deny statements; S3 (ceph s3-tests) refuses it with Allow.
  if (principalKey === 'NotPrincipal' && Effect === 'Allow') throw new MalformedPolicyError('Invalid policy syntax.');
  const [actionKey, action] = exactlyOne(statement, 'Action', 'NotAction');
  const [resourceKey, resource] = exactlyOne(statement, 'Resource', 'NotResource');
  const actions = stringList(action);
  if (!actions.every((name) => name === '*' || name.toLowerCase().startsWith('s3:')))
    throw new MalformedPolicyError('Policy has invalid action');
  const resources = stringList(resource);
  if (!resources.every((arn) => namesThisBucket(arn, bucket))) throw new MalformedPolicyError('Policy has invalid resource');
  const parsedPrincipal = parsePrincipal(principal);
  return {
    ...(Sid === undefined ? {} : { sid: Sid }),
    effect: Effect,
    ...(principalKey === 'Principal' ? { principal: parsedPrincipal } : { notPrincipal: parsedPrincipal }),
    ...(actionKey === 'Action' ? { action: actions } : { notAction: actions }),
    ...(resourceKey === 'Resource' ? { resource: resources } : { notResource: resources }),
    condition: parseCondition(Condition),
  };
}

/** "you cannot use both Action and NotAction in the same policy statement" (and Principal, Resource likewise). */
function exactlyOne<K extends string>(statement: Record<string, unknown>, positive: K, negative: K): [K, unknown] {
  const hasPositive = statement[positive] !== undefined;
  const hasNegative = statement[negative] !== undefined;
  if (hasPositive && hasNegative) throw new MalformedPolicyError('Invalid policy syntax.');
  if (!hasPositive && !hasNegative) throw new MalformedPolicyError(`Missing required field ${positive}`);
  return hasPositive ? [positive, statement[positive]] : [negative, statement[negative]];
}

function parsePrincipal(value: unknown): PrincipalBlock {
  if (value === '*') return '*';
  if (!isRecord(value) || Object.keys(value).length === 0) throw new MalformedPolicyError('Invalid principal in policy');
  const block: Record<string, string[]> = {};
  for (const [kind, names] of Object.entries(value)) {
    if (!PRINCIPAL_KINDS.has(kind)) throw new MalformedPolicyError('Invalid principal in policy');
    const list = stringList(names, 'Invalid principal in policy');
    // "You cannot use a wildcard to match part of a principal name or ARN" (IAM guide, Principal).
    if (
      kind === 'AWS' &&
      !list.every((name) => name === '*' || ACCOUNT_ID.test(name) || IAM_PRINCIPAL_ARN.test(name) || STS_PRINCIPAL_ARN.test(name))
    )
      throw new MalformedPolicyError('Invalid principal in policy');
    block[kind] = list;
  }
  return block;
}

function parseCondition(value: unknown): Record<string, Record<string, string[]>> {
  if (value === undefined) return {};
  if (!isRecord(value)) throw new MalformedPolicyError('Invalid policy syntax.');
  const condition: Record<string, Record<string, string[]>> = {};
  for (const [operator, keys] of Object.entries(value)) {
    if (!isRecord(keys)) throw new MalformedPolicyError('Invalid policy syntax.');
    condition[operator] = {};
    for (const [key, values] of Object.entries(keys)) {
      // "Quotation marks are optional for numeric and Boolean values" (IAM grammar).
      const list = (Array.isArray(values) ? values : [values]).map((item) => {
        if (typeof item !== 'string' && typeof item !== 'boolean' && typeof item !== 'number')
          throw new MalformedPolicyError('Invalid policy syntax.');
        return String(item);
      });
      condition[operator][key] = list;
    }
  }
  return condition;
}

/** A Resource must be an S3 ARN of this bucket or of its objects (a pattern may stand for it). */
function namesThisBucket(arn: string, bucket: string): boolean {
  const prefix = 'arn:aws:s3:::';
  if (!arn.startsWith(prefix)) return false;
  const bucketPart = arn.slice(prefix.length).split('/')[0] ?? '';
  return globMatches(bucketPart, bucket, true);
}

function stringList(value: unknown, message = 'Invalid policy syntax.'): string[] {
  const list = Array.isArray(value) ? (value as unknown[]) : [value];
  if (list.length === 0 || !list.every((item): item is string => typeof item === 'string')) throw new MalformedPolicyError(message);
  return list;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** IAM's wildcards: `*` any run of characters (a slash included), `?` exactly one. */
export function globMatches(pattern: string, value: string, caseSensitive: boolean): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\/]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, caseSensitive ? 's' : 'si').test(value);
}
