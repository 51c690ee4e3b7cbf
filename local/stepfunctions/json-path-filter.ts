import { isJsonObject, jsonEquals, type Json } from './json-value';

/**
 * Filter expressions in JSONPath brackets, `[?(@.status == 'ACTIVE' && @.size > 2)]`, as
 * Step Functions evaluates them (it uses Jayway JsonPath): comparisons of a path on the
 * current item (`@`, `@.a.b`, `@['a']`) with a literal, the existence of such a path, joined
 * by `&&` and `||` (`&&` binds tighter) and grouped with parentheses.
 */
export type FilterExpression =
  | { kind: 'or'; operands: FilterExpression[] }
  | { kind: 'and'; operands: FilterExpression[] }
  | { kind: 'exists'; path: string[] }
  | { kind: 'compare'; path: string[]; operator: ComparisonOperator; literal: Json };

type ComparisonOperator = '==' | '!=' | '<' | '<=' | '>' | '>=';

export class FilterSyntaxError extends Error {
  override readonly name = 'FilterSyntaxError';
}

const TOKEN =
  /\s*(&&|\|\||==|!=|<=|>=|<|>|\(|\)|@(?:\.[A-Za-z0-9_$-]+|\['(?:[^'\\]|\\.)*'\])*|'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null)/y;

/** Parses the text between `[?(` and `)]`. */
export function parseFilter(text: string): FilterExpression {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    if (text.slice(at).trim() === '') break;
    TOKEN.lastIndex = at;
    const match = TOKEN.exec(text);
    if (!match) throw new FilterSyntaxError(`unexpected '${text.slice(at)}' in the filter expression '${text}'`);
    tokens.push(match[1] as string);
    at = TOKEN.lastIndex;
  }
  let position = 0;
  const peek = (): string | undefined => tokens[position];
  const next = (): string => {
    const token = tokens[position++];
    if (token === undefined) throw new FilterSyntaxError(`the filter expression '${text}' ends too early`);
    return token;
  };
  const parseOr = (): FilterExpression => {
    const operands = [parseAnd()];
    while (peek() === '||') {
      position++;
      operands.push(parseAnd());
    }
    return operands.length === 1 ? (operands[0] as FilterExpression) : { kind: 'or', operands };
  };
  const parseAnd = (): FilterExpression => {
    const operands = [parseTerm()];
    while (peek() === '&&') {
      position++;
      operands.push(parseTerm());
    }
    return operands.length === 1 ? (operands[0] as FilterExpression) : { kind: 'and', operands };
  };
  const parseTerm = (): FilterExpression => {
    const token = next();
    if (token === '(') {
      const inner = parseOr();
      if (next() !== ')') throw new FilterSyntaxError(`missing ')' in the filter expression '${text}'`);
      return inner;
    }
    if (!token.startsWith('@')) throw new FilterSyntaxError(`expected a path on @ in the filter expression '${text}', got '${token}'`);
    const path = itemPath(token);
    const operator = peek();
    if (operator === '==' || operator === '!=' || operator === '<' || operator === '<=' || operator === '>' || operator === '>=') {
      position++;
      return { kind: 'compare', path, operator, literal: literalOf(next(), text) };
    }
    return { kind: 'exists', path };
  };
  const expression = parseOr();
  if (position !== tokens.length) throw new FilterSyntaxError(`unexpected '${tokens[position] ?? ''}' in the filter expression '${text}'`);
  return expression;
}

function itemPath(token: string): string[] {
  const names: string[] = [];
  const segment = /\.([A-Za-z0-9_$-]+)|\['((?:[^'\\]|\\.)*)'\]/g;
  for (const match of token.slice(1).matchAll(segment)) names.push(match[1] ?? (match[2] ?? '').replace(/\\(.)/g, '$1'));
  return names;
}

function literalOf(token: string, text: string): Json {
  if (token === 'true') return true;
  if (token === 'false') return false;
  if (token === 'null') return null;
  if (/^-?\d/.test(token)) return Number(token);
  if (token.startsWith("'") || token.startsWith('"')) return token.slice(1, -1).replace(/\\(.)/g, '$1');
  throw new FilterSyntaxError(`expected a literal in the filter expression '${text}', got '${token}'`);
}

function valueAt(item: Json, path: readonly string[]): { found: boolean; value: Json } {
  let current = item;
  for (const name of path) {
    if (!isJsonObject(current) || !Object.prototype.hasOwnProperty.call(current, name)) return { found: false, value: null };
    current = current[name] as Json;
  }
  return { found: true, value: current };
}

/** Whether the item passes the filter; comparing values of different types is false (as Jayway). */
export function filterMatches(filter: FilterExpression, item: Json): boolean {
  switch (filter.kind) {
    case 'or':
      return filter.operands.some((operand) => filterMatches(operand, item));
    case 'and':
      return filter.operands.every((operand) => filterMatches(operand, item));
    case 'exists':
      return valueAt(item, filter.path).found;
    case 'compare': {
      const { found, value } = valueAt(item, filter.path);
      if (!found) return false;
      if (filter.operator === '==') return jsonEquals(value, filter.literal);
      if (filter.operator === '!=') return !jsonEquals(value, filter.literal);
      const left = value;
      const right = filter.literal;
      if (!((typeof left === 'number' && typeof right === 'number') || (typeof left === 'string' && typeof right === 'string')))
        return false;
      switch (filter.operator) {
        case '<':
          return left < right;
        case '<=':
          return left <= right;
        case '>':
          return left > right;
        case '>=':
          return left >= right;
      }
    }
  }
}
