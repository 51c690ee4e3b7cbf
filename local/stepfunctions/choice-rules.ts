import { type Json } from './json-value';
import { lookUpPath, type DataScope } from './payload-template';
import { runtimeError } from './stepfunctions-errors';

/** One rule of a Choice state (JSONPath dialect): a comparison on a Variable, or And/Or/Not. */
export interface ChoiceRule {
  Variable?: string;
  And?: ChoiceRule[];
  Or?: ChoiceRule[];
  Not?: ChoiceRule;
  Next?: string;
  [comparison: string]: Json | ChoiceRule | ChoiceRule[] | undefined;
}

type Comparator = 'Equals' | 'LessThan' | 'GreaterThan' | 'LessThanEquals' | 'GreaterThanEquals';

function compare(comparator: Comparator, left: number | string, right: number | string): boolean {
  switch (comparator) {
    case 'Equals':
      return left === right;
    case 'LessThan':
      return left < right;
    case 'GreaterThan':
      return left > right;
    case 'LessThanEquals':
      return left <= right;
    case 'GreaterThanEquals':
      return left >= right;
  }
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Epoch milliseconds of an RFC 3339 timestamp (with an uppercase T and a zone), else undefined. */
export function parseTimestamp(value: Json | undefined): number | undefined {
  if (typeof value !== 'string' || !TIMESTAMP.test(value)) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}

/** StringMatches: `*` matches any run of characters; `\*` and `\\` are literal. */
export function stringMatches(value: string, pattern: string): boolean {
  let regex = '';
  for (let at = 0; at < pattern.length; at++) {
    const char = pattern[at] as string;
    if (char === '\\' && at + 1 < pattern.length) regex += escapeRegex(pattern[++at] as string);
    else if (char === '*') regex += '[\\s\\S]*';
    else regex += escapeRegex(char);
  }
  return new RegExp(`^${regex}$`).test(value);
}

function escapeRegex(char: string): string {
  return char.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** Whether a Choice rule matches the state's input (after InputPath). */
export function choiceRuleMatches(rule: ChoiceRule, scope: DataScope): boolean {
  if (rule.And) return rule.And.every((inner) => choiceRuleMatches(inner, scope));
  if (rule.Or) return rule.Or.some((inner) => choiceRuleMatches(inner, scope));
  if (rule.Not) return !choiceRuleMatches(rule.Not, scope);
  if (typeof rule.Variable !== 'string') throw runtimeError('A Choice rule has neither Variable nor And/Or/Not');
  const variable = lookUpPath(rule.Variable, scope);
  if (rule.IsPresent !== undefined) return variable.found === rule.IsPresent;
  if (!variable.found)
    throw runtimeError(`Invalid path '${rule.Variable}': The choice state's condition path references an invalid value.`);
  const value = variable.value;
  for (const [key, expected] of Object.entries(rule)) {
    if (key === 'Variable' || key === 'Next') continue;
    return evaluateComparison(key, expected as Json, value, scope);
  }
  throw runtimeError(`The Choice rule on ${rule.Variable} has no comparison`);
}

function evaluateComparison(operator: string, operand: Json, value: Json, scope: DataScope): boolean {
  switch (operator) {
    case 'IsNull':
      return (value === null) === operand;
    case 'IsNumeric':
      return (typeof value === 'number') === operand;
    case 'IsString':
      return (typeof value === 'string') === operand;
    case 'IsBoolean':
      return (typeof value === 'boolean') === operand;
    case 'IsTimestamp':
      return (parseTimestamp(value) !== undefined) === operand;
    case 'StringMatches':
      return typeof value === 'string' && typeof operand === 'string' && stringMatches(value, operand);
    case 'BooleanEquals':
      return typeof value === 'boolean' && value === operand;
    case 'BooleanEqualsPath':
      return typeof value === 'boolean' && value === resolveOperandPath(operand, scope);
  }
  const match = /^(String|Numeric|Timestamp)(Equals|LessThan|GreaterThan|LessThanEquals|GreaterThanEquals)(Path)?$/.exec(operator);
  if (!match) throw runtimeError(`Unsupported Choice comparison operator ${operator}`);
  const [, kind, comparator, viaPath] = match;
  const expected = viaPath ? resolveOperandPath(operand, scope) : operand;
  if (kind === 'String')
    return typeof value === 'string' && typeof expected === 'string' && compare(comparator as Comparator, value, expected);
  if (kind === 'Numeric')
    return typeof value === 'number' && typeof expected === 'number' && compare(comparator as Comparator, value, expected);
  const left = parseTimestamp(value);
  const right = parseTimestamp(expected);
  return left !== undefined && right !== undefined && compare(comparator as Comparator, left, right);
}

function resolveOperandPath(operand: Json, scope: DataScope): Json {
  if (typeof operand !== 'string') throw runtimeError('A *Path comparison needs a path');
  const result = lookUpPath(operand, scope);
  if (!result.found) throw runtimeError(`Invalid path '${operand}': The choice state's condition path references an invalid value.`);
  return result.value;
}
