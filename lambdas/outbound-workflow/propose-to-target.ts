import type { CertificateFacts, LandingPlan } from '../cutover/certificate-facts';
import { proposalIdOf, type ProposalRecord, type ProposalStore } from '../cross-account/proposal-store';
import { sendTransferMessage, type MessageSenderDeps } from '../cross-account/send-transfer-message';
import type { ProposalDecision } from '../cross-account/transfer-messages';
import type { OutboundTransferRequest } from './step-requests';

/**
 * A waiting step was woken, but its record does not show the message it waits for: the
 * callback did not come from this side's receiver (a token read from the execution history
 * can be replayed by anyone allowed SendTaskSuccess). Terminal: the workflow stops, nothing changes.
 */
export class UnverifiedMessage extends Error {
  override readonly name = 'UnverifiedMessage';
}

export interface ExchangeDeps {
  store: ProposalStore;
  sender: MessageSenderDeps;
  /** This (the source) account. */
  accountId: string;
  now?: () => Date;
}

export interface ProposeToTargetInput {
  taskToken: string;
  executionId: string;
  request: OutboundTransferRequest;
  certificate: CertificateFacts;
  /** The source approver (verified against the approval record by the step before). */
  sourceApprovedBy: string;
}

/**
 * Sends the target the transfer proposal and leaves the step waiting for its decision.
 * Nothing about the certificate changes until the target has approved.
 */
export async function proposeToTarget(deps: ExchangeDeps, input: ProposeToTargetInput): Promise<{ proposalId: string }> {
  const proposalId = proposalIdOf(input.executionId);
  const { request } = input;
  await deps.store.create({
    proposalId,
    side: 'SOURCE',
    certificateId: request.certificateId,
    sourceAwsAccount: deps.accountId,
    targetAwsAccount: request.targetAwsAccount,
    executionId: input.executionId,
    state: 'PROPOSED',
  });
  await deps.store.awaitMessage(proposalId, 'DECISION', input.taskToken, ['PROPOSED']);
  await sendTransferMessage(deps.sender, {
    from: 'SOURCE',
    type: 'TransferProposed',
    detail: {
      proposalId,
      certificateId: request.certificateId,
      sourceAwsAccount: deps.accountId,
      targetAwsAccount: request.targetAwsAccount,
      sentAt: (deps.now?.() ?? new Date()).toISOString(),
      certificate: input.certificate,
      requestedBy: request.requestedBy,
      reason: request.reason,
      transferMessage: request.transferMessage,
      sourceApprovedBy: input.sourceApprovedBy,
    },
  });
  return { proposalId };
}

export interface TargetDecision {
  proposalId: string;
  decision: ProposalDecision;
  decidedBy: string | null;
  rejectReason: string | null;
  setAsActive: boolean;
  landing: LandingPlan | null;
  decidedAt: string;
}

async function recordOf(store: ProposalStore, executionId: string): Promise<ProposalRecord> {
  const proposalId = proposalIdOf(executionId);
  const record = await store.get(proposalId);
  if (!record || record.side !== 'SOURCE' || record.executionId !== executionId) {
    throw new UnverifiedMessage(`no transfer proposal ${proposalId} of this execution on this side`);
  }
  return record;
}

/** The target's decision, as this side's receiver recorded it. */
export async function readTargetDecision(deps: Pick<ExchangeDeps, 'store'>, input: { executionId: string }): Promise<TargetDecision> {
  const record = await recordOf(deps.store, input.executionId);
  const decision = record.decision;
  if (!decision || record.state === 'PROPOSED') {
    throw new UnverifiedMessage(
      `transfer proposal ${record.proposalId} has no decision from the target recorded: the step was woken by something else`,
    );
  }
  return {
    proposalId: record.proposalId,
    decision: decision.decision,
    decidedBy: decision.decidedBy,
    rejectReason: decision.rejectReason,
    setAsActive: decision.setAsActive,
    landing: decision.landing,
    decidedAt: decision.sentAt,
  };
}
