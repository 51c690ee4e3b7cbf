import { createHash, randomInt, randomUUID } from 'node:crypto';
import { isJsonObject, jsonEquals, type Json } from './json-value';
import { runtimeError } from './stepfunctions-errors';

/** One argument of an intrinsic function call, as written in the definition. */
export type IntrinsicArgument =
  | { kind: 'call'; name: string; args: IntrinsicArgument[] }
  | { kind: 'path'; path: string }
  | { kind: 'string'; value: string; raw: string }
  | { kind: 'literal'; value: Json };

/** Looks a `$` or `$$` path up; throws when it selects nothing. */
export type PathResolver = (path: string) => Json;

export function isIntrinsicCall(expression: string): boolean {
  return /^States\.[A-Za-z0-9]+\s*\(/.test(expression.trim());
}

export class IntrinsicSyntaxError extends Error {
  override readonly name = 'IntrinsicSyntaxError';
}

const parsedCalls = new Map<string, IntrinsicArgument>();
/** "Reserved characters in intrinsic functions": ' { } and \ are escaped with a backslash; nothing else is. */
const ESCAPABLE = "'{}\\";

export function parseIntrinsic(expression: string): IntrinsicArgument {
  const cached = parsedCalls.get(expression);
  if (cached) return cached;
  const parser = new IntrinsicParser(expression);
  const call = parser.parseArgument();
  parser.skipSpaces();
  if (!parser.atEnd()) throw new IntrinsicSyntaxError(`Unexpected text after the function call in '${expression}'`);
  if (call.kind !== 'call') throw new IntrinsicSyntaxError(`'${expression}' is not an intrinsic function call`);
  if (parsedCalls.size > 10_000) parsedCalls.clear();
  parsedCalls.set(expression, call);
  return call;
}

class IntrinsicParser {
  private at = 0;
  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.at >= this.text.length;
  }

  skipSpaces(): void {
    while (this.at < this.text.length && /\s/.test(this.text[this.at] as string)) this.at++;
  }

  private fail(why: string): never {
    throw new IntrinsicSyntaxError(`Invalid intrinsic function '${this.text}': ${why} at position ${this.at}`);
  }

  parseArgument(): IntrinsicArgument {
    this.skipSpaces();
    const rest = this.text.slice(this.at);
    if (rest.startsWith("'")) return this.parseString();
    if (rest.startsWith('$')) return { kind: 'path', path: this.readUntilArgumentEnd().trim() };
    const call = /^(States\.[A-Za-z0-9]+)\s*\(/.exec(rest);
    if (call) {
      this.at += call[0].length;
      const args: IntrinsicArgument[] = [];
      this.skipSpaces();
      if (this.text[this.at] === ')') {
        this.at++;
        return { kind: 'call', name: call[1] as string, args };
      }
      for (;;) {
        args.push(this.parseArgument());
        this.skipSpaces();
        const next = this.text[this.at];
        this.at++;
        if (next === ')') return { kind: 'call', name: call[1] as string, args };
        if (next !== ',') this.fail("expected ',' or ')'");
      }
    }
    const token = this.readUntilArgumentEnd().trim();
    if (token === 'true') return { kind: 'literal', value: true };
    if (token === 'false') return { kind: 'literal', value: false };
    if (token === 'null') return { kind: 'literal', value: null };
    if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(token)) return { kind: 'literal', value: Number(token) };
    return this.fail(`'${token}' is not a string, number, boolean, null, path or function call`);
  }

  private parseString(): IntrinsicArgument {
    const start = ++this.at;
    let value = '';
    while (this.at < this.text.length) {
      const char = this.text[this.at] as string;
      if (char === '\\') {
        const escaped = this.text[this.at + 1] ?? '';
        // The guide's reserved characters are the only ones an escape may precede.
        if (escaped === '' || !ESCAPABLE.includes(escaped)) this.fail(`'\\${escaped}' is not an escape: only \\' \\{ \\} and \\\\ are`);
        value += escaped;
        this.at += 2;
      } else if (char === "'") {
        const raw = this.text.slice(start, this.at);
        this.at++;
        return { kind: 'string', value, raw };
      } else {
        value += char;
        this.at++;
      }
    }
    return this.fail('unterminated string');
  }

  private readUntilArgumentEnd(): string {
    const start = this.at;
    let depth = 0;
    let quote: string | undefined;
    while (this.at < this.text.length) {
      const char = this.text[this.at];
      if (quote) {
        if (char === '\\') this.at++;
        else if (char === quote) quote = undefined;
      } else if (char === "'" || char === '"') {
        quote = char;
      } else if (char === '[') {
        depth++;
      } else if (char === ']') {
        depth--;
      } else if ((char === ',' || char === ')') && depth === 0) {
        break;
      }
      this.at++;
    }
    return this.text.slice(start, this.at);
  }
}

/** Evaluates an intrinsic function call such as `States.Format('{}-{}', $.a, $$.Execution.Name)`. */
export function evaluateIntrinsic(expression: string, resolve: PathResolver): Json {
  return evaluateArgument(parseIntrinsic(expression), resolve, 0);
}

const MAX_NESTING = 10;

function evaluateArgument(argument: IntrinsicArgument, resolve: PathResolver, depth: number): Json {
  switch (argument.kind) {
    case 'literal':
    case 'string':
      return argument.value;
    case 'path':
      return resolve(argument.path);
    case 'call': {
      if (depth >= MAX_NESTING) throw runtimeError(`Intrinsic functions can be nested at most ${MAX_NESTING} deep`);
      const implementation = INTRINSICS[argument.name];
      if (!implementation) throw runtimeError(`The intrinsic function ${argument.name} is not supported`);
      const values = argument.args.map((arg) => evaluateArgument(arg, resolve, depth + 1));
      return implementation(values, argument.args, argument.name);
    }
  }
}

type Intrinsic = (values: Json[], args: IntrinsicArgument[], name: string) => Json;

function invalid(name: string, why: string): Error {
  return runtimeError(`Invalid arguments in ${name}: ${why}`);
}

function expectCount(name: string, values: Json[], min: number, max = min): void {
  if (values.length < min || values.length > max) {
    throw invalid(name, `expected ${min === max ? min : `${min} to ${max}`} arguments, got ${values.length}`);
  }
}

function expectString(name: string, value: Json | undefined, what: string): string {
  if (typeof value !== 'string') throw invalid(name, `${what} must be a string`);
  return value;
}

function expectArray(name: string, value: Json | undefined, what: string): Json[] {
  if (!Array.isArray(value)) throw invalid(name, `${what} must be an array`);
  return value;
}

function expectInteger(name: string, value: Json | undefined, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalid(name, `${what} must be an integer`);
  return value;
}

/**
 * The guide, for States.MathAdd and States.MathRandom: "If you specify a non-integer value ...
 * Step Functions will round it off to the nearest integer". AWS runs on Java: a half rounds
 * up (2.5 to 3, -2.5 to -2), as Math.round does.
 */
function roundedInteger(name: string, value: Json | undefined, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(name, `${what} must be a number`);
  return Math.round(value);
}

/**
 * How States.Format writes an argument into its template: a string as it is, an object or
 * array as Java prints a map or list (`{a=1, b=[x, y]}`), anything else as JSON. AWS answers
 * so (LocalStack's tests recorded against AWS show it); the guide does not say.
 */
function formatArgument(value: Json): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(formatArgument).join(', ')}]`;
  if (isJsonObject(value))
    return `{${Object.entries(value)
      .map(([key, item]) => `${key}=${formatArgument(item)}`)
      .join(', ')}}`;
  return JSON.stringify(value);
}

const HASH_ALGORITHMS: Record<string, string> = {
  MD5: 'md5',
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};
const MAX_ENCODING_INPUT = 10_000;
const MAX_ARRAY_RANGE = 1000;

/** A small deterministic generator, so that `States.MathRandom` with a seed repeats itself. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

const INTRINSICS: Record<string, Intrinsic> = {
  'States.Format': (values, args, name) => {
    if (values.length === 0) throw invalid(name, 'expected a template string');
    const templateArg = args[0];
    const template = templateArg?.kind === 'string' ? templateArg.raw : expectString(name, values[0], 'the template');
    const substitutes = values.slice(1);
    let result = '';
    let used = 0;
    for (let at = 0; at < template.length; at++) {
      const char = template[at] as string;
      if (char === '\\' && at + 1 < template.length) {
        result += template[++at];
      } else if (char === '{' && template[at + 1] === '}') {
        if (used >= substitutes.length) throw invalid(name, 'the template has more {} than arguments');
        result += formatArgument(substitutes[used++] as Json);
        at++;
      } else {
        result += char;
      }
    }
    if (used !== substitutes.length) throw invalid(name, `the template has ${used} {} but ${substitutes.length} arguments were given`);
    return result;
  },
  'States.StringToJson': (values, _args, name) => {
    expectCount(name, values, 1);
    const text = expectString(name, values[0], 'the argument');
    // An empty (or blank) string gives null, as AWS answers (the guide does not say).
    if (text.trim() === '') return null;
    try {
      return JSON.parse(text) as Json;
    } catch {
      throw invalid(name, `'${text}' is not valid JSON`);
    }
  },
  'States.JsonToString': (values, _args, name) => {
    expectCount(name, values, 1);
    return JSON.stringify(values[0]);
  },
  'States.Array': (values) => values,
  'States.ArrayPartition': (values, _args, name) => {
    expectCount(name, values, 2);
    const array = expectArray(name, values[0], 'the first argument');
    const size = expectInteger(name, values[1], 'the chunk size');
    if (size <= 0) throw invalid(name, 'the chunk size must be greater than 0');
    const chunks: Json[] = [];
    for (let at = 0; at < array.length; at += size) chunks.push(array.slice(at, at + size));
    return chunks;
  },
  'States.ArrayContains': (values, _args, name) => {
    expectCount(name, values, 2);
    const array = expectArray(name, values[0], 'the first argument');
    return array.some((item) => jsonEquals(item, values[1] as Json));
  },
  'States.ArrayRange': (values, _args, name) => {
    expectCount(name, values, 3);
    const start = expectInteger(name, values[0], 'the start');
    const end = expectInteger(name, values[1], 'the end');
    const step = expectInteger(name, values[2], 'the step');
    if (step === 0) throw invalid(name, 'the step cannot be 0');
    const range: number[] = [];
    for (let value = start; step > 0 ? value <= end : value >= end; value += step) {
      range.push(value);
      if (range.length > MAX_ARRAY_RANGE) throw invalid(name, `the range has more than ${MAX_ARRAY_RANGE} items`);
    }
    return range;
  },
  'States.ArrayGetItem': (values, _args, name) => {
    expectCount(name, values, 2);
    const array = expectArray(name, values[0], 'the first argument');
    const index = expectInteger(name, values[1], 'the index');
    if (index < 0 || index >= array.length) throw invalid(name, `the index ${index} is out of bounds`);
    return array[index] as Json;
  },
  'States.ArrayLength': (values, _args, name) => {
    expectCount(name, values, 1);
    return expectArray(name, values[0], 'the argument').length;
  },
  'States.ArrayUnique': (values, _args, name) => {
    expectCount(name, values, 1);
    const unique: Json[] = [];
    for (const item of expectArray(name, values[0], 'the argument')) if (!unique.some((seen) => jsonEquals(seen, item))) unique.push(item);
    return unique;
  },
  'States.Base64Encode': (values, _args, name) => {
    expectCount(name, values, 1);
    const text = expectString(name, values[0], 'the argument');
    if (text.length > MAX_ENCODING_INPUT) throw invalid(name, `the input is longer than ${MAX_ENCODING_INPUT} characters`);
    return Buffer.from(text, 'utf8').toString('base64');
  },
  'States.Base64Decode': (values, _args, name) => {
    expectCount(name, values, 1);
    const text = expectString(name, values[0], 'the argument');
    if (text.length > MAX_ENCODING_INPUT) throw invalid(name, `the input is longer than ${MAX_ENCODING_INPUT} characters`);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw invalid(name, 'the input is not base64');
    return Buffer.from(text, 'base64').toString('utf8');
  },
  'States.Hash': (values, _args, name) => {
    expectCount(name, values, 2);
    const algorithm = HASH_ALGORITHMS[expectString(name, values[1], 'the algorithm')];
    if (!algorithm) throw invalid(name, `the algorithm must be one of ${Object.keys(HASH_ALGORITHMS).join(', ')}`);
    const data = values[0];
    const text = typeof data === 'string' ? data : JSON.stringify(data);
    if (text.length > MAX_ENCODING_INPUT) throw invalid(name, `the input is longer than ${MAX_ENCODING_INPUT} characters`);
    return createHash(algorithm).update(text, 'utf8').digest('hex');
  },
  'States.JsonMerge': (values, _args, name) => {
    expectCount(name, values, 3);
    const [left, right, deep] = values;
    if (!isJsonObject(left) || !isJsonObject(right)) throw invalid(name, 'the first two arguments must be JSON objects');
    if (deep !== false) throw invalid(name, 'only shallow merging (false) is supported');
    return { ...left, ...right };
  },
  'States.MathRandom': (values, _args, name) => {
    expectCount(name, values, 2, 3);
    const start = roundedInteger(name, values[0], 'the start');
    const end = roundedInteger(name, values[1], 'the end');
    if (end <= start) throw invalid(name, 'the end must be greater than the start');
    if (values.length === 3) return start + Math.floor(seededRandom(roundedInteger(name, values[2], 'the seed'))() * (end - start));
    return randomInt(start, end);
  },
  'States.MathAdd': (values, _args, name) => {
    expectCount(name, values, 2);
    const sum = roundedInteger(name, values[0], 'the first number') + roundedInteger(name, values[1], 'the second number');
    if (sum < -2147483648 || sum > 2147483647) throw invalid(name, 'the result is outside the 32-bit integer range');
    return sum;
  },
  'States.StringSplit': (values, _args, name) => {
    expectCount(name, values, 2);
    const text = expectString(name, values[0], 'the first argument');
    const delimiters = expectString(name, values[1], 'the delimiter');
    if (delimiters.length === 0) return [text];
    const parts: string[] = [];
    let current = '';
    for (const char of text) {
      if (delimiters.includes(char)) {
        if (current) parts.push(current);
        current = '';
      } else {
        current += char;
      }
    }
    if (current) parts.push(current);
    return parts;
  },
  'States.UUID': (values, _args, name) => {
    expectCount(name, values, 0);
    return randomUUID();
  },
};
