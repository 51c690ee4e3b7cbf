import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { exchangeKeys, publishExchangeObject } from '../cross-account/exchange-objects';
import type { MigrationExchangeStore } from '../cross-account/migration-exchange-store';
import { sendTransferMessage, type MessageSenderDeps } from '../cross-account/send-transfer-message';
import { wakeWaitingStep } from '../cross-account/wake-waiting-step';
import type { MigrationObjects } from './migration-objects';
import type { CertificateToMove } from './plan-outbound-migration';

export interface ProposeMigrationRequest {
  migrationId: string;
  runName: string;
  executionId: string;
  targetAwsAccount: string;
  requestedBy: string;
  reason: string | null;
  transferMessage: string | null;
  sourceApprovedBy: string;
  itemsKey: string;
  batchSize: number;
  batchCount: number;
  activeCount: number;
  policies: Record<string, number>;
  taskToken: string;
}

export interface SourceMigrationDeps {
  store: MigrationExchangeStore;
  sfn: SFNClient;
  s3: S3Client;
  objects: MigrationObjects;
  /** This side's migration bucket: the certificate list is an exchange object in it. */
  bucket: string;
  sender: MessageSenderDeps;
  accountId: string;
  now?: () => Date;
}

/**
 * After the source approvers said yes: records the run, keeps the waiting step's token,
 * publishes the full certificate list for the target to read and proposes the migration.
 * A re-run (the step retried) whose decision already arrived wakes itself.
 */
export async function proposeMigration(deps: SourceMigrationDeps, request: ProposeMigrationRequest): Promise<{ proposed: true }> {
  const { runName } = request;
  await deps.store.createRun({
    side: 'SOURCE',
    migrationId: request.migrationId,
    runName,
    sourceAwsAccount: deps.accountId,
    targetAwsAccount: request.targetAwsAccount,
    executionId: request.executionId,
    batchCount: request.batchCount,
  });
  const record = await deps.store.awaitOnRun(runName, 'DECISION', request.taskToken);
  if (record.decision) {
    await wakeWaitingStep(deps.sfn, request.taskToken);
    return { proposed: true };
  }
  const items = (await deps.objects.readJson(request.itemsKey)) as CertificateToMove[];
  const certificateList = await publishExchangeObject(deps.s3, deps.bucket, exchangeKeys.certificateList(request.migrationId, runName), {
    migrationId: request.migrationId,
    certificateIds: items.map((item) => item.certificateId),
  });
  await sendTransferMessage(deps.sender, {
    from: 'SOURCE',
    type: 'MigrationProposed',
    detail: {
      migrationId: request.migrationId,
      runName,
      sourceAwsAccount: deps.accountId,
      targetAwsAccount: request.targetAwsAccount,
      sentAt: (deps.now?.() ?? new Date()).toISOString(),
      requestedBy: request.requestedBy,
      reason: request.reason,
      transferMessage: request.transferMessage,
      sourceApprovedBy: request.sourceApprovedBy,
      certificateCount: items.length,
      activeCount: request.activeCount,
      policies: request.policies,
      certificateList,
      batchSize: request.batchSize,
      batchCount: request.batchCount,
    },
  });
  return { proposed: true };
}

/** The step woken by the receiver reads the decision from this side's record, never from the callback. */
export class TargetDecisionMissing extends Error {
  override readonly name = 'TargetDecisionMissing';
}

export async function readTargetDecision(
  deps: Pick<SourceMigrationDeps, 'store'>,
  request: { runName: string },
): Promise<{ decision: string; decidedBy: string | null; rejectReason: string | null }> {
  const record = await deps.store.getRun(request.runName);
  if (!record?.decision) throw new TargetDecisionMissing(`migration run ${request.runName} has no decision from the target recorded`);
  return { decision: record.decision.decision, decidedBy: record.decision.decidedBy, rejectReason: record.decision.rejectReason };
}

/** After the last batch was offered: waits until every batch's landing report has arrived (woken at once if they all have). */
export async function awaitLandings(
  deps: Pick<SourceMigrationDeps, 'store' | 'sfn'>,
  request: { runName: string; batchCount: number; taskToken: string },
): Promise<{ landedBatches: number }> {
  await deps.store.awaitOnRun(request.runName, 'LANDINGS', request.taskToken);
  const landedBatches = await deps.store.landedBatches(request.runName, request.batchCount);
  if (landedBatches >= request.batchCount) await wakeWaitingStep(deps.sfn, request.taskToken);
  return { landedBatches };
}
