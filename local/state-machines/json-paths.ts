import { runtimeError } from './states-error';

type Json = unknown;
type Segment = string | number;

const SEGMENT = /^(?:\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\["((?:[^"\\]|\\.)*)"\])/;

/** The segments of a reference path such as `$.a.b[0]['c d']` (after its `$` or `$$`). */
export function pathSegments(path: string): Segment[] {
  const root = path.startsWith('$$') ? 2 : path.startsWith('$') ? 1 : -1;
  if (root < 0) throw runtimeError(`Invalid path '${path}': a path starts with $`);
  const segments: Segment[] = [];
  let rest = path.slice(root);
  while (rest.length > 0) {
    const match = SEGMENT.exec(rest);
    if (!match) throw runtimeError(`Invalid path '${path}': unsupported at '${rest}'`);
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else segments.push((match[3] ?? match[4] ?? '').replace(/\\(.)/g, '$1'));
    rest = rest.slice(match[0].length);
  }
  return segments;
}

const MISSING = Symbol('missing');

function lookup(value: Json, segments: Segment[]): Json | typeof MISSING {
  let current: Json = value;
  for (const segment of segments) {
    if (typeof segment === 'number') {
      if (!Array.isArray(current) || segment >= current.length) return MISSING;
      current = current[segment] as Json;
    } else {
      if (typeof current !== 'object' || current === null || Array.isArray(current) || !(segment in current)) return MISSING;
      current = (current as Record<string, Json>)[segment];
    }
  }
  return current;
}

/** Reads a path from the state (`$...`) or the context object (`$$...`). A missing path is States.Runtime, as in AWS. */
export function readPath(path: string, input: Json, context: Json): Json {
  const found = lookup(path.startsWith('$$') ? context : input, pathSegments(path));
  if (found === MISSING) throw runtimeError(`The JSONPath '${path}' could not be found in the input '${JSON.stringify(input).slice(0, 200)}'`);
  return found;
}

export function isPresent(path: string, input: Json, context: Json): boolean {
  return lookup(path.startsWith('$$') ? context : input, pathSegments(path)) !== MISSING;
}

/** ResultPath: puts `result` into a copy of `input` at `path`; `$` replaces the input, null keeps it unchanged. */
export function writePath(input: Json, path: string | null | undefined, result: Json): Json {
  if (path === null) return input;
  if (path === undefined || path === '$') return result;
  const segments = pathSegments(path);
  const root: Json = structuredClone(input ?? {});
  if (typeof root !== 'object' || root === null || Array.isArray(root)) throw runtimeError(`Unable to apply ResultPath '${path}' to a non-object input`);
  let current = root as Record<string, Json>;
  segments.forEach((segment, index) => {
    if (typeof segment === 'number') throw runtimeError(`ResultPath '${path}' cannot index an array`);
    if (index === segments.length - 1) {
      current[segment] = result;
      return;
    }
    const next = current[segment];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) current[segment] = {};
    current = current[segment] as Record<string, Json>;
  });
  return root;
}
