import { isIPv4 } from 'node:net';
import { EventBridgeApiError } from './eventbridge-errors';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
type JsonObject = { [key: string]: JsonValue };
type Scalar = null | boolean | number | string;

/**
 * A rule's event pattern, checked once (PutRule, TestEventPattern) and then matched
 * against events, following the user guide's "Event patterns" and "Content filtering"
 * pages: fields AND, array values OR, `$or` between sub-patterns, and the comparison
 * operators prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric,
 * exists and cidr (IPv4).
 */
export class EventPattern {
  private constructor(
    readonly source: string,
    private readonly root: ObjectMatcher,
  ) {}

  /** Throws InvalidEventPatternException for a pattern EventBridge would refuse. */
  static parse(text: string): EventPattern {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new EventBridgeApiError(
        'InvalidEventPatternException',
        `Event pattern is not valid. Reason: ${error instanceof Error ? error.message : 'not JSON'}`,
        { cause: error },
      );
    }
    if (!isObject(parsed)) throw invalid('Filter is not an object');
    return new EventPattern(text, compileObject(parsed as JsonObject, ''));
  }

  matches(event: JsonValue): boolean {
    return isObject(event) && this.root(event as JsonObject);
  }
}

type ObjectMatcher = (event: JsonObject) => boolean;
type ValueMatcher = (value: Scalar) => boolean;

const invalid = (reason: string) =>
  new EventBridgeApiError('InvalidEventPatternException', `Event pattern is not valid. Reason: ${reason}`);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function compileObject(pattern: JsonObject, path: string): ObjectMatcher {
  const fieldMatchers: ObjectMatcher[] = [];
  for (const [key, value] of Object.entries(pattern)) {
    const fieldPath = path ? `${path}.${key}` : key;
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2 || !value.every(isObject))
        throw invalid(`"$or" at ${path || 'the top level'} must be an array of at least two patterns`);
      const alternatives = value.map((alternative) => compileObject(alternative as JsonObject, path));
      fieldMatchers.push((event) => alternatives.some((alternative) => alternative(event)));
    } else if (Array.isArray(value)) {
      fieldMatchers.push(compileLeaf(key, value, fieldPath));
    } else if (isObject(value)) {
      const nested = compileObject(value as JsonObject, fieldPath);
      fieldMatchers.push((event) => {
        const child = event[key];
        // Objects inside arrays match element by element; a missing or scalar field is
        // matched as an empty object so that `exists: false` below it still holds.
        const candidates = Array.isArray(child) ? child.filter(isObject) : isObject(child) ? [child] : [{}];
        return candidates.some((candidate) => nested(candidate as JsonObject));
      });
    } else {
      throw invalid(`"${fieldPath}" must be an object or an array`);
    }
  }
  return (event) => fieldMatchers.every((matcher) => matcher(event));
}

/** The leaf values of a field: a scalar, or the scalars of an array; objects are not leaves. */
function leafValues(value: JsonValue | undefined): Scalar[] {
  if (value === undefined || isObject(value)) return [];
  if (Array.isArray(value)) return value.filter((item): item is Scalar => !isObject(item) && !Array.isArray(item));
  return [value];
}

function compileLeaf(key: string, alternatives: JsonValue[], path: string): ObjectMatcher {
  const valueMatchers: ValueMatcher[] = [];
  let existence: boolean | undefined;
  for (const alternative of alternatives) {
    if (Array.isArray(alternative)) throw invalid(`"${path}" holds a nested array`);
    if (!isObject(alternative)) {
      valueMatchers.push(exactMatcher(alternative));
      continue;
    }
    const entries = Object.entries(alternative as JsonObject);
    const [operator] = entries;
    if (!operator || entries.length !== 1) throw invalid(`"${path}" holds an object that is not exactly one comparison operator`);
    const [name, argument] = operator;
    if (name === 'exists') {
      if (typeof argument !== 'boolean') throw invalid(`exists match pattern must be either true or false at "${path}"`);
      existence = argument;
      continue;
    }
    valueMatchers.push(operatorMatcher(name, argument, path));
  }
  return (event) => {
    const values = leafValues(event[key]);
    if (existence !== undefined && values.length > 0 === existence) return true;
    return values.some((value) => valueMatchers.some((matcher) => matcher(value)));
  };
}

function exactMatcher(expected: Scalar): ValueMatcher {
  // JSON.parse keeps no number spelling, so 300 and 300.0 compare equal here (the guide
  // says EventBridge tells them apart; see the report).
  return (value) => value === expected;
}

function stringArgument(argument: JsonValue, operator: string, path: string): string {
  if (typeof argument !== 'string') throw invalid(`${operator} match pattern must be a string at "${path}"`);
  return argument;
}

function operatorMatcher(name: string, argument: JsonValue, path: string): ValueMatcher {
  switch (name) {
    case 'prefix':
    case 'suffix': {
      const { text, ignoreCase } = textOrIgnoreCase(argument, name, path);
      return (value) => typeof value === 'string' && affixMatches(name, ignoreCase ? value.toLowerCase() : value, text);
    }
    case 'equals-ignore-case': {
      const expected = stringArgument(argument, name, path).toLowerCase();
      return (value) => typeof value === 'string' && value.toLowerCase() === expected;
    }
    case 'wildcard': {
      const expression = wildcardExpression(stringArgument(argument, name, path), path);
      return (value) => typeof value === 'string' && expression.test(value);
    }
    case 'anything-but':
      return anythingButMatcher(argument, path);
    case 'numeric':
      return numericMatcher(argument, path);
    case 'cidr':
      return cidrMatcher(stringArgument(argument, name, path), path);
    default:
      throw invalid(`Unrecognized match type ${name} at "${path}"`);
  }
}

function affixMatches(kind: 'prefix' | 'suffix', value: string, affix: string): boolean {
  return kind === 'prefix' ? value.startsWith(affix) : value.endsWith(affix);
}

/** `"prefix": "us-"` or `"prefix": {"equals-ignore-case": "EventB"}` (the same for suffix). */
function textOrIgnoreCase(argument: JsonValue, operator: string, path: string): { text: string; ignoreCase: boolean } {
  if (typeof argument === 'string') return { text: argument, ignoreCase: false };
  if (isObject(argument)) {
    const entries = Object.entries(argument as JsonObject);
    const [only] = entries;
    if (entries.length === 1 && only && only[0] === 'equals-ignore-case' && typeof only[1] === 'string')
      return { text: only[1].toLowerCase(), ignoreCase: true };
  }
  throw invalid(`${operator} match pattern must be a string or an equals-ignore-case object at "${path}"`);
}

/** `*` stands for any run of characters; `\*` and `\\` are literal; `**` is refused. */
function wildcardExpression(pattern: string, path: string): RegExp {
  let source = '';
  let previousWasWildcard = false;
  for (let index = 0; index < pattern.length; index += 1) {
    const character = pattern[index] as string;
    if (character === '\\') {
      const next = pattern[index + 1];
      if (next !== '*' && next !== '\\') throw invalid(`Invalid escape in wildcard pattern at "${path}"`);
      source += `\\${next}`;
      index += 1;
      previousWasWildcard = false;
    } else if (character === '*') {
      if (previousWasWildcard) throw invalid(`Consecutive wildcard characters at "${path}"`);
      source += '.*';
      previousWasWildcard = true;
    } else {
      source += character.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      previousWasWildcard = false;
    }
  }
  return new RegExp(`^${source}$`, 's');
}

function anythingButMatcher(argument: JsonValue, path: string): ValueMatcher {
  if (typeof argument === 'string' || typeof argument === 'number') return (value) => value !== argument;
  if (Array.isArray(argument)) {
    const allStrings = argument.every((item) => typeof item === 'string');
    const allNumbers = argument.every((item) => typeof item === 'number');
    if (argument.length === 0 || (!allStrings && !allNumbers))
      throw invalid(
        `Inside anything but list, start|null|boolean is not supported, and the list must hold only strings or only numbers, at "${path}"`,
      );
    const excluded = new Set<Scalar>(argument as Scalar[]);
    return (value) => !excluded.has(value);
  }
  if (isObject(argument)) {
    const entries = Object.entries(argument as JsonObject);
    const [only] = entries;
    if (!only || entries.length !== 1) throw invalid(`anything-but takes one nested operator at "${path}"`);
    const [nestedName, nestedArgument] = only;
    switch (nestedName) {
      case 'prefix':
      case 'suffix': {
        const affix = stringArgument(nestedArgument, `anything-but ${nestedName}`, path);
        return (value) => typeof value === 'string' && !affixMatches(nestedName, value, affix);
      }
      case 'equals-ignore-case': {
        const list = typeof nestedArgument === 'string' ? [nestedArgument] : nestedArgument;
        if (!Array.isArray(list) || !list.every((item) => typeof item === 'string'))
          throw invalid(`anything-but equals-ignore-case takes a string or a list of strings at "${path}"`);
        const excluded = new Set((list as string[]).map((item) => item.toLowerCase()));
        return (value) => typeof value === 'string' && !excluded.has(value.toLowerCase());
      }
      case 'wildcard': {
        const list = typeof nestedArgument === 'string' ? [nestedArgument] : nestedArgument;
        if (!Array.isArray(list) || !list.every((item) => typeof item === 'string'))
          throw invalid(`anything-but wildcard takes a string or a list of strings at "${path}"`);
        const expressions = (list as string[]).map((item) => wildcardExpression(item, path));
        return (value) => typeof value === 'string' && !expressions.some((expression) => expression.test(value));
      }
      default:
        throw invalid(`Unsupported anything-but pattern ${nestedName} at "${path}"`);
    }
  }
  throw invalid(`anything-but takes a string, a number, a list or an operator at "${path}"`);
}

const NUMERIC_LIMIT = 5.0e9;
const COMPARISONS: Record<string, (value: number, bound: number) => boolean> = {
  '=': (value, bound) => value === bound,
  '<': (value, bound) => value < bound,
  '<=': (value, bound) => value <= bound,
  '>': (value, bound) => value > bound,
  '>=': (value, bound) => value >= bound,
};

/** `[">", 0, "<=", 5]`: one comparison, or a lower bound then an upper bound. */
function numericMatcher(argument: JsonValue, path: string): ValueMatcher {
  if (!Array.isArray(argument) || (argument.length !== 2 && argument.length !== 4))
    throw invalid(`Value of numeric must be an array of one or two comparisons at "${path}"`);
  const checks: Array<(value: number) => boolean> = [];
  for (let index = 0; index < argument.length; index += 2) {
    const operator = argument[index];
    const bound = argument[index + 1];
    const compare = typeof operator === 'string' ? COMPARISONS[operator] : undefined;
    if (!compare) throw invalid(`Unrecognized numeric range operator ${JSON.stringify(operator)} at "${path}"`);
    if (typeof bound !== 'number' || Math.abs(bound) > NUMERIC_LIMIT)
      throw invalid(`Value of ${String(operator)} must be a number between -5.0E9 and 5.0E9 at "${path}"`);
    checks.push((value) => compare(value, bound));
  }
  if (argument.length === 4 && !(['>', '>='].includes(String(argument[0])) && ['<', '<='].includes(String(argument[2])))) {
    throw invalid(`Bad numeric range: a lower bound (> or >=) must come before an upper bound (< or <=) at "${path}"`);
  }
  return (value) => typeof value === 'number' && checks.every((check) => check(value));
}

function ipv4Number(address: string): number {
  return address.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
}

function cidrMatcher(cidr: string, path: string): ValueMatcher {
  const [network, bitsText, extra] = cidr.split('/');
  const bits = Number(bitsText);
  if (extra !== undefined || network === undefined || !isIPv4(network) || !Number.isInteger(bits) || bits < 0 || bits > 32) {
    throw invalid(`Nonstandard IP address or CIDR (the sandbox supports IPv4 only): ${cidr} at "${path}"`);
  }
  const size = 2 ** (32 - bits);
  const start = Math.floor(ipv4Number(network) / size) * size;
  return (value) => {
    if (typeof value !== 'string' || !isIPv4(value)) return false;
    const address = ipv4Number(value);
    return address >= start && address < start + size;
  };
}
