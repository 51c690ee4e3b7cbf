import { globMatches, type BucketPolicy, type PolicyStatement, type PrincipalBlock } from './bucket-policy';

/** A request as a bucket policy sees it: which account asks for which action on which ARN. */
export interface PolicyRequest {
  accountId: string;
  /** `s3:GetObject`, `s3:ListBucket`, ... */
  action: string;
  /** `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key`. */
  resourceArn: string;
  /** Condition keys the sandbox knows, lowercase ("Context key names are not case-sensitive"); a key absent from the request is absent here. */
  context: Record<string, string | undefined>;
}

/** Condition keys the sandbox evaluates; a statement conditioned on any other key is undecidable here. */
export const KNOWN_CONDITION_KEYS = new Set(['aws:securetransport', 'aws:principalaccount', 's3:prefix']);

/**
 * The policy's verdict: `deny` for an explicit Deny (it overrides any Allow), `allow` for
 * an Allow and no Deny, `none` when no statement applies (an implicit deny).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 */
export type PolicyDecision = 'allow' | 'deny' | 'none';

/**
 * Whether a statement applies: `unknown` when it hinges on something the sandbox cannot
 * evaluate (a condition operator or key it does not know, an IAM user or role principal
 * in the caller's account, since a sandbox caller is an account and not an identity, or a
 * policy variable). The sandbox fails closed on those: an Allow that might apply grants
 * nothing, a Deny that might apply denies.
 */
type Applies = 'yes' | 'no' | 'unknown';

export function evaluateBucketPolicy(policy: BucketPolicy | undefined, request: PolicyRequest): PolicyDecision {
  if (!policy) return 'none';
  let allowed = false;
  for (const statement of policy.statements) {
    const applies = statementApplies(statement, policy.version, request);
    if (statement.effect === 'Deny' && applies !== 'no') return 'deny';
    if (statement.effect === 'Allow' && applies === 'yes') allowed = true;
  }
  return allowed ? 'allow' : 'none';
}

function statementApplies(statement: PolicyStatement, version: BucketPolicy['version'], request: PolicyRequest): Applies {
  return all([
    statement.principal
      ? principalApplies(statement.principal, request.accountId)
      : not(principalApplies(statement.notPrincipal ?? {}, request.accountId)),
    statement.action
      ? fromBoolean(actionMatches(statement.action, request.action))
      : fromBoolean(!actionMatches(statement.notAction ?? [], request.action)),
    statement.resource
      ? resourceApplies(statement.resource, version, request.resourceArn)
      : not(resourceApplies(statement.notResource ?? [], version, request.resourceArn)),
    conditionApplies(statement.condition, request.context),
  ]);
}

function principalApplies(block: PrincipalBlock, accountId: string): Applies {
  if (block === '*') return 'yes';
  const verdicts: Applies[] = [];
  for (const [kind, names] of Object.entries(block)) {
    for (const name of names) {
      if (kind !== 'AWS') {
        // A service principal is never a signed account caller; a canonical user id names
        // an account, but the sandbox keeps no canonical ids to tell which.
        verdicts.push(kind === 'CanonicalUser' ? 'unknown' : 'no');
      } else if (name === '*' || name === accountId || name === `arn:aws:iam::${accountId}:root`) {
        // "The account ARN and the shortened account ID behave the same way" (IAM guide, Principal).
        verdicts.push('yes');
      } else {
        const namedAccount = /^arn:aws:(?:iam|sts)::([0-9]{12}):/.exec(name)?.[1];
        verdicts.push(namedAccount === accountId ? 'unknown' : 'no');
      }
    }
  }
  return any(verdicts);
}

/** "The prefix and the action name are case insensitive", with `*` and `?` wildcards (IAM guide, Action). */
function actionMatches(patterns: string[], action: string): boolean {
  return patterns.some((pattern) => globMatches(pattern, action, false));
}

/**
 * ARNs compare segment by segment (a wildcard does not span the colons before the
 * resource part); within the resource part `*` also spans `/` (IAM guide, Resource).
 * S3 keys are case-sensitive, and so is the comparison.
 */
function resourceApplies(patterns: string[], version: BucketPolicy['version'], arn: string): Applies {
  return any(
    patterns.map((pattern) => {
      // Policy variables exist only under 2012-10-17; under 2008-10-17 `${...}` is literal.
      if (version === '2012-10-17' && pattern.includes('${')) return 'unknown';
      if (pattern === '*') return 'yes';
      const patternSegments = arnSegments(pattern);
      const arnParts = arnSegments(arn);
      return fromBoolean(patternSegments.every((segment, index) => globMatches(segment, arnParts[index] ?? '', true)));
    }),
  );
}

function arnSegments(arn: string): string[] {
  const parts = arn.split(':');
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

type ConditionTest = (actual: string, expected: string) => boolean;
const CONDITION_TESTS: Record<string, ConditionTest> = {
  StringEquals: (actual, expected) => actual === expected,
  StringEqualsIgnoreCase: (actual, expected) => actual.toLowerCase() === expected.toLowerCase(),
  StringLike: (actual, expected) => globMatches(expected, actual, true),
  Bool: (actual, expected) => actual.toLowerCase() === expected.toLowerCase(),
};
const NEGATED: Record<string, string> = {
  StringNotEquals: 'StringEquals',
  StringNotEqualsIgnoreCase: 'StringEqualsIgnoreCase',
  StringNotLike: 'StringLike',
};

/**
 * Several operators, and several keys under one, are ANDed; several values of a key ORed
 * (NORed for a negated operator). "If the key ... is not present in the request context,
 * the values do not match", so a negated operator holds; `...IfExists` holds for an absent
 * key. Set operators (ForAnyValue:/ForAllValues:) and other operators are not evaluated.
 */
function conditionApplies(condition: PolicyStatement['condition'], context: PolicyRequest['context']): Applies {
  const verdicts: Applies[] = [];
  for (const [qualifiedOperator, keys] of Object.entries(condition)) {
    const ifExists = qualifiedOperator.endsWith('IfExists');
    const operator = ifExists ? qualifiedOperator.slice(0, -'IfExists'.length) : qualifiedOperator;
    const negatedOf = NEGATED[operator];
    const test = CONDITION_TESTS[negatedOf ?? operator];
    for (const [key, expected] of Object.entries(keys)) {
      const name = key.toLowerCase();
      if (!test || !KNOWN_CONDITION_KEYS.has(name)) {
        verdicts.push('unknown');
        continue;
      }
      const actual = context[name];
      if (actual === undefined) {
        verdicts.push(fromBoolean(ifExists || negatedOf !== undefined));
        continue;
      }
      const matched = expected.some((value) => test(actual, value));
      verdicts.push(fromBoolean(negatedOf ? !matched : matched));
    }
  }
  return all(verdicts);
}

function all(verdicts: Applies[]): Applies {
  if (verdicts.includes('no')) return 'no';
  return verdicts.includes('unknown') ? 'unknown' : 'yes';
}

function any(verdicts: Applies[]): Applies {
  if (verdicts.includes('yes')) return 'yes';
  return verdicts.includes('unknown') ? 'unknown' : 'no';
}

function not(verdict: Applies): Applies {
  return verdict === 'unknown' ? 'unknown' : verdict === 'yes' ? 'no' : 'yes';
}

function fromBoolean(value: boolean): Applies {
  return value ? 'yes' : 'no';
}
