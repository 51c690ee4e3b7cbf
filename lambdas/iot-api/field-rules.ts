/**
 * The AWS IoT API's own field rules for the certificate-transfer Actions, as the
 * service model states them. Handlers, the local IoT endpoint and the CLI all
 * validate through this module so that a rule is written once.
 */

export class ValidationError extends Error {
  override readonly name = 'ValidationError';

  constructor(
    readonly field: string,
    readonly rule: string,
  ) {
    super(`${field}: ${rule}`);
  }
}

export const CERTIFICATE_STATUSES = [
  'ACTIVE',
  'INACTIVE',
  'REVOKED',
  'PENDING_TRANSFER',
  'REGISTER_INACTIVE',
  'PENDING_ACTIVATION',
] as const;
export type CertificateStatus = (typeof CERTIFICATE_STATUSES)[number];

const CERTIFICATE_ID_PATTERN = /^(0x)?[a-fA-F0-9]+$/;
const AWS_ACCOUNT_ID_PATTERN = /^[0-9]{12}$/;
export const CERTIFICATE_ID_LENGTH = 64;
export const MESSAGE_MAX_LENGTH = 128;

export function parseCertificateId(value: unknown, field = 'certificateId'): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ValidationError(field, 'is required and must be a string');
  }
  if (value.length !== CERTIFICATE_ID_LENGTH) {
    throw new ValidationError(field, `must be exactly ${CERTIFICATE_ID_LENGTH} characters long (got ${value.length})`);
  }
  if (!CERTIFICATE_ID_PATTERN.test(value)) {
    throw new ValidationError(field, 'must match the pattern (0x)?[a-fA-F0-9]+');
  }
  return value;
}

export function parseAwsAccountId(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ValidationError(field, 'is required and must be a string');
  }
  if (!AWS_ACCOUNT_ID_PATTERN.test(value)) {
    throw new ValidationError(field, 'must be exactly 12 digits');
  }
  return value;
}

export function parseOptionalAwsAccountId(value: unknown, field: string): string | undefined {
  return value === undefined || value === null ? undefined : parseAwsAccountId(value, field);
}

/** transferMessage and rejectReason share the API's Message shape: at most 128 characters. */
export function parseOptionalMessage(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new ValidationError(field, 'must be a string');
  }
  if (value.length > MESSAGE_MAX_LENGTH) {
    throw new ValidationError(field, `must be at most ${MESSAGE_MAX_LENGTH} characters long (got ${value.length})`);
  }
  return value;
}

/** Booleans also arrive in their query-string form ("true" / "false"), as the REST API sends them. */
export function parseOptionalBoolean(value: unknown, field: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new ValidationError(field, 'must be a boolean (true or false)');
}

export function parseCertificateStatus(value: unknown, field: string): CertificateStatus {
  if (typeof value === 'string' && (CERTIFICATE_STATUSES as readonly string[]).includes(value)) {
    return value as CertificateStatus;
  }
  throw new ValidationError(field, `must be one of ${CERTIFICATE_STATUSES.join(', ')}`);
}

const POLICY_NAME_PATTERN = /^[\w+=,.@-]+$/;
const THING_NAME_PATTERN = /^[a-zA-Z0-9:_-]+$/;
const MARKER_PATTERN = /^[A-Za-z0-9+/]+={0,2}$/;
export const NAME_MAX_LENGTH = 128;
export const PAGE_SIZE_MAX = 250;
export const MARKER_MAX_LENGTH = 1024;

function parseName(value: unknown, field: string, pattern: RegExp, patternText: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ValidationError(field, 'is required and must be a string');
  }
  if (value.length > NAME_MAX_LENGTH) {
    throw new ValidationError(field, `must be at most ${NAME_MAX_LENGTH} characters long (got ${value.length})`);
  }
  if (!pattern.test(value)) {
    throw new ValidationError(field, `must match the pattern ${patternText}`);
  }
  return value;
}

export function parsePolicyName(value: unknown, field = 'policyName'): string {
  return parseName(value, field, POLICY_NAME_PATTERN, '[\\w+=,.@-]+');
}

export function parseThingName(value: unknown, field = 'thingName'): string {
  return parseName(value, field, THING_NAME_PATTERN, '[a-zA-Z0-9:_-]+');
}

/** A required free-form string, such as an ARN in `target` or `principal`, or a policy document. */
export function parseRequiredString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ValidationError(field, 'is required and must be a string');
  }
  return value;
}

/** pageSize and maxResults: integers from 1 to 250, also in their query-string form. */
export function parseOptionalPageSize(value: unknown, field: string, max = PAGE_SIZE_MAX): number | undefined {
  if (value === undefined || value === null) return undefined;
  const size = typeof value === 'string' && /^-?[0-9]+$/.test(value) ? Number(value) : value;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1 || size > max) {
    throw new ValidationError(field, `must be an integer from 1 to ${max}`);
  }
  return size;
}

/** The Marker shape of list Actions: base64 text of at most 1024 characters. */
export function parseOptionalMarker(value: unknown, field = 'marker'): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > MARKER_MAX_LENGTH || !MARKER_PATTERN.test(value)) {
    throw new ValidationError(field, `must match the pattern [A-Za-z0-9+/]+={0,2} and be at most ${MARKER_MAX_LENGTH} characters long`);
  }
  return value;
}
