import { MIGRATION_MESSAGE_PREFIX, MIGRATION_USER_MESSAGE_MAX } from './migration-transfer-message';
import { ValidationError, parseAwsAccountId, parseCertificateId, parseOptionalBoolean, parseOptionalMessage } from '../iot-api/field-rules';
import type { CertificateOutcomeName } from './certificate-outcome';
import type { FinishRunRequest } from './finish-migration-run';
import type { CertificateToTransfer } from './inspect-certificates';
import type { CertificateToInspect, MigrationPlan, MigrationRunRequest, OutboundMigrationRequest } from './plan-outbound-migration';
import type { AttemptContext } from '../transfer-actions/run-transfer-action';
import type { TransferBatchContext } from './transfer-certificates';

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
    requestedBy: optionalText(fields, 'requestedBy', 256, 'BatchInput.requestedBy'),
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

function certificateToInspect(fields: Fields, path: string): CertificateToInspect {
  return {
    certificateId: parseCertificateId(fields.certificateId, `${path}.certificateId`),
    certificateArn: text(fields, 'certificateArn', 2048, `${path}.certificateArn`),
    status: text(fields, 'status', 32, `${path}.status`),
  };
}

function certificateToTransfer(fields: Fields, path: string): CertificateToTransfer {
  const policies = fields.policies;
  if (!Array.isArray(policies) || !policies.every((name) => typeof name === 'string'))
    throw new ValidationError(`${path}.policies`, 'must be a list of policy names');
  return {
    ...certificateToInspect(fields, path),
    policies: policies as string[],
    thingCount: wholeNumber(fields, 'thingCount', `${path}.thingCount`),
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
    requestedBy: text(input, 'requestedBy', 256),
    reason: optionalText(input, 'reason', 256) ?? null,
  };
}

export function parseInspectBatch(event: unknown): { runName: string; items: CertificateToInspect[] } {
  const { items, batchInput } = batch(event, certificateToInspect);
  return { runName: text(batchInput, 'runName', 80, 'BatchInput.runName'), items };
}

export function parseSummarizeRequest(event: unknown): MigrationRunRequest & { plan: MigrationPlan; inspectionManifestKey: string | null } {
  const fields = asObject(event, 'event');
  const plan = asObject(fields.plan, 'plan');
  return {
    ...runRequest(fields),
    plan: {
      certificateCount: wholeNumber(plan, 'certificateCount', 'plan.certificateCount'),
      duplicateCount: wholeNumber(plan, 'duplicateCount', 'plan.duplicateCount'),
      itemsKey: text(plan, 'itemsKey', 1024, 'plan.itemsKey'),
      itemCount: wholeNumber(plan, 'itemCount', 'plan.itemCount'),
      settledKey: text(plan, 'settledKey', 1024, 'plan.settledKey'),
      settledCount: wholeNumber(plan, 'settledCount', 'plan.settledCount'),
      mapResultsPrefix: text(plan, 'mapResultsPrefix', 1024, 'plan.mapResultsPrefix'),
    },
    // Null when nothing was left to inspect and the map was skipped.
    inspectionManifestKey: optionalText(fields, 'inspectionManifestKey', 1024) ?? null,
  };
}

export function parseTransferBatch(
  event: unknown,
  invocationId: string,
): { context: TransferBatchContext; invocationId: string; items: CertificateToTransfer[] } {
  const { items, batchInput } = batch(event, certificateToTransfer);
  return {
    invocationId,
    items,
    context: {
      ...attempt(batchInput),
      runName: text(batchInput, 'runName', 80, 'BatchInput.runName'),
      targetAwsAccount: parseAwsAccountId(batchInput.targetAwsAccount, 'BatchInput.targetAwsAccount'),
      transferMessage: parseOptionalMessage(batchInput.transferMessage, 'BatchInput.transferMessage'),
      consentToPrepare: parseOptionalBoolean(batchInput.consentToPrepare, 'BatchInput.consentToPrepare') ?? false,
    },
  };
}

/**
 * The old inbound workflow's answer batch (one accept or reject per certificate). Its step
 * is gone (see land-migration-batch.ts); the parser stays until lib/'s inbound workflow drops it.
 */
export interface AnswerBatchContext extends Omit<AttemptContext, 'invocationId'> {
  runName: string;
  sourceAwsAccount: string;
  decision: 'APPROVED' | 'REJECTED';
  setAsActive: boolean;
  rejectReason?: string;
}

export function parseAnswerBatch(
  event: unknown,
  invocationId: string,
): { context: AnswerBatchContext; invocationId: string; items: Array<{ certificateId: string }> } {
  const { items, batchInput } = batch(event, (fields, path) => ({
    certificateId: parseCertificateId(fields.certificateId, `${path}.certificateId`),
  }));
  const decision = batchInput.decision;
  if (decision !== 'APPROVED' && decision !== 'REJECTED') throw new ValidationError('BatchInput.decision', 'must be APPROVED or REJECTED');
  return {
    invocationId,
    items,
    context: {
      ...attempt(batchInput),
      runName: text(batchInput, 'runName', 80, 'BatchInput.runName'),
      sourceAwsAccount: parseAwsAccountId(batchInput.sourceAwsAccount, 'BatchInput.sourceAwsAccount'),
      decision,
      setAsActive: parseOptionalBoolean(batchInput.setAsActive, 'BatchInput.setAsActive') ?? false,
      rejectReason: parseOptionalMessage(batchInput.rejectReason, 'BatchInput.rejectReason'),
    },
  };
}

const UNPROCESSED_OUTCOMES: readonly CertificateOutcomeName[] = ['NOT_APPROVED'];

export function parseFinishRunRequest(event: unknown): FinishRunRequest {
  const fields = asObject(event, 'event');
  const unprocessed = fields.unprocessedOutcome;
  if (typeof unprocessed !== 'string' || !UNPROCESSED_OUTCOMES.includes(unprocessed as CertificateOutcomeName)) {
    throw new ValidationError('unprocessedOutcome', `must be one of ${UNPROCESSED_OUTCOMES.join(', ')}`);
  }
  const reconcile = fields.reconcile;
  if (reconcile !== 'OFFERS' && reconcile !== 'ACCEPTANCES') throw new ValidationError('reconcile', 'must be OFFERS or ACCEPTANCES');
  return {
    ...runRequest(fields),
    settledKey: text(fields, 'settledKey', 1024),
    itemsKey: text(fields, 'itemsKey', 1024),
    resultsManifestKey: optionalText(fields, 'resultsManifestKey', 1024) ?? null,
    unprocessedOutcome: unprocessed as CertificateOutcomeName,
    reconcile,
    targetAwsAccount: reconcile === 'OFFERS' ? parseAwsAccountId(fields.targetAwsAccount, 'targetAwsAccount') : null,
    decision: parseOptionalDecision(fields.decision),
  };
}

function parseOptionalDecision(value: unknown): 'APPROVED' | 'REJECTED' | null {
  if (value === undefined || value === null) return null;
  if (value !== 'APPROVED' && value !== 'REJECTED') throw new ValidationError('decision', 'must be APPROVED or REJECTED');
  return value;
}
