import type { SFNClient } from '@aws-sdk/client-sfn';
import { MigrationRunNotFound, type MigrationExchangeStore, type MigrationRunRecord } from '../cross-account/migration-exchange-store';
import type { MigrationDecided } from '../cross-account/migration-messages';
import { sendTransferMessage, type MessageSenderDeps } from '../cross-account/send-transfer-message';
import type { ProposalDecision } from '../cross-account/transfer-messages';
import { wakeWaitingStep } from '../cross-account/wake-waiting-step';
import { UnverifiedMessage } from '../outbound-workflow/propose-to-target';

async function targetRun(store: MigrationExchangeStore, sourceRunName: string): Promise<MigrationRunRecord> {
  const record = await store.getRun(sourceRunName);
  if (!record) throw new MigrationRunNotFound(sourceRunName);
  if (record.side !== 'TARGET')
    throw new UnverifiedMessage(`migration run ${sourceRunName} is not a run this account takes part in as the target`);
  return record;
}

export interface AwaitBatchOfferRequest {
  sourceRunName: string;
  batch: number;
  /** The `.waitForTaskToken` token of the map item waiting for batch `batch`. */
  taskToken: string;
}

/**
 * A map item starts waiting for its batch's offer: its token is kept on the batch's record,
 * and when the offer is there already (the source was quicker than the map) the item wakes
 * itself. Whichever of the two writes comes second wakes the item, so it wakes once.
 */
export async function awaitBatchOffer(
  deps: { store: MigrationExchangeStore; sfn: SFNClient },
  request: AwaitBatchOfferRequest,
): Promise<{ waiting: true }> {
  const run = await targetRun(deps.store, request.sourceRunName);
  if (request.batch >= run.batchCount)
    throw new UnverifiedMessage(`migration run ${request.sourceRunName} has ${run.batchCount} batches, not a batch ${request.batch}`);
  const record = await deps.store.awaitBatchOffer(request.sourceRunName, request.batch, request.taskToken);
  if (record.offer) await wakeWaitingStep(deps.sfn, request.taskToken);
  return { waiting: true };
}

export interface AnswerMigrationProposalRequest {
  sourceRunName: string;
  decision: ProposalDecision;
  /** The target approver, or null when nobody decided (expired, cancelled, landing not possible). */
  decidedBy: string | null;
  rejectReason: string | null;
}

/** Tells the source what the target decided about the run; the source's wait for the decision reads it from its own record. */
export async function answerMigrationProposal(
  deps: { store: MigrationExchangeStore; sender: MessageSenderDeps; now?: () => Date },
  request: AnswerMigrationProposalRequest,
): Promise<{ sent: true }> {
  const run = await targetRun(deps.store, request.sourceRunName);
  const detail: MigrationDecided = {
    migrationId: run.migrationId,
    runName: run.runName,
    sourceAwsAccount: run.sourceAwsAccount,
    targetAwsAccount: run.targetAwsAccount,
    sentAt: (deps.now?.() ?? new Date()).toISOString(),
    decision: request.decision,
    decidedBy: request.decidedBy,
    rejectReason: request.decision === 'APPROVED' ? null : request.rejectReason,
  };
  await sendTransferMessage(deps.sender, { from: 'TARGET', type: 'MigrationDecided', detail });
  return { sent: true };
}
