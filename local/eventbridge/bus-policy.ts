/** An event bus resource policy, as PutPermission and AWS::Events::EventBus(Policy) write it. */
export interface BusPolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface BusPolicy {
  Version: string;
  Statement: BusPolicyStatement[];
}

/** Who asks for what: an account (and maybe the role EventBridge uses for it) calling an action on a bus. */
export interface BusAuthorization {
  action: string;
  principalAccount: string;
  /** The target's RoleArn when EventBridge forwards with a role. */
  principalRoleArn?: string;
  resourceArn: string;
  /** Condition keys the sandbox can evaluate, lowercase (IAM keys ignore case): aws:principalaccount, aws:sourceaccount, aws:sourcearn, events:source, events:detail-type. */
  context: Record<string, string | undefined>;
}

export class MalformedBusPolicyError extends Error {
  override readonly name = 'MalformedBusPolicyError';
}

/** Reads a policy given as JSON text or as an object (a template's `Policy`). */
export function busPolicyOf(value: unknown): BusPolicy {
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch (error) {
      throw new MalformedBusPolicyError('The policy is not valid JSON.', { cause: error });
    }
  }
  if (typeof parsed !== 'object' || parsed === null) throw new MalformedBusPolicyError('The policy must be a JSON object.');
  const { Version, Statement } = parsed as { Version?: unknown; Statement?: unknown };
  const statements = Array.isArray(Statement) ? Statement : Statement === undefined ? [] : [Statement];
  for (const statement of statements) {
    const effect = (statement as { Effect?: unknown } | null)?.Effect;
    if (effect !== 'Allow' && effect !== 'Deny') throw new MalformedBusPolicyError('Every statement needs an Effect of Allow or Deny.');
  }
  return { Version: typeof Version === 'string' ? Version : '2012-10-17', Statement: statements as BusPolicyStatement[] };
}

/**
 * IAM evaluation reduced to what a bus policy needs: an explicit Deny wins, then any
 * Allow whose principal, action, resource and conditions all hold. A condition the
 * sandbox cannot evaluate (aws:PrincipalOrgID: there are no organizations here) does
 * not hold, so such a statement grants nothing.
 */
export function busPolicyAllows(policy: BusPolicy | undefined, request: BusAuthorization): boolean {
  if (!policy) return false;
  const applicable = policy.Statement.filter((statement) => statementApplies(statement, request));
  if (applicable.some((statement) => statement.Effect === 'Deny')) return false;
  return applicable.some((statement) => statement.Effect === 'Allow');
}

function statementApplies(statement: BusPolicyStatement, request: BusAuthorization): boolean {
  return (
    principalMatches(statement.Principal, request) &&
    listOf(statement.Action).some((action) => globMatches(action.toLowerCase(), request.action.toLowerCase())) &&
    (statement.Resource === undefined || listOf(statement.Resource).some((resource) => globMatches(resource, request.resourceArn))) &&
    conditionsHold(statement.Condition ?? {}, request.context)
  );
}

function listOf(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function principalMatches(principal: unknown, request: BusAuthorization): boolean {
  if (principal === undefined) return false;
  if (principal === '*') return true;
  const aws = (principal as { AWS?: unknown } | null)?.AWS;
  const names = Array.isArray(aws) ? aws : aws === undefined ? [] : [aws];
  return names.some((name) => {
    if (name === '*' || name === request.principalAccount) return true;
    if (name === `arn:aws:iam::${request.principalAccount}:root`) return true;
    return request.principalRoleArn !== undefined && name === request.principalRoleArn;
  });
}

/** `*` for any run of characters and `?` for one, as IAM globs. */
function globMatches(pattern: string, value: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\/]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 's').test(value);
}

const CONDITION_TESTS: Record<string, (actual: string, expected: string) => boolean> = {
  StringEquals: (actual, expected) => actual === expected,
  StringEqualsIgnoreCase: (actual, expected) => actual.toLowerCase() === expected.toLowerCase(),
  StringLike: (actual, expected) => globMatches(expected, actual),
  ArnEquals: (actual, expected) => actual === expected,
  ArnLike: (actual, expected) => globMatches(expected, actual),
};
const NEGATED: Record<string, string> = {
  StringNotEquals: 'StringEquals',
  StringNotLike: 'StringLike',
  ArnNotEquals: 'ArnEquals',
  ArnNotLike: 'ArnLike',
};

function conditionsHold(
  conditions: Record<string, Record<string, string | string[]>>,
  context: Record<string, string | undefined>,
): boolean {
  return Object.entries(conditions).every(([qualifiedOperator, keys]) => {
    // ForAllValues:/ForAnyValue: change nothing for the single-valued keys evaluated here.
    const operator = qualifiedOperator.replace(/^(ForAllValues|ForAnyValue):/, '');
    const negatedOf = NEGATED[operator];
    const test = CONDITION_TESTS[negatedOf ?? operator];
    if (!test) return false;
    return Object.entries(keys).every(([key, expected]) => {
      const actual = context[key.toLowerCase()];
      const matched = actual !== undefined && listOf(expected).some((value) => test(actual, value));
      return negatedOf ? !matched : matched;
    });
  });
}
