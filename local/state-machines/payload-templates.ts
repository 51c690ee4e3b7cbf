import { evaluateIntrinsic } from './intrinsic-functions';
import { readPath } from './json-paths';

type Json = unknown;

/**
 * Fills in a Parameters / ResultSelector / ItemSelector template: a key ending in `.$`
 * takes its value from a path (`$`, `$$`) or an intrinsic function; other values are kept.
 */
export function fillTemplate(template: Json, input: Json, context: Json): Json {
  if (Array.isArray(template)) return template.map((item) => fillTemplate(item, input, context));
  if (typeof template !== 'object' || template === null) return template;
  const filled: Record<string, Json> = {};
  for (const [key, value] of Object.entries(template as Record<string, Json>)) {
    if (key.endsWith('.$') && typeof value === 'string') {
      filled[key.slice(0, -2)] = value.startsWith('States.') ? evaluateIntrinsic(value, input, context) : readPath(value, input, context);
    } else {
      filled[key] = fillTemplate(value, input, context);
    }
  }
  return filled;
}
