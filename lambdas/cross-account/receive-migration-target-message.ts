import type { SFNClient } from '@aws-sdk/client-sfn';
import { landingReportKey } from '../migration/migration-objects';
import type { MigrationObjects } from '../migration/migration-objects';
import type { MigrationProgress } from '../migration/migration-progress';
import type { MigrationExchangeStore } from './migration-exchange-store';
import { parseMigrationEvent, type MigrationMessage } from './migration-messages';
import type { ReceiveResult } from './receive-target-message';
import { InvalidTransferMessage } from './transfer-messages';
import { wakeWaitingStep } from './wake-waiting-step';

export interface MigrationSourceReceiverDeps {
  store: MigrationExchangeStore;
  sfn: SFNClient;
  objects: MigrationObjects;
  progress: MigrationProgress;
  peerAccount: string;
  ownAccount: string;
}

/**
 * The source account's receiver for the target's migration messages: the decision on a
 * proposed run, and each batch's landing report. Each is checked against this side's
 * record of the run (same accounts, a batch the run has), recorded once, and wakes the
 * step waiting for it. Reports are kept in this side's bucket for the run's last step.
 */
export async function receiveMigrationTargetMessage(deps: MigrationSourceReceiverDeps, event: unknown): Promise<ReceiveResult> {
  let message: MigrationMessage;
  try {
    message = parseMigrationEvent(event, { from: 'TARGET', peerAccount: deps.peerAccount, ownAccount: deps.ownAccount });
  } catch (error) {
    if (error instanceof InvalidTransferMessage) return { kind: 'ignored', reason: error.message };
    throw error;
  }
  const { runName } = message.detail;
  const ignored = (reason: string): ReceiveResult => ({ kind: 'ignored', reason, type: message.type, proposalId: runName });
  const run = await deps.store.getRun(runName);
  if (!run || run.side !== 'SOURCE') return ignored('no migration run with this runName on this side');
  if (run.targetAwsAccount !== message.detail.targetAwsAccount || run.migrationId !== message.detail.migrationId)
    return ignored('the message names another migration or account than the run it claims');

  if (message.type === 'MigrationDecided') {
    const recorded = await deps.store.recordDecision(runName, message.detail);
    const woke =
      recorded.record.awaiting === 'DECISION' && recorded.record.taskToken
        ? await wakeWaitingStep(deps.sfn, recorded.record.taskToken)
        : 'task-over';
    return { kind: recorded.duplicate ? 'duplicate' : 'recorded', type: message.type, proposalId: runName, woke };
  }
  if (message.type !== 'MigrationBatchLanded') return ignored(`${message.type} is not a target message`);
  const { batch, certificates } = message.detail;
  if (batch >= run.batchCount) return ignored(`batch ${batch} is not one of the run's ${run.batchCount} batches`);
  // Written before it is counted: once counted, the run's last step can read it.
  await deps.objects.writeJson(landingReportKey(run.migrationId, runName, batch), message.detail);
  const counted = await deps.store.recordLandedBatch(runName, batch, run.batchCount);
  if (!counted.duplicate) {
    await deps.progress
      .countBatch(runName, 'land', `landed-${batch}`, {
        done: certificates.filter((certificate) => certificate.outcome === 'LANDED').length,
        failed: certificates.filter((certificate) => certificate.outcome !== 'LANDED').length,
      })
      .catch(() => false);
  }
  let woke: 'woken' | 'task-over' = 'task-over';
  if (counted.landedBatches >= run.batchCount) {
    const current = await deps.store.getRun(runName);
    if (current?.awaiting === 'LANDINGS' && current.taskToken) woke = await wakeWaitingStep(deps.sfn, current.taskToken);
  }
  return { kind: counted.duplicate ? 'duplicate' : 'recorded', type: message.type, proposalId: runName, woke };
}
