import { parseSourceRunName, targetRunNameOf } from '../cross-account/migration-messages';
import { PROPOSAL_DECISIONS, bool, list, object, oneOf, optionalText, text } from '../cross-account/transfer-messages';
import { ValidationError, parseAwsAccountId, parseCertificateId } from '../iot-api/field-rules';
import type { LandBatchRequest } from './land-migration-batch';
import { parseMigrationId } from './migration-requests';
import type { InboundMigrationPlanRequest } from './plan-inbound-migration';
import type { AnswerMigrationProposalRequest, AwaitBatchOfferRequest } from './target-migration-steps';

/** Execution ARNs are at most 2048 characters; task tokens at most 1024 (the Step Functions API). */
const EXECUTION_ID_MAX = 2048;
const TASK_TOKEN_MAX = 1024;
/** A batch's certificates (MIGRATION_BATCH_SIZE_MAX) with room for an older, larger batch size. */
const BATCH_CERTIFICATES_MAX = 1000;
const MAX_BATCH = 999_999;

function batchNumber(value: unknown, field = 'batch'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_BATCH)
    throw new ValidationError(field, `must be a whole number from 0 to ${MAX_BATCH}`);
  return value;
}

/** The source run the target run answers: `<migrationId>-out-<13 digits>`, with its migration id in front. */
function sourceRun(fields: Record<string, unknown>): { migrationId: string; sourceRunName: string } {
  const sourceRunName = text(fields.sourceRunName, 'sourceRunName', 80);
  const migrationId = /^(.+)-out-[0-9]{13}$/.exec(sourceRunName)?.[1];
  if (!migrationId) throw new ValidationError('sourceRunName', 'must be <migrationId>-out-<13 digits> (a source run)');
  return { migrationId: parseMigrationId(migrationId, 'sourceRunName'), sourceRunName };
}

/** The migration, the source run and this (the target) run, which the receiver named after the source's. */
function runs(fields: Record<string, unknown>): { migrationId: string; sourceRunName: string; runName: string } {
  const migrationId = parseMigrationId(fields.migrationId);
  const sourceRunName = parseSourceRunName(fields.sourceRunName, migrationId, 'sourceRunName');
  const runName = text(fields.runName, 'runName', 80);
  if (runName !== targetRunNameOf(sourceRunName))
    throw new ValidationError('runName', `must be ${targetRunNameOf(sourceRunName)} (the target run of ${sourceRunName})`);
  return { migrationId, sourceRunName, runName };
}

/** `{migrationId, sourceRunName, runName, executionId}`: the target run's first step. */
export function parsePlanInboundRequest(event: unknown): InboundMigrationPlanRequest {
  const fields = object(event, 'event');
  return { ...runs(fields), executionId: text(fields.executionId, 'executionId', EXECUTION_ID_MAX) };
}

/** `{sourceRunName, batch, taskToken}`: a map item's wait for its batch's offer. */
export function parseAwaitBatchOfferRequest(event: unknown): AwaitBatchOfferRequest {
  const fields = object(event, 'event');
  return {
    sourceRunName: sourceRun(fields).sourceRunName,
    batch: batchNumber(fields.batch),
    taskToken: text(fields.taskToken, 'taskToken', TASK_TOKEN_MAX),
  };
}

/** A map item's landing of its batch, after the wait (`offered` false when it timed out). */
export function parseLandBatchRequest(event: unknown, invocationId: string): LandBatchRequest {
  const fields = object(event, 'event');
  const certificateIds = list(fields.certificateIds, 'certificateIds', BATCH_CERTIFICATES_MAX, (id, at) =>
    parseCertificateId(id, at).toLowerCase(),
  );
  if (certificateIds.length === 0) throw new ValidationError('certificateIds', 'must name at least one certificate');
  return {
    invocationId,
    ...runs(fields),
    batch: batchNumber(fields.batch),
    certificateIds,
    offered: bool(fields.offered, 'offered'),
    executionId: text(fields.executionId, 'executionId', EXECUTION_ID_MAX),
    requestedBy: optionalText(fields.requestedBy, 'requestedBy', 2048) ?? undefined,
    approvedBy: optionalText(fields.approvedBy, 'approvedBy', 256) ?? undefined,
    sourceAwsAccount: parseAwsAccountId(fields.sourceAwsAccount, 'sourceAwsAccount'),
  };
}

/** `{sourceRunName, decision, decidedBy, rejectReason}`: the target approvers' answer, for the source. */
export function parseAnswerMigrationProposalRequest(event: unknown): AnswerMigrationProposalRequest {
  const fields = object(event, 'event');
  return {
    sourceRunName: sourceRun(fields).sourceRunName,
    decision: oneOf(fields.decision, 'decision', PROPOSAL_DECISIONS),
    decidedBy: optionalText(fields.decidedBy, 'decidedBy', 256),
    rejectReason: optionalText(fields.rejectReason, 'rejectReason', 256),
  };
}
