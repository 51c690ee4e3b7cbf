import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { recordPeerMessage, type ReceiveResult, type ReceiverDeps } from './receive-target-message';
import { InvalidTransferMessage, parseTransferEvent, type TransferProposed } from './transfer-messages';

export interface SourceMessageReceiverDeps extends ReceiverDeps {
  /** The target's proposal review workflow. */
  reviewStateMachineArn: string;
}

/** One review per proposal: a duplicated proposal maps to the same execution name. */
export function reviewExecutionName(proposalId: string): string {
  return `proposal-${proposalId}`;
}

export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/**
 * The target account's receiver: a proposal starts a review (recorded first, so the
 * review trusts its record rather than its execution input, which anyone allowed to start
 * it could choose); an offer or a withdrawal wakes the review waiting for it.
 */
export async function receiveSourceMessage(deps: SourceMessageReceiverDeps, event: unknown): Promise<ReceiveResult> {
  let message;
  try {
    message = parseTransferEvent(event, { from: 'SOURCE', peerAccount: deps.peerAccount, ownAccount: deps.ownAccount });
  } catch (error) {
    if (error instanceof InvalidTransferMessage) return { kind: 'ignored', reason: error.message };
    throw error;
  }
  switch (message.type) {
    case 'TransferProposed':
      return startReview(deps, message.detail);
    case 'CertificateOffered':
      return recordPeerMessage(deps, message, { awaited: 'OFFER', state: 'OFFERED' });
    case 'ProposalWithdrawn':
      return recordPeerMessage(deps, message, { awaited: 'OFFER', state: 'WITHDRAWN' });
    default:
      return { kind: 'ignored', reason: `${message.type} is not a source message`, type: message.type };
  }
}

async function startReview(deps: SourceMessageReceiverDeps, proposal: TransferProposed): Promise<ReceiveResult> {
  const name = reviewExecutionName(proposal.proposalId);
  const executionId = executionArnOf(deps.reviewStateMachineArn, name);
  const { record, created } = await deps.store.create({
    proposalId: proposal.proposalId,
    side: 'TARGET',
    certificateId: proposal.certificateId,
    sourceAwsAccount: proposal.sourceAwsAccount,
    targetAwsAccount: proposal.targetAwsAccount,
    executionId,
    state: 'REVIEWING',
    proposal,
  });
  if (
    !created &&
    (record.side !== 'TARGET' || record.certificateId !== proposal.certificateId || record.sourceAwsAccount !== proposal.sourceAwsAccount)
  ) {
    return {
      kind: 'ignored',
      reason: 'a different transfer already has this proposalId',
      type: 'TransferProposed',
      proposalId: proposal.proposalId,
    };
  }
  // Started again even for a known proposal: a delivery that crashed between the record and
  // the start must still start the review. Same name and input: Step Functions starts no second one.
  try {
    await deps.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: deps.reviewStateMachineArn,
        name,
        input: JSON.stringify({ proposalId: proposal.proposalId }),
      }),
    );
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ExecutionAlreadyExists')) throw error;
  }
  if (!created) return { kind: 'duplicate', type: 'TransferProposed', proposalId: proposal.proposalId, woke: 'task-over' };
  return { kind: 'started', proposalId: proposal.proposalId, executionName: name };
}
