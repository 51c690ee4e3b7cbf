import { evaluateIntrinsic, isIntrinsicCall, IntrinsicSyntaxError } from './intrinsic-functions';
import { JsonPathSyntaxError, queryPath, type PathResult } from './json-path';
import { isJsonObject, type Json, type JsonObject } from './json-value';
import { runtimeError, StatesError } from './stepfunctions-errors';

/** What `$` and `$$` refer to while a state processes its data. */
export interface DataScope {
  readonly input: Json;
  readonly context: Json;
}

/** A path on the state data (`$...`) or on the context object (`$$...`). */
export function lookUpPath(path: string, scope: DataScope): PathResult {
  try {
    return path.startsWith('$$') ? queryPath(path.slice(1), scope.context) : queryPath(path, scope.input);
  } catch (error) {
    if (error instanceof JsonPathSyntaxError) throw runtimeError(error.message);
    throw error;
  }
}

/** A path's value, or States.Runtime naming the path and the field it was for, as AWS reports it. */
export function requirePath(path: string, scope: DataScope, field: string): Json {
  const result = lookUpPath(path, scope);
  if (!result.found) {
    const where = path.startsWith('$$') ? 'context object' : 'input';
    const data = path.startsWith('$$') ? scope.context : scope.input;
    throw runtimeError(
      `The JSONPath '${path}' specified for the field '${field}' could not be found in the ${where} '${JSON.stringify(data)}'`,
    );
  }
  return result.value;
}

/** Evaluates the value of a `.$` field: a path, a context path or an intrinsic function. */
export function evaluateDynamicValue(expression: string, scope: DataScope, field: string): Json {
  if (isIntrinsicCall(expression)) {
    try {
      return evaluateIntrinsic(expression, (path) => requirePath(path, scope, field));
    } catch (error) {
      if (error instanceof IntrinsicSyntaxError) throw runtimeError(error.message);
      if (error instanceof StatesError) throw error;
      throw runtimeError(error instanceof Error ? error.message : String(error));
    }
  }
  if (expression.startsWith('$')) return requirePath(expression, scope, field);
  throw runtimeError(`The value for the field '${field}' must be a JSONPath or an intrinsic function, got '${expression}'`);
}

/**
 * Parameters / ItemSelector / ResultSelector: a copy of the template in which every field
 * whose name ends in `.$` is replaced by the value its path or intrinsic function selects.
 */
export function applyPayloadTemplate(template: Json, scope: DataScope): Json {
  if (Array.isArray(template)) return template.map((item) => applyPayloadTemplate(item, scope));
  if (!isJsonObject(template)) return template;
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$') && typeof value === 'string') {
      result[key.slice(0, -2)] = evaluateDynamicValue(value, scope, key);
    } else {
      result[key] = applyPayloadTemplate(value, scope);
    }
  }
  return result;
}

/** InputPath / OutputPath: `null` means an empty object, a path that selects nothing is an error. */
export function applySelectionPath(
  path: string | null | undefined,
  data: Json,
  context: Json,
  field: 'InputPath' | 'OutputPath' | 'ItemsPath',
): Json {
  if (path === null) return {};
  if (path === undefined || path === '$') return data;
  const result = lookUpPath(path, { input: data, context });
  if (!result.found) throw runtimeError(`Invalid path '${path}' : No results for path: ${field}`);
  return result.value;
}
