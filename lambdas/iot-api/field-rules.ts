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
    throw new ValidationError(
      field,
      `must be exactly ${CERTIFICATE_ID_LENGTH} characters long (got ${value.length})`,
    );
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
    throw new ValidationError(
      field,
      `must be at most ${MESSAGE_MAX_LENGTH} characters long (got ${value.length})`,
    );
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
