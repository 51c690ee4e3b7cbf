import { createHash } from 'node:crypto';

/** The two accounts the sandbox plays, and the credentials that make a caller one of them. */
export interface SandboxAccounts {
  source: string;
  target: string;
}

export const DEFAULT_ACCOUNTS: SandboxAccounts = { source: '111111111111', target: '222222222222' };
export const SANDBOX_SECRET_ACCESS_KEY = 'certflow-local-secret';

/**
 * The sandbox's access keys. Every emulator takes the caller's account from the first run
 * of 12 digits in the access key id, so `AKIA111111111111LOCL` is account 111111111111 (20
 * characters, like a real access key id); every key shares SANDBOX_SECRET_ACCESS_KEY.
 *
 * Where a caller's identity matters (the start API, which API Gateway authorizes with IAM),
 * a key can also name a principal of the account, and stays a key of that account for every
 * other emulator:
 *
 * - `AKIA<account>LOCL` (20 characters): the account's root, `arn:aws:iam::<account>:root`.
 * - `AKIA<account>LOCL<base32>`: the IAM user `arn:aws:iam::<account>:user/<name>`.
 * - `ASIA<account>LOCL<base32>`: the role session `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
 *
 * `<base32>` is RFC 4648 base32 (A-Z, 2-7, no padding) of `user/<name>` or
 * `assumed-role/<role>/<session>`, so the key id stays within IAM's access key id rules
 * ([\w]+, at most 128 characters); make one with `principalCredentialsFor`.
 */
export function accessKeyIdFor(accountId: string): string {
  return `AKIA${accountId}LOCL`;
}

/** IAM's longest access key id. */
const ACCESS_KEY_ID_MAX_LENGTH = 128;
const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const PRINCIPAL_KEY = /^(AKIA|ASIA)([0-9]{12})LOCL([A-Z2-7]*)$/;
const PRINCIPAL_ARN = /^arn:aws:(iam|sts)::([0-9]{12}):(root|user\/[\w+=,.@/-]+|assumed-role\/[\w+=,.@-]+\/[\w+=,.@-]+)$/;

function base32(text: string): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

function fromBase32(text: string): string {
  let bits = 0;
  let value = 0;
  const bytes: number[] = [];
  for (const char of text) {
    value = ((value << 5) | BASE32_ALPHABET.indexOf(char)) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Who a sandbox access key is, as API Gateway's IAM authorization reports a caller. */
export interface SandboxPrincipal {
  accountId: string;
  /** `requestContext.identity.userArn` */
  arn: string;
  /**
   * `requestContext.identity.caller`: the principal id. AWS's ids are opaque (`AIDA…` for a
   * user, `AROA…:<session>` for a role session, the account id for its root); the sandbox
   * derives stable ones from the ARN.
   */
  principalId: string;
}

/** A principal ARN the sandbox can make keys for, or a message saying why not. */
export class UnsupportedSandboxPrincipal extends Error {
  override readonly name = 'UnsupportedSandboxPrincipal';
}

/** Credentials whose caller is `arn` (see accessKeyIdFor for the scheme). */
export function principalCredentialsFor(arn: string): { accessKeyId: string; secretAccessKey: string } {
  const match = PRINCIPAL_ARN.exec(arn);
  if (!match) {
    throw new UnsupportedSandboxPrincipal(
      `${arn}: the sandbox makes keys for arn:aws:iam::<account>:root, arn:aws:iam::<account>:user/<name> and arn:aws:sts::<account>:assumed-role/<role>/<session>`,
    );
  }
  const [, service = '', accountId = '', resource = ''] = match;
  if (resource === 'root') return credentialsFor(accountId);
  const accessKeyId = `${service === 'sts' ? 'ASIA' : 'AKIA'}${accountId}LOCL${base32(resource)}`;
  if (accessKeyId.length > ACCESS_KEY_ID_MAX_LENGTH) {
    throw new UnsupportedSandboxPrincipal(`${arn}: too long for a sandbox access key id (at most ${ACCESS_KEY_ID_MAX_LENGTH} characters)`);
  }
  return { accessKeyId, secretAccessKey: SANDBOX_SECRET_ACCESS_KEY };
}

/** The principal a sandbox access key id names; undefined for a key the sandbox never made. */
export function principalOfAccessKey(accessKeyId: string): SandboxPrincipal | undefined {
  const match = PRINCIPAL_KEY.exec(accessKeyId);
  if (!match) return undefined;
  const [, prefix, accountId = '', encoded = ''] = match;
  if (encoded === '') return prefix === 'AKIA' ? { accountId, arn: `arn:aws:iam::${accountId}:root`, principalId: accountId } : undefined;
  const resource = fromBase32(encoded);
  const arn = `arn:aws:${prefix === 'ASIA' ? 'sts' : 'iam'}::${accountId}:${resource}`;
  if (!PRINCIPAL_ARN.test(arn) || (prefix === 'ASIA') !== resource.startsWith('assumed-role/')) return undefined;
  const uniqueId = createHash('sha256').update(arn).digest('hex').slice(0, 17).toUpperCase();
  const principalId = prefix === 'ASIA' ? `AROA${uniqueId}:${resource.split('/').pop() ?? ''}` : `AIDA${uniqueId}`;
  return { accountId, arn, principalId };
}

export function credentialsFor(accountId: string): { accessKeyId: string; secretAccessKey: string } {
  return { accessKeyId: accessKeyIdFor(accountId), secretAccessKey: SANDBOX_SECRET_ACCESS_KEY };
}

/**
 * The CDK context the sandbox synthesizes with: the two accounts it deploys into, so each
 * side's stack names its peer (bus policy, forwarding rule, trusted source) as it would in AWS.
 */
export function sandboxSynthContext(
  accounts: SandboxAccounts = DEFAULT_ACCOUNTS,
  context: Record<string, string> = {},
): Record<string, string> {
  return { 'certflow:sourceAccount': accounts.source, 'certflow:targetAccount': accounts.target, ...context };
}
