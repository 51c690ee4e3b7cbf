import { createHash } from 'node:crypto';
import { ValidationError } from '../iot-api/field-rules';
import { MalformedStartRequest } from './start-request-errors';

/** The workflows a person starts through the start API, by their path name. */
export const STARTABLE_WORKFLOWS = ['transfer', 'migration'] as const;
export type StartableWorkflow = (typeof STARTABLE_WORKFLOWS)[number];

/** The input fields only the start API sets: a caller who sends them is refused. */
export const REQUESTER_FIELDS = ['requestedBy', 'requestedByArn'] as const;

/** StartExecution's `name`: 1-80 characters for a Standard workflow. */
export const EXECUTION_NAME_MAX_LENGTH = 80;

/**
 * What StartExecution's `name` must not contain (API reference): whitespace, brackets
 * `< > { } [ ]`, wildcards `? *`, the special characters `" # % \ ^ | ~ \` $ & , ; : /`,
 * control characters (U+0000-001F, U+007F-009F), U+FFFE-FFFF and surrogates.
 */
const EXECUTION_NAME_FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f\ufffe\uffff]|\p{Cs}/u;

/** A start request as the caller sends it: `POST /workflows/{workflow}/executions` with `{ name?, input }`. */
export interface StartRequestBody {
  name?: string;
  input: Record<string, unknown>;
}

export function parseStartableWorkflow(value: unknown): StartableWorkflow {
  if (typeof value !== 'string' || !(STARTABLE_WORKFLOWS as readonly string[]).includes(value)) {
    throw new ValidationError('workflow', `must be one of ${STARTABLE_WORKFLOWS.join(', ')}`);
  }
  return value as StartableWorkflow;
}

export function parseExecutionName(value: unknown, field = 'name'): string {
  if (typeof value !== 'string' || value.length === 0) throw new ValidationError(field, 'must be a non-empty string');
  if (value.length > EXECUTION_NAME_MAX_LENGTH) {
    throw new ValidationError(field, `must be at most ${EXECUTION_NAME_MAX_LENGTH} characters long (got ${value.length})`);
  }
  if (EXECUTION_NAME_FORBIDDEN.test(value)) {
    throw new ValidationError(
      field,
      'must not contain whitespace, brackets < > { } [ ], wildcards ? *, any of " # % \\ ^ | ~ ` $ & , ; : / or control characters',
    );
  }
  return value;
}

/** The request body: a JSON object with `input` (an object without the requester fields) and an optional `name`. */
export function parseStartRequestBody(body: string | null): StartRequestBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body ?? '');
  } catch (error) {
    throw new MalformedStartRequest(error);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ValidationError('body', 'must be a JSON object { "name"?: string, "input": object }');
  }
  const fields = parsed as Record<string, unknown>;
  const unknownField = Object.keys(fields).find((field) => field !== 'name' && field !== 'input');
  if (unknownField !== undefined) throw new ValidationError(unknownField, 'is not a field of a start request (name, input)');
  const input = fields.input;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ValidationError('input', 'must be a JSON object');
  for (const field of REQUESTER_FIELDS) {
    if (Object.hasOwn(input, field)) {
      throw new ValidationError(`input.${field}`, "must not be given: the requester is the caller's AWS identity, which certflow sets");
    }
  }
  return {
    ...(fields.name === undefined ? {} : { name: parseExecutionName(fields.name) }),
    input: input as Record<string, unknown>,
  };
}

/**
 * One serialization of a JSON value: object keys sorted, no whitespace. The start function
 * sends exactly this string as the execution input and the verify step re-serializes what
 * Step Functions hands it the same way, so the two hashes compare whatever spacing or key
 * order the service uses when it passes `$$.Execution.Input` on.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
