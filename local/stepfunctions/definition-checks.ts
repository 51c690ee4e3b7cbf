import { isIntrinsicCall, IntrinsicSyntaxError, parseIntrinsic } from './intrinsic-functions';
import { JsonPathSyntaxError, parsePath } from './json-path';
import { isJsonObject, type Json, type JsonObject } from './json-value';
import { isFunctionArn, LAMBDA_CALLBACK_RESOURCE, LAMBDA_INVOKE_RESOURCE } from './lambda-integration';

/**
 * Checks CreateStateMachine makes beyond the asl-validator schema: what AWS refuses that the
 * schema lets through, and what this engine cannot run (refused now rather than failing at
 * run time). Each returns the problem, or undefined. Paths in messages are the state names.
 */

/** The Distributed Map page: a Label has up to 40 characters, none of these. */
const LABEL_FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;
const MAX_LABEL_LENGTH = 40;
/** The ItemReader page: MaxItems goes up to 100,000,000 (0 reads every item). */
const MAX_ITEMS_LIMIT = 100_000_000;

type Problem = string | undefined;

/** Every problem found, in definition order; empty when the definition can be created. */
export function definitionProblems(definition: JsonObject): string[] {
  const problems: string[] = [];
  const labels = new Map<string, string>();
  checkBlock(definition, problems, labels);
  return problems;
}

/**
 * A copy of the definition with the values AWS accepts but the asl-validator schema refuses
 * (ReaderConfig MaxItems 0, a fractional ToleratedFailurePercentage, an intrinsic string with
 * an escaped quote) replaced by ones it accepts, so that the schema still checks everything
 * else. Ranges and intrinsic syntax are checked here instead.
 */
export function forSchemaValidation(definition: JsonObject): JsonObject {
  return JSON.parse(JSON.stringify(definition), function (this: JsonObject, key: string, value: Json): Json {
    if (key === 'MaxItems' && value === 0) return 1;
    // The schema refuses the guide's own escapes (`\'`): intrinsic calls are parsed by definitionProblems instead.
    if (key.endsWith('.$') && typeof value === 'string' && isIntrinsicCall(value)) return '$';
    if (key === 'ToleratedFailurePercentage' && typeof value === 'number' && !Number.isInteger(value) && value >= 0 && value <= 100)
      return Math.floor(value);
    return value;
  }) as JsonObject;
}

function checkBlock(block: JsonObject, problems: string[], labels: Map<string, string>): void {
  const states = block.States;
  if (!isJsonObject(states)) return;
  for (const [name, state] of Object.entries(states)) {
    if (!isJsonObject(state)) continue;
    for (const problem of checkState(name, state, labels)) if (problem) problems.push(problem);
    for (const branch of Array.isArray(state.Branches) ? state.Branches : [])
      if (isJsonObject(branch)) checkBlock(branch, problems, labels);
    for (const processor of [state.ItemProcessor, state.Iterator]) if (isJsonObject(processor)) checkBlock(processor, problems, labels);
  }
}

function checkState(name: string, state: JsonObject, labels: Map<string, string>): Problem[] {
  const where = `the state '${name}'`;
  const problems: Problem[] = [checkPayloadTemplates(state, where), checkPaths(state, where)];
  if (state.Type === 'Task') problems.push(...checkTask(state, where));
  if (state.Type === 'Map' && isDistributed(state)) problems.push(...checkDistributedMap(name, state, where, labels));
  return problems;
}

function checkTask(state: JsonObject, where: string): Problem[] {
  const resource = typeof state.Resource === 'string' ? state.Resource : '';
  return [
    resource === LAMBDA_INVOKE_RESOURCE || resource === LAMBDA_CALLBACK_RESOURCE || isFunctionArn(resource)
      ? undefined
      : `${where} uses the resource '${resource}', which the local Step Functions engine does not run (it runs ${LAMBDA_INVOKE_RESOURCE}, ${LAMBDA_CALLBACK_RESOURCE} and Lambda function ARNs)`,
    'Credentials' in state
      ? `${where} sets Credentials (a role to assume for the task), which the local Step Functions engine does not support`
      : undefined,
  ];
}

function isDistributed(state: JsonObject): boolean {
  const processor = isJsonObject(state.ItemProcessor) ? state.ItemProcessor : undefined;
  const config = processor && isJsonObject(processor.ProcessorConfig) ? processor.ProcessorConfig : undefined;
  return config?.Mode === 'DISTRIBUTED' || 'ItemReader' in state || 'ResultWriter' in state || 'ItemBatcher' in state;
}

function checkDistributedMap(name: string, state: JsonObject, where: string, labels: Map<string, string>): Problem[] {
  const problems: Problem[] = [];
  if ('Iterator' in state)
    problems.push(`${where} is a Distributed Map and declares Iterator: a Distributed Map needs ItemProcessor (with ProcessorConfig)`);
  const label = state.Label;
  if (label !== undefined) {
    if (typeof label !== 'string' || label.length === 0 || label.length > MAX_LABEL_LENGTH || LABEL_FORBIDDEN.test(label)) {
      problems.push(
        `${where} has the Label ${JSON.stringify(label)}: a Label has 1 to ${MAX_LABEL_LENGTH} characters, without whitespace, brackets, wildcards, special characters or control characters`,
      );
    } else if (labels.has(label)) {
      problems.push(
        `${where} has the Label '${label}', already used by the state '${labels.get(label) ?? ''}': Labels must be unique within the state machine`,
      );
    } else {
      labels.set(label, name);
    }
  }
  const percentage = state.ToleratedFailurePercentage;
  if (percentage !== undefined && (typeof percentage !== 'number' || percentage < 0 || percentage > 100)) {
    problems.push(`${where} has ToleratedFailurePercentage ${JSON.stringify(percentage)}: it must be a number from 0 to 100`);
  }
  const count = state.ToleratedFailureCount;
  if (count !== undefined && (typeof count !== 'number' || !Number.isInteger(count) || count < 0)) {
    problems.push(`${where} has ToleratedFailureCount ${JSON.stringify(count)}: it must be a non-negative integer`);
  }
  const reader = isJsonObject(state.ItemReader) ? state.ItemReader : undefined;
  const config = reader && isJsonObject(reader.ReaderConfig) ? reader.ReaderConfig : undefined;
  const maxItems = config?.MaxItems;
  if (
    maxItems !== undefined &&
    (typeof maxItems !== 'number' || !Number.isInteger(maxItems) || maxItems < 0 || maxItems > MAX_ITEMS_LIMIT)
  ) {
    problems.push(`${where} has ReaderConfig MaxItems ${JSON.stringify(maxItems)}: it must be an integer from 0 to ${MAX_ITEMS_LIMIT}`);
  }
  const headers = config?.CSVHeaders;
  if (Array.isArray(headers)) {
    const duplicate = headers.find((header, index) => headers.indexOf(header) !== index);
    if (duplicate !== undefined) problems.push(`${where} lists the CSV header ${JSON.stringify(duplicate)} more than once in CSVHeaders`);
  }
  return problems;
}

/** Intrinsic function calls in `.$` fields are parsed now: a syntax error (an illegal escape) is a definition error. */
function checkPayloadTemplates(state: JsonObject, where: string): Problem {
  const templates: Array<[string, Json | undefined]> = [
    ['Parameters', state.Parameters],
    ['ResultSelector', state.ResultSelector],
    ['ItemSelector', state.ItemSelector],
  ];
  for (const [field, template] of templates) {
    const problem = checkTemplate(template, `${where} (${field})`);
    if (problem) return problem;
  }
  for (const field of ['ErrorPath', 'CausePath']) {
    const value = state[field];
    if (typeof value === 'string' && isIntrinsicCall(value)) {
      const problem = intrinsicProblem(value, `${where} (${field})`);
      if (problem) return problem;
    }
  }
  return undefined;
}

function checkTemplate(template: Json | undefined, where: string): Problem {
  if (Array.isArray(template)) {
    for (const item of template) {
      const problem = checkTemplate(item, where);
      if (problem) return problem;
    }
    return undefined;
  }
  if (!isJsonObject(template)) return undefined;
  for (const [key, value] of Object.entries(template)) {
    const problem =
      key.endsWith('.$') && typeof value === 'string' && isIntrinsicCall(value)
        ? intrinsicProblem(value, `${where}, field '${key}'`)
        : checkTemplate(value, where);
    if (problem) return problem;
  }
  return undefined;
}

function intrinsicProblem(expression: string, where: string): Problem {
  try {
    parseIntrinsic(expression);
    return undefined;
  } catch (error) {
    if (error instanceof IntrinsicSyntaxError) return `${where}: ${error.message}`;
    throw error;
  }
}

/** The JSONPath fields are parsed now, so that a path this engine cannot evaluate is refused at creation. */
function checkPaths(state: JsonObject, where: string): Problem {
  for (const field of ['InputPath', 'OutputPath', 'ItemsPath', 'ResultPath', 'SecondsPath', 'TimestampPath']) {
    const value = state[field];
    if (typeof value !== 'string') continue;
    try {
      parsePath(value.startsWith('$$') ? value.slice(1) : value);
    } catch (error) {
      if (error instanceof JsonPathSyntaxError) return `${where} (${field}): ${error.message}`;
      throw error;
    }
  }
  return undefined;
}
