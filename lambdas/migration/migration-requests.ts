import { MIGRATION_MESSAGE_PREFIX, MIGRATION_USER_MESSAGE_MAX } from './migration-transfer-message';
import { ValidationError, parseAwsAccountId, parseCertificateId, parseOptionalBoolean, parseOptionalMessage } from '../iot-api/field-rules';
import type { FinishOutboundRequest } from './finish-outbound-migration';
import type { CutoverBatch } from './cutover-batch';
import type { CertificateToMove, MigrationRunRequest, OutboundMigrationRequest } from './plan-outbound-migration';
import type { ProposeMigrationRequest } from './source-migration-steps';

type Fields = Record<string, unknown>;

function asObject(value: unknown, field: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ValidationError(field, 'must be a JSON object');
  return value as Fields;
}

function text(fields: Fields, field: string, max: number, path = field): string {
  const value = fields[field];
  if (typeof value !== 'string' || value.trim().length === 0) throw new ValidationError(path, 'is required and must be a non-empty string');
  if (value.length > max) throw new ValidationError(path, `must be at most ${max} characters long (got ${value.length})`);
  return value;
}

function optionalText(fields: Fields, field: string, max: number, path = field): string | undefined {
  return fields[field] === undefined || fields[field] === null ? undefined : text(fields, field, max, path);
}

function wholeNumber(fields: Fields, field: string, path = field): number {
  const value = fields[field];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    throw new ValidationError(path, 'must be a whole number, at least 0');
  return value;
}

/** At most this long, so that `<id>-out-<13-digit time>` stays within an execution name's 80 characters. */
export const MIGRATION_ID_MAX_LENGTH = 48;

/** A migration id names its files and executions: letters, digits, '-' and '_'. */
export function parseMigrationId(value: unknown, field = 'migrationId'): string {
  if (typeof value !== 'string' || !new RegExp(`^[A-Za-z0-9_-]{1,${MIGRATION_ID_MAX_LENGTH}}$`).test(value)) {
    throw new ValidationError(field, `must be 1 to ${MIGRATION_ID_MAX_LENGTH} letters, digits, hyphens or underscores`);
  }
  return value;
}

function runRequest(fields: Fields, prefix = ''): MigrationRunRequest {
  const runName = text(fields, 'runName', 80, `${prefix}runName`);
  if (!/^[A-Za-z0-9_-]+$/.test(runName))
    throw new ValidationError(`${prefix}runName`, 'must be letters, digits, hyphens or underscores (an execution name)');
  return { migrationId: parseMigrationId(fields.migrationId, `${prefix}migrationId`), runName };
}

function attempt(fields: Fields): { executionId?: string; requestedBy?: string; approvedBy?: string } {
  return {
    executionId: text(fields, 'executionId', 2048, 'BatchInput.executionId'),
    requestedBy: optionalText(fields, 'requestedBy', 2048, 'BatchInput.requestedBy'),
    approvedBy: optionalText(fields, 'approvedBy', 256, 'BatchInput.approvedBy'),
  };
}

/** A Distributed Map batch: `{Items: [...], BatchInput: {...}}`, each item checked by `parseItem`. */
function batch<Item>(event: unknown, parseItem: (fields: Fields, path: string) => Item): { items: Item[]; batchInput: Fields } {
  const fields = asObject(event, 'event');
  if (!Array.isArray(fields.Items) || fields.Items.length === 0)
    throw new ValidationError('Items', 'must be a non-empty list (a Distributed Map batch)');
  const items = fields.Items.map((item, index) => parseItem(asObject(item, `Items[${index}]`), `Items[${index}]`));
  return { items, batchInput: asObject(fields.BatchInput, 'BatchInput') };
}

function certificateToMove(fields: Fields, path: string): CertificateToMove {
  const policies = fields.policies;
  if (!Array.isArray(policies) || !policies.every((name) => typeof name === 'string'))
    throw new ValidationError(`${path}.policies`, 'must be a list of policy names');
  return {
    certificateId: parseCertificateId(fields.certificateId, `${path}.certificateId`),
    certificateArn: text(fields, 'certificateArn', 2048, `${path}.certificateArn`),
    status: text(fields, 'status', 32, `${path}.status`),
    policies: policies as string[],
    position: wholeNumber(fields, 'position', `${path}.position`),
  };
}

/** A run's first step gets the execution's input as `migration`, with the execution's name and id beside it. */
function runStart(event: unknown): { input: Fields; run: MigrationRunRequest & { executionId: string } } {
  const fields = asObject(event, 'event');
  const input = asObject(fields.migration, 'migration');
  return {
    input,
    run: { ...runRequest({ migrationId: input.migrationId, runName: fields.runName }), executionId: text(fields, 'executionId', 2048) },
  };
}

function migrationUserMessage(value: unknown): string | null {
  const message = parseOptionalMessage(value, 'transferMessage') ?? null;
  if (message && message.length > MIGRATION_USER_MESSAGE_MAX) {
    throw new ValidationError(
      'transferMessage',
      `must be at most ${MIGRATION_USER_MESSAGE_MAX} characters long for a migration (got ${message.length}): each offer's message starts with ${MIGRATION_MESSAGE_PREFIX}`,
    );
  }
  return message;
}

export function parseOutboundMigrationRequest(event: unknown): OutboundMigrationRequest {
  const { input, run } = runStart(event);
  return {
    ...run,
    targetAwsAccount: parseAwsAccountId(input.targetAwsAccount, 'targetAwsAccount'),
    transferMessage: migrationUserMessage(input.transferMessage),
    requestedBy: text(input, 'requestedBy', 2048),
    requestedByArn: optionalText(input, 'requestedByArn', 2048) ?? null,
    reason: optionalText(input, 'reason', 256) ?? null,
  };
}

export function parseCutoverBatch(event: unknown, invocationId: string): CutoverBatch {
  const { items, batchInput } = batch(event, certificateToMove);
  const fields = asObject(event, 'event');
  const failure = fields.failure === undefined || fields.failure === null ? undefined : asObject(fields.failure, 'failure');
  return {
    invocationId,
    items,
    context: {
      ...attempt(batchInput),
      migrationId: parseMigrationId(batchInput.migrationId, 'BatchInput.migrationId'),
      runName: text(batchInput, 'runName', 80, 'BatchInput.runName'),
      targetAwsAccount: parseAwsAccountId(batchInput.targetAwsAccount, 'BatchInput.targetAwsAccount'),
      transferMessage: parseOptionalMessage(batchInput.transferMessage, 'BatchInput.transferMessage'),
      consentToPrepare: parseOptionalBoolean(batchInput.consentToPrepare, 'BatchInput.consentToPrepare') ?? false,
      batchSize: wholeNumber(batchInput, 'batchSize', 'BatchInput.batchSize'),
    },
    ...(failure
      ? {
          failure: {
            error: text(failure, 'Error', 256, 'failure.Error'),
            cause: optionalText(failure, 'Cause', 32_768, 'failure.Cause') ?? '',
          },
        }
      : {}),
  };
}

function policyCounts(value: unknown, field: string): Record<string, number> {
  const fields = asObject(value, field);
  for (const [name, count] of Object.entries(fields)) {
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0)
      throw new ValidationError(`${field}.${name}`, 'must be a whole number, at least 0');
  }
  return fields as Record<string, number>;
}

export function parseProposeMigration(event: unknown): ProposeMigrationRequest {
  const fields = asObject(event, 'event');
  const plan = asObject(fields.plan, 'plan');
  return {
    ...runRequest(fields),
    executionId: text(fields, 'executionId', 2048),
    targetAwsAccount: parseAwsAccountId(fields.targetAwsAccount, 'targetAwsAccount'),
    requestedBy: text(fields, 'requestedBy', 2048),
    reason: optionalText(fields, 'reason', 256) ?? null,
    transferMessage: parseOptionalMessage(fields.transferMessage, 'transferMessage') ?? null,
    sourceApprovedBy: text(fields, 'sourceApprovedBy', 256),
    itemsKey: text(plan, 'itemsKey', 1024, 'plan.itemsKey'),
    batchSize: wholeNumber(plan, 'batchSize', 'plan.batchSize'),
    batchCount: wholeNumber(plan, 'batchCount', 'plan.batchCount'),
    activeCount: wholeNumber(plan, 'activeCount', 'plan.activeCount'),
    policies: policyCounts(plan.policies, 'plan.policies'),
    taskToken: text(fields, 'taskToken', 8192),
  };
}

export function parseRunNameRequest(event: unknown): { runName: string } {
  const fields = asObject(event, 'event');
  const runName = text(fields, 'runName', 80);
  if (!/^[A-Za-z0-9_-]+$/.test(runName))
    throw new ValidationError('runName', 'must be letters, digits, hyphens or underscores (an execution name)');
  return { runName };
}

export function parseAwaitLandings(event: unknown): { runName: string; batchCount: number; taskToken: string } {
  const fields = asObject(event, 'event');
  return {
    ...parseRunNameRequest(event),
    batchCount: wholeNumber(fields, 'batchCount'),
    taskToken: text(fields, 'taskToken', 8192),
  };
}

const UNPROCESSED_OUTCOMES = ['NOT_APPROVED', 'TARGET_REJECTED'] as const;

export function parseFinishOutboundRequest(event: unknown): FinishOutboundRequest {
  const fields = asObject(event, 'event');
  const unprocessed = fields.unprocessedOutcome;
  if (typeof unprocessed !== 'string' || !(UNPROCESSED_OUTCOMES as readonly string[]).includes(unprocessed))
    throw new ValidationError('unprocessedOutcome', `must be one of ${UNPROCESSED_OUTCOMES.join(', ')}`);
  const cutoverFailure =
    fields.cutoverFailure === undefined || fields.cutoverFailure === null ? undefined : asObject(fields.cutoverFailure, 'cutoverFailure');
  return {
    ...runRequest(fields),
    ...(cutoverFailure
      ? {
          cutoverFailure: {
            error: text(cutoverFailure, 'Error', 256, 'cutoverFailure.Error'),
            cause: optionalText(cutoverFailure, 'Cause', 32_768, 'cutoverFailure.Cause') ?? '',
          },
        }
      : {}),
    settledKey: text(fields, 'settledKey', 1024),
    itemsKey: text(fields, 'itemsKey', 1024),
    resultsManifestKey: optionalText(fields, 'resultsManifestKey', 1024) ?? null,
    batchCount: wholeNumber(fields, 'batchCount'),
    unprocessedOutcome: unprocessed as (typeof UNPROCESSED_OUTCOMES)[number],
  };
}
