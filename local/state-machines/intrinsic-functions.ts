import { createHash, randomInt, randomUUID } from 'node:crypto';
import { readPath } from './json-paths';
import { StatesError, runtimeError } from './states-error';

type Json = unknown;
type Argument = { literal: Json } | { path: string } | { call: string; args: Argument[] };

const INTRINSIC_FAILURE = 'States.IntrinsicFailure';

function fail(message: string): never {
  throw new StatesError(INTRINSIC_FAILURE, message);
}

/** Parses `States.Name(arg, ...)`: arguments are 'strings', numbers, true/false/null, paths and nested calls. */
function parse(text: string): Argument {
  let position = 0;
  const skipSpaces = () => {
    while (text[position] === ' ') position += 1;
  };
  const argument = (): Argument => {
    skipSpaces();
    const rest = text.slice(position);
    if (rest.startsWith("'")) {
      let value = '';
      position += 1;
      while (position < text.length && text[position] !== "'") {
        if (text[position] === '\\') position += 1;
        value += text[position] ?? '';
        position += 1;
      }
      if (text[position] !== "'") fail(`unterminated string in ${text}`);
      position += 1;
      return { literal: value };
    }
    if (rest.startsWith('States.')) return call();
    if (rest.startsWith('$')) {
      const match = /^\$\$?[^,)\s]*/.exec(rest);
      position += match?.[0].length ?? 1;
      return { path: match?.[0] ?? '$' };
    }
    const word = /^(-?\d+(?:\.\d+)?|true|false|null)/.exec(rest);
    if (!word?.[1]) fail(`cannot read an argument at '${rest}' in ${text}`);
    position += word[1].length;
    return { literal: JSON.parse(word[1]) as Json };
  };
  const call = (): Argument => {
    const match = /^States\.[A-Za-z0-9]+/.exec(text.slice(position));
    if (!match) fail(`expected an intrinsic function at '${text.slice(position)}'`);
    position += match[0].length;
    skipSpaces();
    if (text[position] !== '(') fail(`expected '(' after ${match[0]}`);
    position += 1;
    const args: Argument[] = [];
    skipSpaces();
    if (text[position] === ')') position += 1;
    else {
      for (;;) {
        args.push(argument());
        skipSpaces();
        if (text[position] === ',') position += 1;
        else if (text[position] === ')') {
          position += 1;
          break;
        } else fail(`expected ',' or ')' in ${text}`);
      }
    }
    return { call: match[0], args };
  };
  const parsed = call();
  skipSpaces();
  if (position !== text.length) fail(`unexpected text after the call: '${text.slice(position)}'`);
  return parsed;
}

function evaluate(argument: Argument, input: Json, context: Json): Json {
  if ('literal' in argument) return argument.literal;
  if ('path' in argument) return readPath(argument.path, input, context);
  const args = argument.args.map((inner) => evaluate(inner, input, context));
  const implementation = FUNCTIONS[argument.call];
  if (!implementation) throw runtimeError(`The intrinsic function ${argument.call} is not supported`);
  return implementation(args);
}

const asNumber = (value: Json, name: string): number => (typeof value === 'number' ? value : fail(`${name}: expected a number, got ${JSON.stringify(value)}`));
const asArray = (value: Json, name: string): Json[] => (Array.isArray(value) ? value : fail(`${name}: expected an array`));
const asString = (value: Json, name: string): string => (typeof value === 'string' ? value : fail(`${name}: expected a string`));

const FUNCTIONS: Record<string, (args: Json[]) => Json> = {
  'States.Format': ([template, ...values]) => {
    let index = 0;
    return asString(template, 'States.Format').replace(/\{\}/g, () => {
      const value = values[index++];
      return typeof value === 'string' ? value : JSON.stringify(value);
    });
  },
  'States.StringToJson': ([text]) => JSON.parse(asString(text, 'States.StringToJson')) as Json,
  'States.JsonToString': ([value]) => JSON.stringify(value),
  'States.Array': (values) => values,
  'States.ArrayPartition': ([array, size]) => {
    const items = asArray(array, 'States.ArrayPartition');
    const chunk = asNumber(size, 'States.ArrayPartition');
    const chunks: Json[][] = [];
    for (let index = 0; index < items.length; index += chunk) chunks.push(items.slice(index, index + chunk));
    return chunks;
  },
  'States.ArrayContains': ([array, value]) => asArray(array, 'States.ArrayContains').some((item) => JSON.stringify(item) === JSON.stringify(value)),
  'States.ArrayRange': ([first, last, step]) => {
    const values: number[] = [];
    const increment = asNumber(step, 'States.ArrayRange');
    if (increment === 0) fail('States.ArrayRange: step must not be 0');
    for (let value = asNumber(first, 'States.ArrayRange'); increment > 0 ? value <= asNumber(last, 'x') : value >= asNumber(last, 'x'); value += increment) values.push(value);
    return values;
  },
  'States.ArrayGetItem': ([array, index]) => asArray(array, 'States.ArrayGetItem')[asNumber(index, 'States.ArrayGetItem')] ?? null,
  'States.ArrayLength': ([array]) => asArray(array, 'States.ArrayLength').length,
  'States.ArrayUnique': ([array]) => {
    const seen = new Set<string>();
    return asArray(array, 'States.ArrayUnique').filter((item) => !seen.has(JSON.stringify(item)) && seen.add(JSON.stringify(item)));
  },
  'States.Base64Encode': ([text]) => Buffer.from(asString(text, 'States.Base64Encode'), 'utf8').toString('base64'),
  'States.Base64Decode': ([text]) => Buffer.from(asString(text, 'States.Base64Decode'), 'base64').toString('utf8'),
  'States.Hash': ([data, algorithm]) => {
    const name = { MD5: 'md5', 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' }[asString(algorithm, 'States.Hash')];
    if (!name) fail('States.Hash: the algorithm must be MD5, SHA-1, SHA-256, SHA-384 or SHA-512');
    return createHash(name).update(typeof data === 'string' ? data : JSON.stringify(data)).digest('hex');
  },
  'States.JsonMerge': ([left, right, deep]) => {
    if (deep !== false) fail('States.JsonMerge: only the shallow merge (false) is supported, as in AWS');
    return { ...(left as Record<string, Json>), ...(right as Record<string, Json>) };
  },
  'States.MathRandom': ([start, end]) => randomInt(asNumber(start, 'States.MathRandom'), asNumber(end, 'States.MathRandom')),
  'States.MathAdd': ([left, right]) => asNumber(left, 'States.MathAdd') + asNumber(right, 'States.MathAdd'),
  'States.StringSplit': ([text, separators]) => asString(text, 'States.StringSplit').split(new RegExp(`[${asString(separators, 'x').replace(/[\]\\^-]/g, '\\$&')}]`)).filter(Boolean),
  'States.UUID': () => randomUUID(),
};

/** Evaluates an intrinsic function call such as `States.Format('account {}', $.id)`. */
export function evaluateIntrinsic(expression: string, input: Json, context: Json): Json {
  return evaluate(parse(expression.trim()), input, context);
}
