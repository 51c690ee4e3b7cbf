import type { SFNClient } from '@aws-sdk/client-sfn';
import type { MigrationMessage } from './migration-messages';
import {
  ProposalStateConflict,
  type AwaitedMessage,
  type ProposalState,
  type ProposalStore,
  type RecordedMessageType,
} from './proposal-store';
import { InvalidTransferMessage, parseTransferEvent, type TransferMessage } from './transfer-messages';
import { wakeWaitingStep } from './wake-waiting-step';

export interface ReceiverDeps {
  store: ProposalStore;
  sfn: SFNClient;
  /** The one account this side accepts messages from. */
  peerAccount: string;
  ownAccount: string;
}

/** Whether the message woke a waiting step: `not-waiting` when it arrived before the step waits (the step finds it then). */
export type WokeStep = 'woken' | 'task-over' | 'not-waiting';

/**
 * What a receiver did with one event. Only a failure to reach DynamoDB or Step Functions
 * throws (EventBridge then delivers the event again); a message that cannot be accepted is
 * dropped with its reason, since delivering it again would not change the answer.
 */
export type ReceiveResult =
  | { kind: 'recorded'; type: TransferMessage['type'] | MigrationMessage['type']; proposalId: string; woke: WokeStep }
  | { kind: 'duplicate'; type: TransferMessage['type'] | MigrationMessage['type']; proposalId: string; woke: WokeStep }
  | { kind: 'started'; proposalId: string; executionName: string }
  | { kind: 'ignored'; reason: string; type?: string; proposalId?: string };

/** What each target message answers on the source side, and the state it leads to. */
const SOURCE_SIDE_EFFECT: Record<
  'ProposalDecided' | 'CertificateLanded' | 'LandingFailed',
  { awaited: AwaitedMessage; state: ProposalState }
> = {
  ProposalDecided: { awaited: 'DECISION', state: 'DECIDED' },
  CertificateLanded: { awaited: 'LANDING', state: 'LANDED' },
  LandingFailed: { awaited: 'LANDING', state: 'LANDING_FAILED' },
};

/**
 * Records a message on the record of the transfer it names and wakes the waiting step.
 * The record must be this side's, about the same certificate and accounts.
 */
export async function recordPeerMessage(
  deps: ReceiverDeps,
  message: TransferMessage & { type: RecordedMessageType },
  effect: { awaited: AwaitedMessage; state: ProposalState },
): Promise<ReceiveResult> {
  const { proposalId } = message.detail;
  const existing = await deps.store.get(proposalId);
  if (!existing) return { kind: 'ignored', reason: 'no transfer with this proposalId on this side', type: message.type, proposalId };
  if (
    existing.certificateId !== message.detail.certificateId ||
    existing.sourceAwsAccount !== message.detail.sourceAwsAccount ||
    existing.targetAwsAccount !== message.detail.targetAwsAccount
  ) {
    return {
      kind: 'ignored',
      reason: 'the message names another certificate or account than the transfer it claims',
      type: message.type,
      proposalId,
    };
  }
  let recorded;
  try {
    recorded = await deps.store.recordMessage(proposalId, message.type, effect.awaited, effect.state, message.detail);
  } catch (error) {
    if (error instanceof ProposalStateConflict) {
      return {
        kind: 'ignored',
        reason: `the transfer is ${error.current?.state ?? 'missing'} and awaits ${error.current?.awaiting ?? 'nothing'}`,
        type: message.type,
        proposalId,
      };
    }
    throw error;
  }
  const token = recorded.record.taskToken;
  const woke = token ? await wakeWaitingStep(deps.sfn, token) : 'task-over';
  return { kind: recorded.duplicate ? 'duplicate' : 'recorded', type: message.type, proposalId, woke };
}

/** The source account's receiver: the target's decision, and how the landing went. */
export async function receiveTargetMessage(deps: ReceiverDeps, event: unknown): Promise<ReceiveResult> {
  let message;
  try {
    message = parseTransferEvent(event, { from: 'TARGET', peerAccount: deps.peerAccount, ownAccount: deps.ownAccount });
  } catch (error) {
    if (error instanceof InvalidTransferMessage) return { kind: 'ignored', reason: error.message };
    throw error;
  }
  if (message.type !== 'ProposalDecided' && message.type !== 'CertificateLanded' && message.type !== 'LandingFailed') {
    return { kind: 'ignored', reason: `${message.type} is not a target message`, type: message.type };
  }
  return recordPeerMessage(deps, message, SOURCE_SIDE_EFFECT[message.type]);
}
