import { ValidationError } from '../iot-api/field-rules';

/**
 * Who asks for and who decides an approval, as one comparable form. The four-eyes rule
 * compares identities, never spellings: an address is parsed strictly (a bare address,
 * nothing invisible in it) and then folded, so `Approver+x@Example.com` and
 * `approver@example.com` are the same person.
 */

/** RFC 5321: at most 254 characters in a path, 64 in a local part. */
export const EMAIL_MAX_LENGTH = 254;
const LOCAL_PART_MAX_LENGTH = 64;
const DOMAIN_LABEL_MAX_LENGTH = 63;

// RFC 5322 dot-atom text, ASCII only once NFKC-normalized: anything else (quoted local
// parts, comments, look-alike letters of other scripts) is refused rather than interpreted.
const LOCAL_PART_PATTERN = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/;
// Control (Cc), format (Cf: zero-width, bidi and BOM characters), unassigned and private-use code points.
const INVISIBLE_PATTERN = /[\p{Cc}\p{Cf}\p{Cn}\p{Co}\p{Cs}]/u;
const WHITESPACE_PATTERN = /[\s\p{Z}]/u;
const INVISIBLE_CHARACTERS = new RegExp(INVISIBLE_PATTERN.source, 'gu');
const WHITESPACE_CHARACTERS = new RegExp(WHITESPACE_PATTERN.source, 'gu');

/**
 * The requester of a target-side review of a single transfer is the account that offered
 * the certificate, not a person: it can never be an approver.
 */
const OFFERING_ACCOUNT_PATTERN = /^account [0-9]{12}$/;

/**
 * On the source side the start API sets the requester from the caller's AWS identity: its
 * e-mail address where the ARN names one, otherwise the ARN itself (an IAM user or role
 * session not named after an address, the account root). An ARN has no @ in its account or
 * service part, so it never compares equal to an approver's address.
 */
const REQUESTER_ARN_PATTERN = /^arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:(root|user\/[\w+=,.@/-]+|assumed-role\/[\w+=,.@-]+\/[\w+=,.@-]+)$/;
const REQUESTER_ARN_MAX_LENGTH = 2048;

/**
 * A bare e-mail address (`local@domain`), NFKC-normalized. Refused, with the rule in a
 * ValidationError naming `field`: display-name forms (`Name <a@b>`), whitespace, control,
 * invisible and bidi characters, quoted local parts, non-ASCII letters.
 */
export function parseEmailAddress(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new ValidationError(field, 'is required and must be an e-mail address');
  if (INVISIBLE_PATTERN.test(value)) {
    throw new ValidationError(
      field,
      'must not contain control, invisible or bidirectional formatting characters (such as U+200B, U+200E, U+FEFF)',
    );
  }
  if (/[<>()"]/.test(value))
    throw new ValidationError(field, 'must be a bare e-mail address (local@domain), not a display-name form such as Name <local@domain>');
  if (WHITESPACE_PATTERN.test(value)) throw new ValidationError(field, 'must be a bare e-mail address, without whitespace');
  const address = value.normalize('NFKC');
  if (INVISIBLE_PATTERN.test(address) || WHITESPACE_PATTERN.test(address)) {
    throw new ValidationError(field, 'must not contain characters that normalize to invisible characters or whitespace');
  }
  if (address.length > EMAIL_MAX_LENGTH)
    throw new ValidationError(field, `must be at most ${EMAIL_MAX_LENGTH} characters long (got ${address.length})`);
  const at = address.lastIndexOf('@');
  if (at < 0 || address.indexOf('@') !== at) throw new ValidationError(field, 'must be an e-mail address with exactly one @');
  const localPart = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (localPart.length === 0 || localPart.length > LOCAL_PART_MAX_LENGTH || !LOCAL_PART_PATTERN.test(localPart)) {
    throw new ValidationError(
      field,
      `must have a local part of 1-${LOCAL_PART_MAX_LENGTH} ASCII letters, digits and !#$%&'*+/=?^_\`{|}~- separated by single dots`,
    );
  }
  if (localPart.startsWith('+')) throw new ValidationError(field, 'must have a local part that does not start with +');
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((label) => label.length <= DOMAIN_LABEL_MAX_LENGTH && DOMAIN_LABEL_PATTERN.test(label))) {
    throw new ValidationError(field, 'must have a domain of at least two dot-separated labels of ASCII letters, digits and inner hyphens');
  }
  return address;
}

/**
 * The comparison form of an address: NFKC, lowercase, the `+tag` subaddress dropped.
 * Two addresses with the same comparison form are one person for the four-eyes rule.
 * What the parser refuses is also folded away here (a display name, invisible characters,
 * whitespace), so a value stored before it was parsed strictly still compares as the
 * person it names.
 */
export function identityKey(identity: string): string {
  const bracketed = /<([^<>]*)>[^<>]*$/.exec(identity)?.[1];
  const folded = (bracketed ?? identity)
    .normalize('NFKC')
    .replace(INVISIBLE_CHARACTERS, '')
    .replace(WHITESPACE_CHARACTERS, '')
    .toLowerCase();
  const at = folded.lastIndexOf('@');
  if (at < 0) return folded;
  const localPart = folded.slice(0, at);
  const plus = localPart.indexOf('+');
  return `${plus <= 0 ? localPart : localPart.slice(0, plus)}${folded.slice(at)}`;
}

/** Whether two identities are the same person (same comparison form). */
export function sameIdentity(a: string, b: string): boolean {
  return identityKey(a) === identityKey(b);
}

/** Whether `identity` is one of `listed`, compared as identities. */
export function isListedIdentity(listed: readonly string[], identity: string): boolean {
  return listed.some((candidate) => sameIdentity(candidate, identity));
}

/**
 * Who asked for an approval: a person's e-mail address, or the source caller's ARN when it
 * names no address (the target sees it in the proposal), or on the target side the account
 * that offered the certificate (`account 123456789012`); no approver can be either of the
 * last two.
 */
export function parseRequester(value: unknown, side: 'SOURCE' | 'TARGET', field = 'requestedBy'): string {
  if (side === 'TARGET' && typeof value === 'string' && OFFERING_ACCOUNT_PATTERN.test(value)) return value;
  if (typeof value === 'string' && value.length <= REQUESTER_ARN_MAX_LENGTH && REQUESTER_ARN_PATTERN.test(value)) {
    return value;
  }
  return parseEmailAddress(value, field);
}

/**
 * A list of approvers' addresses, each parsed strictly; two spellings of one person
 * (same comparison form) are refused, so that no one is notified or counted twice.
 */
export function parseApproverList(values: readonly unknown[], field = 'approvers'): string[] {
  const seen = new Map<string, string>();
  return values.map((value, index) => {
    const address = parseEmailAddress(value, `${field}[${index}]`);
    const key = identityKey(address);
    const earlier = seen.get(key);
    if (earlier !== undefined) throw new ValidationError(`${field}[${index}]`, `must not name the same person as ${earlier}`);
    seen.set(key, address);
    return address;
  });
}
