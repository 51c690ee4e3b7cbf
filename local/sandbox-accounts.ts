/** The two accounts the sandbox plays, and the credentials that make a caller one of them. */
export interface SandboxAccounts {
  source: string;
  target: string;
}

export const DEFAULT_ACCOUNTS: SandboxAccounts = { source: '111111111111', target: '222222222222' };
export const SANDBOX_SECRET_ACCESS_KEY = 'certflow-local-secret';

/**
 * The local IoT endpoint takes the caller's account from the first run of 12 digits
 * in its access key id, so `AKIA111111111111LOCL` is account 111111111111 (20
 * characters, like a real access key id).
 */
export function accessKeyIdFor(accountId: string): string {
  return `AKIA${accountId}LOCL`;
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
