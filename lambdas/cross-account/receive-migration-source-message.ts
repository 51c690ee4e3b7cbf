import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { migrationRecordKeys, type MigrationExchangeStore } from './migration-exchange-store';
import {
  MIGRATION_MESSAGE_TYPES,
  parseMigrationEvent,
  targetRunNameOf,
  type MigrationBatchOffered,
  type MigrationMessage,
  type MigrationProposed,
} from './migration-messages';
import { executionArnOf } from './receive-source-message';
import { ValidationError } from '../iot-api/field-rules';
import { InvalidTransferMessage } from './transfer-messages';
import { wakeWaitingStep } from './wake-waiting-step';

export interface MigrationSourceReceiverDeps {
  store: MigrationExchangeStore;
  sfn: SFNClient;
  /** The one account this side accepts messages from. */
  peerAccount: string;
  ownAccount: string;
  /** The target's migration workflow, one execution per source run. */
  migrationStateMachineArn: string;
}

/**
 * What the receiver did with one migration message, shaped as ReceiveResult (`proposalId`
 * is the run record's key): only a failure to reach DynamoDB or Step Functions throws.
 * `woke` is `not-waiting` when the batch's map item has not started waiting yet: it finds
 * the offer itself when it does.
 */
export type MigrationReceiveResult =
  | { kind: 'recorded'; type: MigrationMessage['type']; proposalId: string; woke: 'woken' | 'task-over' | 'not-waiting' }
  | { kind: 'duplicate'; type: MigrationMessage['type']; proposalId: string; woke: 'woken' | 'task-over' | 'not-waiting' }
  | { kind: 'started'; proposalId: string; executionName: string }
  | { kind: 'ignored'; reason: string; type?: string; proposalId?: string };

/** Whether an event is a migration message (by its detail-type), for the receivers' router. */
export function isMigrationMessage(event: unknown): boolean {
  if (typeof event !== 'object' || event === null) return false;
  const type = (event as Record<string, unknown>)['detail-type'];
  return typeof type === 'string' && MIGRATION_MESSAGE_TYPES.includes(type);
}

/**
 * The target account's receiver of the source's migration messages: a proposal is recorded
 * and starts the target run (which trusts its record, not its input); a batch's offer is
 * recorded on the batch's record and wakes the map item waiting for it.
 */
export async function receiveMigrationSourceMessage(deps: MigrationSourceReceiverDeps, event: unknown): Promise<MigrationReceiveResult> {
  let message: MigrationMessage;
  try {
    message = parseMigrationEvent(event, { from: 'SOURCE', peerAccount: deps.peerAccount, ownAccount: deps.ownAccount });
  } catch (error) {
    // A ValidationError: the event is not even an object (EventBridge never delivers one).
    if (error instanceof InvalidTransferMessage || error instanceof ValidationError) return { kind: 'ignored', reason: error.message };
    throw error;
  }
  switch (message.type) {
    case 'MigrationProposed':
      return startTargetRun(deps, message.detail);
    case 'MigrationBatchOffered':
      return recordBatchOffer(deps, message.detail);
    default:
      return { kind: 'ignored', reason: `${message.type} is not a source message`, type: message.type };
  }
}

async function startTargetRun(deps: MigrationSourceReceiverDeps, proposal: MigrationProposed): Promise<MigrationReceiveResult> {
  const proposalId = migrationRecordKeys.run(proposal.runName);
  const executionName = targetRunNameOf(proposal.runName);
  const executionId = executionArnOf(deps.migrationStateMachineArn, executionName);
  const { record, created } = await deps.store.createRun({
    side: 'TARGET',
    migrationId: proposal.migrationId,
    runName: proposal.runName,
    sourceAwsAccount: proposal.sourceAwsAccount,
    targetAwsAccount: proposal.targetAwsAccount,
    executionId,
    batchCount: proposal.batchCount,
    proposal,
  });
  if (
    !created &&
    (record.side !== 'TARGET' ||
      record.migrationId !== proposal.migrationId ||
      record.sourceAwsAccount !== proposal.sourceAwsAccount ||
      record.targetAwsAccount !== proposal.targetAwsAccount)
  ) {
    return { kind: 'ignored', reason: 'a different migration run already has this runName', type: 'MigrationProposed', proposalId };
  }
  // Started again even for a known run: a delivery that crashed between the record and the
  // start must still start it. Same name and input: Step Functions starts no second one.
  try {
    await deps.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: deps.migrationStateMachineArn,
        name: executionName,
        input: JSON.stringify({ migrationId: proposal.migrationId, sourceRunName: proposal.runName }),
      }),
    );
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ExecutionAlreadyExists')) throw error;
  }
  if (!created) return { kind: 'duplicate', type: 'MigrationProposed', proposalId, woke: 'task-over' };
  return { kind: 'started', proposalId, executionName };
}

async function recordBatchOffer(deps: MigrationSourceReceiverDeps, offer: MigrationBatchOffered): Promise<MigrationReceiveResult> {
  const type = 'MigrationBatchOffered';
  const proposalId = migrationRecordKeys.run(offer.runName);
  const run = await deps.store.getRun(offer.runName);
  if (!run || run.side !== 'TARGET')
    return { kind: 'ignored', reason: 'no migration run with this runName on this side', type, proposalId };
  if (
    run.migrationId !== offer.migrationId ||
    run.sourceAwsAccount !== offer.sourceAwsAccount ||
    run.targetAwsAccount !== offer.targetAwsAccount
  ) {
    return { kind: 'ignored', reason: 'the offer names another migration or account than the run it claims', type, proposalId };
  }
  if (offer.batch >= run.batchCount)
    return { kind: 'ignored', reason: `the run has ${run.batchCount} batches, not a batch ${offer.batch}`, type, proposalId };
  const { record, duplicate } = await deps.store.recordBatchOffer(offer.runName, offer);
  // A duplicate wakes too: the first delivery may have crashed between the record and the wake.
  const woke = record.taskToken ? await wakeWaitingStep(deps.sfn, record.taskToken) : 'not-waiting';
  return { kind: duplicate ? 'duplicate' : 'recorded', type, proposalId: migrationRecordKeys.batch(offer.runName, offer.batch), woke };
}
