import { ValidationError } from '../../lambdas/iot-api/field-rules';

/**
 * Field rules of the IoT service model for the thing, thing type, tag and CA Actions,
 * which `lambdas/iot-api/field-rules.ts` does not cover yet. Same style and messages, so
 * they can move there when a handler needs them.
 */

/** AttributeName: max 128, pattern [a-zA-Z0-9_.,@/:#-]+. */
const ATTRIBUTE_NAME_PATTERN = /^[a-zA-Z0-9_.,@/:#-]+$/;
export const ATTRIBUTE_NAME_MAX_LENGTH = 128;
/** AttributeValue: max 800, pattern [a-zA-Z0-9_.,@/:#=\[\]-]*. */
const ATTRIBUTE_VALUE_PATTERN = /^[a-zA-Z0-9_.,@/:#=[\]-]*$/;
export const ATTRIBUTE_VALUE_MAX_LENGTH = 800;
/** TagKey: 1 to 128, pattern ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$; TagValue: 0 to 256. */
const TAG_KEY_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
export const TAG_KEY_MAX_LENGTH = 128;
export const TAG_VALUE_MAX_LENGTH = 256;
/** ThingTypeDescription and BillingGroupDescription: max 2028, pattern [\p{Graph}\x20]* (visible characters and spaces). */
const DESCRIPTION_PATTERN = /^(?:[^\p{C}\p{Z}]|\x20)*$/u;
export const DESCRIPTION_MAX_LENGTH = 2028;
/** CertificatePem: 1 to 65536 characters. */
export const CERTIFICATE_PEM_MAX_LENGTH = 65536;
/** TemplateName: 1 to 36, pattern ^[0-9A-Za-z_-]+$. */
const TEMPLATE_NAME_PATTERN = /^[0-9A-Za-z_-]{1,36}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseOptionalStructure(value: unknown, field: string): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw new ValidationError(field, 'must be a structure');
  return value;
}

export function parseAttributeName(value: string, field: string): string {
  if (value.length === 0 || value.length > ATTRIBUTE_NAME_MAX_LENGTH) {
    throw new ValidationError(field, `must be from 1 to ${ATTRIBUTE_NAME_MAX_LENGTH} characters long (got ${value.length})`);
  }
  if (!ATTRIBUTE_NAME_PATTERN.test(value)) throw new ValidationError(field, 'must match the pattern [a-zA-Z0-9_.,@/:#-]+');
  return value;
}

/** The `attributes` map of an AttributePayload; undefined when absent. */
export function parseOptionalAttributes(value: unknown, field: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw new ValidationError(field, 'must be a map of attribute names to values');
  const attributes: Record<string, string> = {};
  for (const [name, attributeValue] of Object.entries(value)) {
    parseAttributeName(name, `${field} key`);
    if (typeof attributeValue !== 'string') throw new ValidationError(`${field}.${name}`, 'must be a string');
    if (attributeValue.length > ATTRIBUTE_VALUE_MAX_LENGTH) {
      throw new ValidationError(
        `${field}.${name}`,
        `must be at most ${ATTRIBUTE_VALUE_MAX_LENGTH} characters long (got ${attributeValue.length})`,
      );
    }
    if (!ATTRIBUTE_VALUE_PATTERN.test(attributeValue))
      throw new ValidationError(`${field}.${name}`, 'must match the pattern [a-zA-Z0-9_.,@/:#=\\[\\]-]*');
    attributes[name] = attributeValue;
  }
  return attributes;
}

export function parseOptionalTags(value: unknown, field = 'tags'): Array<{ Key: string; Value?: string }> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new ValidationError(field, 'must be a list of tags');
  return value.map((tag: unknown, index) => {
    const at = `${field}[${index}]`;
    if (!isRecord(tag)) throw new ValidationError(at, 'must be a structure with Key and Value');
    const { Key: key, Value: tagValue } = tag;
    if (typeof key !== 'string' || key.length === 0 || key.length > TAG_KEY_MAX_LENGTH) {
      throw new ValidationError(`${at}.Key`, `is required and must be from 1 to ${TAG_KEY_MAX_LENGTH} characters long`);
    }
    if (!TAG_KEY_PATTERN.test(key)) throw new ValidationError(`${at}.Key`, 'must match the pattern ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$');
    if (tagValue === undefined || tagValue === null) return { Key: key };
    if (typeof tagValue !== 'string' || tagValue.length > TAG_VALUE_MAX_LENGTH) {
      throw new ValidationError(`${at}.Value`, `must be a string of at most ${TAG_VALUE_MAX_LENGTH} characters`);
    }
    return { Key: key, Value: tagValue };
  });
}

export function parseOptionalDescription(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > DESCRIPTION_MAX_LENGTH) {
    throw new ValidationError(field, `must be a string of at most ${DESCRIPTION_MAX_LENGTH} characters`);
  }
  if (!DESCRIPTION_PATTERN.test(value)) throw new ValidationError(field, 'must match the pattern [\\p{Graph}\\x20]*');
  return value;
}

export function parseOptionalEnum<Value extends string>(value: unknown, field: string, allowed: readonly Value[]): Value | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as Value;
  throw new ValidationError(field, `must be one of ${allowed.join(', ')}`);
}

export function parseOptionalCertificatePem(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > CERTIFICATE_PEM_MAX_LENGTH) {
    throw new ValidationError(field, `must be a string from 1 to ${CERTIFICATE_PEM_MAX_LENGTH} characters long`);
  }
  return value;
}

export function parseCertificatePem(value: unknown, field: string): string {
  const pem = parseOptionalCertificatePem(value, field);
  if (pem === undefined) throw new ValidationError(field, 'is required and must be a string');
  return pem;
}

export function parseOptionalTemplateName(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !TEMPLATE_NAME_PATTERN.test(value))
    throw new ValidationError(field, 'must match the pattern ^[0-9A-Za-z_-]+$, 1 to 36 characters');
  return value;
}

/** Version and OptionalVersion: longs, also in their query-string form. */
export function parseOptionalVersion(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const version = typeof value === 'string' && /^-?[0-9]+$/.test(value) ? Number(value) : value;
  if (typeof version !== 'number' || !Number.isSafeInteger(version)) throw new ValidationError(field, 'must be an integer');
  return version;
}

export function parseOptionalStringList(
  value: unknown,
  field: string,
  parseItem: (item: string, field: string) => string,
): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new ValidationError(field, 'must be a list of strings');
  return value.map((item: unknown, index) => {
    if (typeof item !== 'string') throw new ValidationError(`${field}[${index}]`, 'must be a string');
    return parseItem(item, `${field}[${index}]`);
  });
}
