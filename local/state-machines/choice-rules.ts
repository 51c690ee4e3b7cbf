import { isPresent, readPath } from './json-paths';
import { runtimeError } from './states-error';

type Json = unknown;
export type ChoiceRule = Record<string, Json>;

const COMPARISONS: Record<string, { type: 'string' | 'number' | 'boolean' | 'timestamp'; test: (left: number, right: number) => boolean }> = {};
for (const [type, prefix] of [
  ['string', 'String'],
  ['number', 'Numeric'],
  ['boolean', 'Boolean'],
  ['timestamp', 'Timestamp'],
] as const) {
  const operators: Array<[string, (left: number, right: number) => boolean]> = [
    ['Equals', (left, right) => left === right],
    ['LessThan', (left, right) => left < right],
    ['GreaterThan', (left, right) => left > right],
    ['LessThanEquals', (left, right) => left <= right],
    ['GreaterThanEquals', (left, right) => left >= right],
  ];
  for (const [name, test] of operators) {
    if (type === 'boolean' && name !== 'Equals') continue;
    COMPARISONS[`${prefix}${name}`] = { type, test };
  }
}

function comparable(value: Json, type: 'string' | 'number' | 'boolean' | 'timestamp'): number | string | boolean | undefined {
  if (type === 'timestamp') return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? Date.parse(value) : undefined;
  if (type === 'number') return typeof value === 'number' ? value : undefined;
  return typeof value === type ? (value as string | boolean) : undefined;
}

function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let index = 0; index < pattern.length; index += 1) {
    const character = pattern[index] ?? '';
    if (character === '\\' && index + 1 < pattern.length) source += (pattern[++index] ?? '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (character === '*') source += '.*';
    else source += character.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

/** Evaluates one Choice rule (And / Or / Not, comparisons, Is* tests) against the state. */
export function evaluateChoiceRule(rule: ChoiceRule, input: Json, context: Json): boolean {
  if (Array.isArray(rule.And)) return (rule.And as ChoiceRule[]).every((inner) => evaluateChoiceRule(inner, input, context));
  if (Array.isArray(rule.Or)) return (rule.Or as ChoiceRule[]).some((inner) => evaluateChoiceRule(inner, input, context));
  if (typeof rule.Not === 'object' && rule.Not !== null) return !evaluateChoiceRule(rule.Not as ChoiceRule, input, context);
  const variable = rule.Variable;
  if (typeof variable !== 'string') throw runtimeError('A Choice rule has no Variable');
  if ('IsPresent' in rule) return isPresent(variable, input, context) === rule.IsPresent;
  const value = readPath(variable, input, context);
  if ('IsNull' in rule) return (value === null) === rule.IsNull;
  if ('IsNumeric' in rule) return (typeof value === 'number') === rule.IsNumeric;
  if ('IsString' in rule) return (typeof value === 'string') === rule.IsString;
  if ('IsBoolean' in rule) return (typeof value === 'boolean') === rule.IsBoolean;
  if ('IsTimestamp' in rule) return (typeof value === 'string' && !Number.isNaN(Date.parse(value))) === rule.IsTimestamp;
  if ('StringMatches' in rule) return typeof value === 'string' && globToRegExp(String(rule.StringMatches)).test(value);
  for (const [key, expected] of Object.entries(rule)) {
    if (key === 'Variable' || key === 'Next') continue;
    const byPath = key.endsWith('Path');
    const comparison = COMPARISONS[byPath ? key.slice(0, -4) : key];
    if (!comparison) throw runtimeError(`Unsupported Choice comparison ${key}`);
    const right = byPath ? readPath(String(expected), input, context) : expected;
    const left = comparable(value, comparison.type);
    const other = comparable(right, comparison.type);
    if (left === undefined || other === undefined) return false;
    if (comparison.type === 'string') {
      const order = String(left) < String(other) ? -1 : String(left) > String(other) ? 1 : 0;
      return comparison.test(order, 0);
    }
    if (comparison.type === 'boolean') return left === other;
    return comparison.test(Number(left), Number(other));
  }
  throw runtimeError(`A Choice rule on ${variable} has no comparison`);
}
