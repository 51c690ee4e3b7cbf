import { PACED_IOT_ACTIONS } from '../lambdas/migration/iot-request-pacing';
import { MIGRATION_BATCH_SIZE_MAX } from '../lambdas/cross-account/migration-messages';
import { Duration } from 'aws-cdk-lib';
import type { Node } from 'constructs';
import { HANDLER_ENVIRONMENT } from '../lambdas/handlers/handler-environment';
import { NO_LANDING, parseLandingConfig, type LandingConfig } from '../lambdas/landing/plan-landing';

/** How a certflow deployment behaves, read from CDK context (`cdk.json` or `cdk deploy -c key=value`). */
export interface CertflowConfig {
  /** E-mail addresses of the people who approve outgoing transfers (source side). */
  readonly sourceApprovers: string[];
  /** E-mail addresses of the people who approve incoming transfers (target side). */
  readonly targetApprovers: string[];
  /** Addresses told when an execution fails or times out. */
  readonly alarmEmails: string[];
  /** How long approvers have to decide; the request expires then. */
  readonly approvalDeadline: Duration;
  /** How long before the approval deadline the reminder goes out. */
  readonly reminderLead: Duration;
  /** How long the target has to decide before the source cancels the transfer. */
  readonly transferDeadline: Duration;
  /** The source's first and longest wait between checks of a pending transfer. */
  readonly minPoll: Duration;
  readonly maxPoll: Duration;
  /** How often the target side looks for certificates offered to it. */
  readonly inboundPollInterval: Duration;
  /** The account's per-Action IoT request quota (TransferCertificate, AcceptCertificateTransfer, ...) that migrations pace themselves to. */
  readonly iotRequestsPerSecond: number;
  /** Per-Action quotas over iotRequestsPerSecond, for Actions whose account quota differs (e.g. raised by a quota increase). */
  readonly iotRequestsPerSecondByAction: Record<string, number>;
  /** Certificates per Distributed Map batch (one Lambda invocation) in a migration. */
  readonly migrationBatchSize: number;
  /** Batches a migration runs at once; each paces itself to the quota divided by this. */
  readonly migrationMaxConcurrency: number;
  /** Share of batches that may fail (after their retries) before a migration run stops. */
  readonly migrationToleratedFailurePercent: number;
  /** The source account, when the app names it; the target side exchanges messages with it. @default the target's own account */
  readonly sourceAccount?: string;
  /** The target account, when the app names it; the source side exchanges messages with it. @default the source's own account */
  readonly targetAccount?: string;
  /** Accounts that run no certflow: the source offers to them after its own approval and follows the offer. @default none */
  readonly unmanagedTargetAccounts: string[];
  /** Accounts whose offers made without a proposal (by hand) the target's poller sends to review. @default the source account, when named */
  readonly trustedSourceAccounts: string[];
  /** How accepted certificates land in the target account. @default no policies, things recreated */
  readonly landing: LandingConfig;
  /** How long the target waits for the offer after approving, and the source for the landing report after offering. @default 60 minutes */
  readonly cutoverTimeout: Duration;
}

export const CONTEXT_KEYS = {
  sourceApprovers: 'certflow:sourceApprovers',
  targetApprovers: 'certflow:targetApprovers',
  alarmEmails: 'certflow:alarmEmails',
  approvalDeadlineMinutes: 'certflow:approvalDeadlineMinutes',
  reminderLeadMinutes: 'certflow:reminderLeadMinutes',
  transferDeadlineMinutes: 'certflow:transferDeadlineMinutes',
  minPollSeconds: 'certflow:minPollSeconds',
  maxPollSeconds: 'certflow:maxPollSeconds',
  inboundPollMinutes: 'certflow:inboundPollMinutes',
  iotRequestsPerSecond: 'certflow:iotRequestsPerSecond',
  iotRequestsPerSecondByAction: 'certflow:iotRequestsPerSecondByAction',
  migrationBatchSize: 'certflow:migrationBatchSize',
  migrationMaxConcurrency: 'certflow:migrationMaxConcurrency',
  migrationToleratedFailurePercent: 'certflow:migrationToleratedFailurePercent',
  sourceAccount: 'certflow:sourceAccount',
  targetAccount: 'certflow:targetAccount',
  unmanagedTargetAccounts: 'certflow:unmanagedTargetAccounts',
  trustedSourceAccounts: 'certflow:trustedSourceAccounts',
  landingPolicies: 'certflow:landingPolicies',
  landingPolicyMap: 'certflow:landingPolicyMap',
  landingRecreateThings: 'certflow:landingRecreateThings',
  cutoverTimeoutMinutes: 'certflow:cutoverTimeoutMinutes',
} as const;

export class CertflowConfigError extends Error {
  override readonly name = 'CertflowConfigError';

  constructor(key: string, rule: string) {
    super(`context ${key}: ${rule}`);
  }
}

const EMAIL = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;

function emails(node: Node, key: string, required: boolean): string[] {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined && !required) return [];
  const list =
    typeof value === 'string'
      ? value
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean)
      : value;
  if (!Array.isArray(list) || list.some((item) => typeof item !== 'string' || !EMAIL.test(item))) {
    throw new CertflowConfigError(key, 'must be a list of e-mail addresses (a JSON array, or comma-separated with -c)');
  }
  if (required && list.length === 0) throw new CertflowConfigError(key, 'must name at least one approver');
  return list as string[];
}

function account(node: Node, key: string): string | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[0-9]{12}$/.test(value))
    throw new CertflowConfigError(key, 'must be an AWS account id of exactly 12 digits');
  return value;
}

function accounts(node: Node, key: string): string[] | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined) return undefined;
  const list =
    typeof value === 'string'
      ? value
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean)
      : value;
  if (!Array.isArray(list) || list.some((item) => typeof item !== 'string' || !/^[0-9]{12}$/.test(item))) {
    throw new CertflowConfigError(key, 'must be a list of 12-digit AWS account ids (a JSON array, or comma-separated with -c)');
  }
  return list as string[];
}

/** `-c` gives strings; cdk.json gives JSON values: accept both. */
function json(node: Node, key: string): unknown {
  const value: unknown = node.tryGetContext(key);
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch (error) {
    throw new CertflowConfigError(key, `must be JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

function landing(node: Node): LandingConfig {
  const policies = node.tryGetContext(CONTEXT_KEYS.landingPolicies) as unknown;
  const value = {
    policies:
      typeof policies === 'string'
        ? policies
            .split(',')
            .map((item) => item.trim())
            .filter(Boolean)
        : (policies ?? NO_LANDING.policies),
    policyNameMap: json(node, CONTEXT_KEYS.landingPolicyMap) ?? {},
    recreateThings: json(node, CONTEXT_KEYS.landingRecreateThings) ?? true,
  };
  try {
    return parseLandingConfig(value);
  } catch (error) {
    const field = error instanceof Error && 'field' in error ? String((error as { field: unknown }).field) : '';
    const key = field.includes('policyNameMap')
      ? CONTEXT_KEYS.landingPolicyMap
      : field.includes('recreateThings')
        ? CONTEXT_KEYS.landingRecreateThings
        : CONTEXT_KEYS.landingPolicies;
    throw new CertflowConfigError(key, error instanceof Error ? error.message : String(error));
  }
}

function whole(node: Node, key: string, fallback: number, min: number, max: number): number {
  const raw: unknown = node.tryGetContext(key);
  const value = raw === undefined ? fallback : typeof raw === 'string' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new CertflowConfigError(key, `must be a whole number from ${min} to ${max}`);
  }
  return value;
}

function quotasByAction(node: Node): Record<string, number> {
  const key = CONTEXT_KEYS.iotRequestsPerSecondByAction;
  const value = json(node, key) ?? {};
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new CertflowConfigError(key, 'must be a JSON object of IoT Action name to requests per second');
  const known: readonly string[] = PACED_IOT_ACTIONS;
  for (const [action, rate] of Object.entries(value)) {
    if (!known.includes(action))
      throw new CertflowConfigError(key, `names ${action}, which is not an Action certflow calls (${known.join(', ')})`);
    if (typeof rate !== 'number' || !Number.isInteger(rate) || rate < 1 || rate > 10_000)
      throw new CertflowConfigError(key, `${action} must be a whole number from 1 to 10000`);
  }
  return value as Record<string, number>;
}

/** A migration batch's pacing budget: a third of Lambda's 15-minute limit, leaving room for retries and backoff. */
const MAX_BATCH_SECONDS = 300;

/** Reads and checks the configuration; every rule names its context key. */
export function readCertflowConfig(node: Node): CertflowConfig {
  const approvalMinutes = whole(node, CONTEXT_KEYS.approvalDeadlineMinutes, 24 * 60, 5, 365 * 24 * 60);
  const reminderMinutes = whole(node, CONTEXT_KEYS.reminderLeadMinutes, 60, 1, 365 * 24 * 60);
  if (reminderMinutes >= approvalMinutes) {
    throw new CertflowConfigError(
      CONTEXT_KEYS.reminderLeadMinutes,
      `must be less than ${CONTEXT_KEYS.approvalDeadlineMinutes} (${approvalMinutes})`,
    );
  }
  const iotRequestsPerSecond = whole(node, CONTEXT_KEYS.iotRequestsPerSecond, 10, 1, 10_000);
  const migrationBatchSize = whole(node, CONTEXT_KEYS.migrationBatchSize, 10, 1, MIGRATION_BATCH_SIZE_MAX);
  const migrationMaxConcurrency = whole(node, CONTEXT_KEYS.migrationMaxConcurrency, 5, 1, 1000);
  // A batch paces its certificates to quota / concurrency a second and must end well within Lambda's 15 minutes.
  const batchSeconds = migrationBatchSize / (iotRequestsPerSecond / migrationMaxConcurrency);
  if (batchSeconds > MAX_BATCH_SECONDS) {
    throw new CertflowConfigError(
      CONTEXT_KEYS.migrationBatchSize,
      `must let a batch finish within ${MAX_BATCH_SECONDS} s at ${CONTEXT_KEYS.iotRequestsPerSecond} / ${CONTEXT_KEYS.migrationMaxConcurrency} requests a second (at most ${Math.floor((MAX_BATCH_SECONDS * iotRequestsPerSecond) / migrationMaxConcurrency)}, got ${migrationBatchSize})`,
    );
  }
  const sourceAccount = account(node, CONTEXT_KEYS.sourceAccount);
  const minPoll = whole(node, CONTEXT_KEYS.minPollSeconds, 60, 1, 86400);
  const maxPoll = whole(node, CONTEXT_KEYS.maxPollSeconds, 3600, 1, 86400);
  if (maxPoll < minPoll)
    throw new CertflowConfigError(CONTEXT_KEYS.maxPollSeconds, `must be at least ${CONTEXT_KEYS.minPollSeconds} (${minPoll})`);
  return {
    sourceApprovers: emails(node, CONTEXT_KEYS.sourceApprovers, true),
    targetApprovers: emails(node, CONTEXT_KEYS.targetApprovers, true),
    alarmEmails: emails(node, CONTEXT_KEYS.alarmEmails, false),
    approvalDeadline: Duration.minutes(approvalMinutes),
    reminderLead: Duration.minutes(reminderMinutes),
    // A Standard execution lives at most a year.
    transferDeadline: Duration.minutes(whole(node, CONTEXT_KEYS.transferDeadlineMinutes, 7 * 24 * 60, 5, 300 * 24 * 60)),
    minPoll: Duration.seconds(minPoll),
    maxPoll: Duration.seconds(maxPoll),
    inboundPollInterval: Duration.minutes(whole(node, CONTEXT_KEYS.inboundPollMinutes, 5, 1, 1440)),
    // AWS IoT's default for the certificate-transfer Actions and DescribeCertificate.
    iotRequestsPerSecond,
    iotRequestsPerSecondByAction: quotasByAction(node),
    migrationBatchSize,
    migrationMaxConcurrency,
    migrationToleratedFailurePercent: whole(node, CONTEXT_KEYS.migrationToleratedFailurePercent, 10, 0, 100),
    sourceAccount,
    targetAccount: account(node, CONTEXT_KEYS.targetAccount),
    unmanagedTargetAccounts: accounts(node, CONTEXT_KEYS.unmanagedTargetAccounts) ?? [],
    trustedSourceAccounts: accounts(node, CONTEXT_KEYS.trustedSourceAccounts) ?? (sourceAccount ? [sourceAccount] : []),
    landing: landing(node),
    cutoverTimeout: Duration.minutes(whole(node, CONTEXT_KEYS.cutoverTimeoutMinutes, 60, 1, 7 * 24 * 60)),
  };
}

/**
 * The pacing a function with a paced IoT client is told: the account's quota for every
 * Action, and each per-Action override, divided among `sharers` (e.g. the batches that
 * run at once).
 */
export function iotPacingEnvironment(config: CertflowConfig, sharers: number): Record<string, string> {
  return {
    [HANDLER_ENVIRONMENT.iotRequestsPerSecond]: String(config.iotRequestsPerSecond / sharers),
    [HANDLER_ENVIRONMENT.iotRequestsPerSecondByAction]: JSON.stringify(
      Object.fromEntries(Object.entries(config.iotRequestsPerSecondByAction).map(([action, rate]) => [action, rate / sharers])),
    ),
  };
}
