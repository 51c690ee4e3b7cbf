import { type FilterExpression, filterMatches, FilterSyntaxError, parseFilter } from './json-path-filter';
import { isJsonObject, type Json } from './json-value';

/**
 * The JSONPath dialect of the States language: `$`, `.name`, `['name']`, `[index]` (the
 * reference paths ResultPath and the *Path fields use), plus `*`, `..name`, unions
 * `[0,2]` / `['a','b']`, slices `[1:3]` and filter expressions `[?(@.x == 1)]` for the
 * paths that may select several values.
 */
export type PathSegment =
  | { kind: 'name'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'wildcard' }
  | { kind: 'descendants'; name: string | undefined }
  | { kind: 'union'; members: Array<string | number> }
  | { kind: 'slice'; start: number | undefined; end: number | undefined; step: number }
  | { kind: 'filter'; filter: FilterExpression };

export interface ParsedPath {
  readonly text: string;
  readonly segments: readonly PathSegment[];
  /** A definite path selects at most one value; an indefinite one selects a list. */
  readonly definite: boolean;
  /** Only names and indexes: a path ResultPath can write to. */
  readonly reference: boolean;
}

export class JsonPathSyntaxError extends Error {
  override readonly name = 'JsonPathSyntaxError';
}

const parsedPaths = new Map<string, ParsedPath>();

export function parsePath(text: string): ParsedPath {
  const cached = parsedPaths.get(text);
  if (cached) return cached;
  const parsed = parseUncached(text);
  if (parsedPaths.size > 10_000) parsedPaths.clear();
  parsedPaths.set(text, parsed);
  return parsed;
}

function parseUncached(text: string): ParsedPath {
  if (!text.startsWith('$')) throw new JsonPathSyntaxError(`'${text}' is not a JSONPath: it must start with '$'`);
  const segments: PathSegment[] = [];
  let at = 1;
  const fail = (why: string): never => {
    throw new JsonPathSyntaxError(`'${text}' is not a valid JSONPath: ${why} at position ${at}`);
  };
  const readName = (): string => {
    const start = at;
    while (at < text.length && text[at] !== '.' && text[at] !== '[') at++;
    if (at === start) fail('expected a field name');
    return text.slice(start, at);
  };
  while (at < text.length) {
    if (text.startsWith('..', at)) {
      at += 2;
      if (text[at] === '*') {
        at++;
        segments.push({ kind: 'descendants', name: undefined });
      } else if (text[at] === '[') {
        fail("'..[' is not supported");
      } else {
        segments.push({ kind: 'descendants', name: readName() });
      }
    } else if (text[at] === '.') {
      at++;
      if (text[at] === '*') {
        at++;
        segments.push({ kind: 'wildcard' });
      } else {
        segments.push({ kind: 'name', name: readName() });
      }
    } else if (text[at] === '[') {
      const close = findClosingBracket(text, at);
      if (close < 0) fail("missing ']'");
      segments.push(parseBracket(text.slice(at + 1, close).trim(), fail));
      at = close + 1;
    } else {
      fail(`unexpected '${text[at]}'`);
    }
  }
  const definite = segments.every((segment) => segment.kind === 'name' || segment.kind === 'index');
  return { text, segments, definite, reference: definite };
}

/** The `]` that closes the bracket at `open`, past quoted text and nested brackets (a filter's `@['a']`). */
function findClosingBracket(text: string, open: number): number {
  let quote: string | undefined;
  let depth = 0;
  for (let at = open + 1; at < text.length; at++) {
    const char = text[at];
    if (quote) {
      if (char === '\\') at++;
      else if (char === quote) quote = undefined;
    } else if (char === "'" || char === '"') {
      quote = char;
    } else if (char === '[') {
      depth++;
    } else if (char === ']') {
      if (depth === 0) return at;
      depth--;
    }
  }
  return -1;
}

function parseBracket(inside: string, fail: (why: string) => never): PathSegment {
  if (inside === '*') return { kind: 'wildcard' };
  if (inside.startsWith('?')) {
    const filter = /^\?\s*\(([\s\S]*)\)$/.exec(inside);
    if (!filter) return fail('a filter expression is written [?(...)]');
    try {
      return { kind: 'filter', filter: parseFilter(filter[1] as string) };
    } catch (error) {
      if (error instanceof FilterSyntaxError) return fail(error.message);
      throw error;
    }
  }
  if (inside.includes(':')) {
    const parts = inside.split(':').map((part) => part.trim());
    if (parts.length > 3) fail('a slice has at most start:end:step');
    const number = (part: string | undefined): number | undefined => {
      if (part === undefined || part === '') return undefined;
      if (!/^-?\d+$/.test(part)) fail(`'${part}' is not an integer`);
      return Number(part);
    };
    const step = number(parts[2]) ?? 1;
    if (step === 0) fail('a slice step cannot be 0');
    return { kind: 'slice', start: number(parts[0]), end: number(parts[1]), step };
  }
  const members = splitUnion(inside).map((member): string | number => {
    if (/^-?\d+$/.test(member)) return Number(member);
    const quoted = /^'((?:[^'\\]|\\.)*)'$/.exec(member) ?? /^"((?:[^"\\]|\\.)*)"$/.exec(member);
    if (!quoted) return fail(`'${member}' is neither an index nor a quoted name`);
    return (quoted[1] ?? '').replace(/\\(.)/g, '$1');
  });
  if (members.length === 1) {
    const only = members[0] as string | number;
    return typeof only === 'number' ? { kind: 'index', index: only } : { kind: 'name', name: only };
  }
  return { kind: 'union', members };
}

function splitUnion(inside: string): string[] {
  const members: string[] = [];
  let quote: string | undefined;
  let start = 0;
  for (let at = 0; at < inside.length; at++) {
    const char = inside[at];
    if (quote) {
      if (char === '\\') at++;
      else if (char === quote) quote = undefined;
    } else if (char === "'" || char === '"') {
      quote = char;
    } else if (char === ',') {
      members.push(inside.slice(start, at).trim());
      start = at + 1;
    }
  }
  members.push(inside.slice(start).trim());
  return members;
}

export type PathResult = { found: true; value: Json } | { found: false };

/**
 * The value a path selects: a definite path finds one value or nothing; an indefinite
 * path always finds the (possibly empty) list of what it matched, as Step Functions does.
 */
export function queryPath(path: string | ParsedPath, data: Json): PathResult {
  const parsed = typeof path === 'string' ? parsePath(path) : path;
  let current: Json[] = [data];
  for (const segment of parsed.segments) {
    const next: Json[] = [];
    for (const value of current) select(segment, value, next);
    current = next;
    if (parsed.definite && current.length === 0) return { found: false };
  }
  if (parsed.definite) return current.length === 0 ? { found: false } : { found: true, value: current[0] as Json };
  return { found: true, value: current };
}

function select(segment: PathSegment, value: Json, into: Json[]): void {
  switch (segment.kind) {
    case 'name':
      if (isJsonObject(value) && Object.prototype.hasOwnProperty.call(value, segment.name)) into.push(value[segment.name] as Json);
      return;
    case 'index':
      if (Array.isArray(value)) {
        const index = segment.index < 0 ? value.length + segment.index : segment.index;
        if (index >= 0 && index < value.length) into.push(value[index] as Json);
      }
      return;
    case 'wildcard':
      if (Array.isArray(value)) into.push(...value);
      else if (isJsonObject(value)) into.push(...Object.values(value));
      return;
    case 'union':
      for (const member of segment.members)
        select(typeof member === 'number' ? { kind: 'index', index: member } : { kind: 'name', name: member }, value, into);
      return;
    case 'slice': {
      if (!Array.isArray(value)) return;
      const length = value.length;
      const clamp = (bound: number) => (bound < 0 ? Math.max(length + bound, 0) : Math.min(bound, length));
      if (segment.step > 0) {
        const start = clamp(segment.start ?? 0);
        const end = clamp(segment.end ?? length);
        for (let index = start; index < end; index += segment.step) into.push(value[index] as Json);
      } else {
        const start = segment.start === undefined ? length - 1 : Math.min(clamp(segment.start), length - 1);
        const end = segment.end === undefined ? -1 : clamp(segment.end);
        for (let index = start; index > end; index += segment.step) into.push(value[index] as Json);
      }
      return;
    }
    case 'descendants':
      collectDescendants(segment.name, value, into);
      return;
    case 'filter':
      // As Jayway: an array's items are filtered, an object is tested itself.
      for (const item of Array.isArray(value) ? value : [value]) if (filterMatches(segment.filter, item)) into.push(item);
      return;
  }
}

function collectDescendants(name: string | undefined, value: Json, into: Json[]): void {
  if (Array.isArray(value)) {
    for (const item of value) {
      if (name === undefined) into.push(item);
      collectDescendants(name, item, into);
    }
  } else if (isJsonObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (name === undefined || key === name) into.push(item);
      collectDescendants(name, item, into);
    }
  }
}

/**
 * A copy of `target` with `value` placed at the reference path (ResultPath semantics):
 * missing objects on the way are created; a scalar or array in the way is an error.
 */
export function setAtReferencePath(target: Json, path: string, value: Json): Json {
  const parsed = parsePath(path);
  if (!parsed.reference) throw new JsonPathSyntaxError(`'${path}' is not a reference path (only names and indexes are allowed)`);
  if (parsed.segments.length === 0) return value;
  return setAt(target, parsed.segments, 0, value, path);
}

export class ReferencePathConflictError extends Error {
  override readonly name = 'ReferencePathConflictError';
}

function setAt(target: Json, segments: readonly PathSegment[], depth: number, value: Json, path: string): Json {
  const segment = segments[depth] as PathSegment;
  const last = depth === segments.length - 1;
  if (segment.kind === 'index') {
    if (!Array.isArray(target) || segment.index < 0 || segment.index >= target.length) {
      throw new ReferencePathConflictError(`Unable to apply ReferencePath ${path} to input ${JSON.stringify(target)}`);
    }
    const copy = target.slice();
    copy[segment.index] = last ? value : setAt(copy[segment.index] as Json, segments, depth + 1, value, path);
    return copy;
  }
  if (segment.kind !== 'name') throw new ReferencePathConflictError(`'${path}' is not a reference path`);
  if (!isJsonObject(target))
    throw new ReferencePathConflictError(`Unable to apply ReferencePath ${path} to input ${JSON.stringify(target)}`);
  const copy = { ...target };
  const existing = Object.prototype.hasOwnProperty.call(copy, segment.name) ? copy[segment.name] : undefined;
  copy[segment.name] = last ? value : setAt(existing === undefined ? {} : existing, segments, depth + 1, value, path);
  return copy;
}
