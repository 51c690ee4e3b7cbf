import { approverInboxLink } from './approver-inbox';
import { parseCertificateFacts, parseLandingPlan } from '../cross-account/transfer-messages';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import {
  ValidationError,
  parseAwsAccountId,
  parseCertificateId,
  parseCertificateStatus,
  parseOptionalMessage,
} from '../iot-api/field-rules';
import { parseMigrationId } from '../migration/migration-requests';
import { approvalNotification } from './approval-notification';
import { ApprovalLinkSigner } from './approval-link-signer';
import {
  MIGRATION_SAMPLE_MAX,
  REMINDER_DUE,
  approvalRequestId,
  type ApprovalRequest,
  type ApprovalSide,
  type MigrationSummary,
  type TransferPreparation,
} from './approval-request';
import type { ApprovalStore } from './approval-store';
import { parseApproverList, parseRequester, sameIdentity } from './approver-identity';
import { PRINCIPAL_ARN_PATTERN } from '../start-requests/caller-identity';

export interface RequestApprovalDeps {
  store: ApprovalStore;
  sns: SNSClient;
  signer: ApprovalLinkSigner;
  topicArn: string;
  /** Everyone who may decide this side's requests; each is notified separately. */
  approvers: string[];
  /** The approval page; links are this URL with signed query parameters. */
  approvalPageUrl: string;
  /** How long before the deadline the reminder goes out. */
  reminderLeadSeconds: number;
  now?: () => Date;
}

/**
 * What the workflow's approval task sends (its Payload), task token included: the request's own fields and its deadline.
 * It is about either one certificate (`certificateId`) or a whole migration (`migration`).
 */
export type ApprovalTaskInput = Pick<
  ApprovalRequest,
  | 'taskToken'
  | 'executionId'
  | 'side'
  | 'certificateId'
  | 'migration'
  | 'certificate'
  | 'landing'
  | 'sourceAwsAccount'
  | 'targetAwsAccount'
  | 'transferMessage'
  | 'requestedBy'
  | 'requestedByArn'
  | 'reason'
  | 'preparation'
> & { deadlineSeconds: number };

export interface RequestApprovalResult {
  requestId: string;
  notified: string[];
}

const NO_PREPARATION: TransferPreparation = { deactivate: false, detachPolicies: [], attachedThings: [] };

/**
 * Records an approval request for a waiting workflow task and notifies every approver
 * but the requester, each with a link of their own. Safe to retry: the request is found
 * again by execution and side, and once every approver was notified a retry notifies no one.
 */
export async function requestApproval(deps: RequestApprovalDeps, input: ApprovalTaskInput): Promise<RequestApprovalResult> {
  const now = deps.now?.() ?? new Date();
  // Four eyes: the requester, under any spelling of their address, is neither notified nor listed.
  const approvers = parseApproverList(deps.approvers).filter((approver) => !sameIdentity(approver, input.requestedBy));
  if (approvers.length === 0) {
    throw new ValidationError('approvers', 'must name at least one approver other than the requester');
  }
  const expiresAt = Math.floor(now.getTime() / 1000) + input.deadlineSeconds;
  const remindAtSeconds = expiresAt - deps.reminderLeadSeconds;
  const fresh: ApprovalRequest = {
    requestId: approvalRequestId(input.executionId, input.side),
    side: input.side,
    executionId: input.executionId,
    taskToken: input.taskToken,
    certificateId: input.certificateId,
    migration: input.migration,
    certificate: input.certificate,
    landing: input.landing,
    sourceAwsAccount: input.sourceAwsAccount,
    targetAwsAccount: input.targetAwsAccount,
    transferMessage: input.transferMessage,
    requestedBy: input.requestedBy,
    ...(input.requestedByArn === undefined ? {} : { requestedByArn: input.requestedByArn }),
    reason: input.reason,
    // A migration's preparation is counted in its summary: no single certificate's preparation applies.
    preparation: input.side === 'SOURCE' && !input.migration ? input.preparation : NO_PREPARATION,
    approvers,
    status: 'PENDING',
    createdAt: now.toISOString(),
    expiresAt,
    ...(remindAtSeconds * 1000 > now.getTime()
      ? { remindAt: new Date(remindAtSeconds * 1000).toISOString(), reminderDue: REMINDER_DUE }
      : {}),
  };
  const stored = await deps.store.create(fresh);
  let request = stored.request;
  if (!stored.created && request.taskToken !== input.taskToken && request.status === 'PENDING') {
    request = await deps.store.replaceTaskToken(request.requestId, input.taskToken);
  }
  if (request.notifiedAt || request.status !== 'PENDING') return { requestId: request.requestId, notified: [] };

  const alreadyNotified = new Set(request.notifiedApprovers ?? []);
  const notified: string[] = [];
  for (const approver of request.approvers) {
    if (alreadyNotified.has(approver)) continue;
    await notifyApprover(deps, request, approver, 'REQUEST');
    await deps.store.markApproverNotified(request.requestId, approver);
    notified.push(approver);
  }
  await deps.store.markNotified(request.requestId, now.toISOString());
  return { requestId: request.requestId, notified };
}

/** Sends the reminders that are due and takes them off the reminder index. */
export async function sendDueReminders(deps: RequestApprovalDeps): Promise<{ reminded: string[] }> {
  const now = deps.now?.() ?? new Date();
  const reminded: string[] = [];
  for (const request of await deps.store.dueReminders(now)) {
    if (request.status === 'PENDING' && now.getTime() / 1000 < request.expiresAt) {
      for (const approver of request.approvers) await notifyApprover(deps, request, approver, 'REMINDER');
      reminded.push(request.requestId);
    }
    await deps.store.clearReminder(request.requestId);
  }
  return { reminded };
}

async function notifyApprover(
  deps: RequestApprovalDeps,
  request: ApprovalRequest,
  approver: string,
  kind: 'REQUEST' | 'REMINDER',
): Promise<void> {
  const params = deps.signer.sign({
    requestId: request.requestId,
    approver,
    expiresAt: request.expiresAt,
    nonce: ApprovalLinkSigner.newNonce(),
  });
  const notification = approvalNotification(request, `${deps.approvalPageUrl}?${params.toString()}`, kind, {
    now: deps.now?.(),
    inboxLink: approverInboxLink(deps.signer, deps.approvalPageUrl, approver, request.expiresAt),
  });
  await deps.sns.send(
    new PublishCommand({
      TopicArn: deps.topicArn,
      Subject: notification.subject,
      Message: notification.message,
      // Each approver's e-mail subscription filters on its own address.
      MessageAttributes: { approver: { DataType: 'String', StringValue: approver } },
    }),
  );
}

const TASK_TOKEN_MAX_LENGTH = 2048;
const ACTOR_MAX_LENGTH = 256;

export function parseApprovalTaskInput(event: unknown): ApprovalTaskInput {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) throw new ValidationError('event', 'must be a JSON object');
  const fields = event as Record<string, unknown>;
  const text = (field: string, max: number): string => {
    const value = fields[field];
    if (typeof value !== 'string' || value.trim().length === 0)
      throw new ValidationError(field, 'is required and must be a non-empty string');
    if (value.length > max) throw new ValidationError(field, `must be at most ${max} characters long (got ${value.length})`);
    return value;
  };
  const side = fields.side;
  if (side !== 'SOURCE' && side !== 'TARGET') throw new ValidationError('side', 'must be SOURCE or TARGET');
  const deadlineSeconds = fields.deadlineSeconds;
  if (typeof deadlineSeconds !== 'number' || !Number.isInteger(deadlineSeconds) || deadlineSeconds < 60) {
    throw new ValidationError('deadlineSeconds', 'must be a whole number of seconds, at least 60');
  }
  const reason = fields.reason === undefined || fields.reason === null ? undefined : text('reason', ACTOR_MAX_LENGTH);
  return {
    taskToken: text('taskToken', TASK_TOKEN_MAX_LENGTH),
    executionId: text('executionId', 2048),
    side,
    ...parseSubject(fields.certificateId, fields.migration),
    sourceAwsAccount: parseAwsAccountId(fields.sourceAwsAccount, 'sourceAwsAccount'),
    targetAwsAccount: parseAwsAccountId(fields.targetAwsAccount, 'targetAwsAccount'),
    transferMessage: parseOptionalMessage(fields.transferMessage, 'transferMessage'),
    requestedBy: parseRequester(fields.requestedBy, side),
    ...parseRequesterArn(fields.requestedByArn, side),
    reason,
    preparation: parsePreparation(fields.preparation),
    ...(fields.certificate === undefined || fields.certificate === null ? {} : { certificate: parseCertificateFacts(fields.certificate) }),
    ...(fields.landing === undefined || fields.landing === null ? {} : { landing: parseLandingPlan(fields.landing) }),
    deadlineSeconds,
  };
}

/** Source side: the start API's caller; absent (or null) for a request started otherwise, and never on the target side. */
function parseRequesterArn(value: unknown, side: ApprovalSide): Pick<ApprovalTaskInput, 'requestedByArn'> {
  if (value === undefined || value === null) return {};
  if (side !== 'SOURCE') throw new ValidationError('requestedByArn', 'is given only on the source side');
  if (typeof value !== 'string' || value.length > 2048 || !PRINCIPAL_ARN_PATTERN.test(value)) {
    throw new ValidationError('requestedByArn', 'must be an IAM user, role session or root ARN');
  }
  return { requestedByArn: value };
}

/** One certificate or a whole migration, never both; null counts as absent. */
function parseSubject(certificateId: unknown, migration: unknown): Pick<ApprovalTaskInput, 'certificateId' | 'migration'> {
  const hasCertificate = certificateId !== undefined && certificateId !== null;
  const hasMigration = migration !== undefined && migration !== null;
  if (hasCertificate && hasMigration) throw new ValidationError('certificateId', 'give either certificateId or migration, not both');
  if (hasMigration) return { migration: parseMigrationSummary(migration) };
  if (!hasCertificate) throw new ValidationError('certificateId', 'is required unless migration is given');
  return { certificateId: parseCertificateId(certificateId) };
}

function parseMigrationSummary(value: unknown): MigrationSummary {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ValidationError('migration', 'must be an object');
  const fields = value as Record<string, unknown>;
  const count = (field: keyof MigrationSummary): number => {
    const number = fields[field];
    if (!isCount(number)) throw new ValidationError(`migration.${field}`, 'must be a whole number, at least 0');
    return number;
  };
  const migrationId = parseMigrationId(fields.migrationId, 'migration.migrationId');
  return {
    migrationId,
    certificateCount: count('certificateCount'),
    statusCounts: parseStatusCounts(fields.statusCounts),
    withPolicies: count('withPolicies'),
    withThings: fields.withThings === null || fields.withThings === undefined ? null : count('withThings'),
    toDeactivate: count('toDeactivate'),
    alreadyDone: count('alreadyDone'),
    notTransferable: count('notTransferable'),
    sampleCertificateIds: parseSampleCertificateIds(fields.sampleCertificateIds),
    ...parseCertificateListKey(fields.certificateListKey, migrationId),
  };
}

/** Longest S3 object key. */
const S3_KEY_MAX = 1024;

/** Optional; the page reads it from the migration bucket, so it must name a file of this migration and nothing outside it. */
function parseCertificateListKey(value: unknown, migrationId: string): Pick<MigrationSummary, 'certificateListKey'> {
  if (value === undefined || value === null) return {};
  const field = 'migration.certificateListKey';
  const prefix = `migrations/${migrationId}/`;
  if (typeof value !== 'string' || !value.startsWith(prefix) || value.length <= prefix.length || value.length > S3_KEY_MAX) {
    throw new ValidationError(field, `must be an S3 key under ${prefix}, at most ${S3_KEY_MAX} characters`);
  }
  if (value.includes('..') || /[\u0000-\u001f\u007f\\]/.test(value)) {
    throw new ValidationError(field, 'must not contain "..", backslashes or control characters');
  }
  return { certificateListKey: value };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function parseStatusCounts(value: unknown): Record<string, number> {
  const field = 'migration.statusCounts';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError(field, 'must be an object of certificate status to count');
  }
  const counts: Record<string, number> = {};
  for (const [status, count] of Object.entries(value)) {
    try {
      parseCertificateStatus(status, field);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      throw new ValidationError(field, `keys ${error.rule} (got ${JSON.stringify(status.slice(0, 40))})`);
    }
    if (!isCount(count)) throw new ValidationError(field, `${status} must be a whole number, at least 0`);
    counts[status] = count;
  }
  return counts;
}

function parseSampleCertificateIds(value: unknown): string[] {
  const field = 'migration.sampleCertificateIds';
  if (!Array.isArray(value)) throw new ValidationError(field, `must be a list of at most ${MIGRATION_SAMPLE_MAX} certificate ids`);
  if (value.length > MIGRATION_SAMPLE_MAX) {
    throw new ValidationError(field, `must be a list of at most ${MIGRATION_SAMPLE_MAX} certificate ids (got ${value.length})`);
  }
  return value.map((id: unknown, index) => {
    try {
      return parseCertificateId(id, field);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      throw new ValidationError(field, `item ${index + 1} ${error.rule}`);
    }
  });
}

function parsePreparation(value: unknown): TransferPreparation {
  if (value === undefined || value === null) return NO_PREPARATION;
  if (typeof value !== 'object' || Array.isArray(value)) throw new ValidationError('preparation', 'must be an object');
  const fields = value as Record<string, unknown>;
  const names = (field: string): string[] => {
    const list = fields[field] ?? [];
    if (!Array.isArray(list) || !list.every((item) => typeof item === 'string')) {
      throw new ValidationError(`preparation.${field}`, 'must be a list of names');
    }
    return list as string[];
  };
  return { deactivate: fields.deactivate === true, detachPolicies: names('detachPolicies'), attachedThings: names('attachedThings') };
}
