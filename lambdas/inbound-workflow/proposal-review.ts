import type { IoTClient } from '@aws-sdk/client-iot';
import type { CertificateFacts, LandingPlan } from '../cutover/certificate-facts';
import type { ProposalRecord, ProposalStore } from '../cross-account/proposal-store';
import { sendTransferMessage, type MessageSenderDeps } from '../cross-account/send-transfer-message';
import type { CertificateLanded, ProposalDecision, TransferProposed } from '../cross-account/transfer-messages';
import { planLanding, type LandingConfig } from '../landing/plan-landing';
import { UnverifiedMessage } from '../outbound-workflow/propose-to-target';

export interface ReviewDeps {
  store: ProposalStore;
  sender: MessageSenderDeps;
  /** This (the target) account. */
  accountId: string;
  now?: () => Date;
}

/** What the review works on: read from this side's record, never from the execution input. */
export interface OpenedReview {
  proposalId: string;
  proposal: TransferProposed;
  certificate: CertificateFacts;
  landing: LandingPlan;
}

async function reviewRecord(
  store: ProposalStore,
  input: { executionId: string; proposalId: string },
): Promise<ProposalRecord & { proposal: TransferProposed }> {
  const record = await store.get(input.proposalId);
  // Anyone allowed to start the review chooses its input: only the execution the receiver
  // started for a proposal it recorded may review it.
  if (!record || record.side !== 'TARGET' || record.executionId !== input.executionId || !record.proposal) {
    throw new UnverifiedMessage(`no transfer proposal ${input.proposalId} was received for this review (execution ${input.executionId})`);
  }
  return record as ProposalRecord & { proposal: TransferProposed };
}

/** The review's first step: the proposal as received, and a landing plan checked against this account. */
export async function openProposalReview(
  deps: ReviewDeps & { iot: IoTClient; landingConfig: LandingConfig },
  input: { executionId: string; proposalId: string },
): Promise<OpenedReview> {
  const record = await reviewRecord(deps.store, input);
  const landing = await planLanding({ iot: deps.iot }, deps.landingConfig, record.proposal.certificate);
  return { proposalId: record.proposalId, proposal: record.proposal, certificate: record.proposal.certificate, landing };
}

export interface ProposalAnswer {
  executionId: string;
  proposalId: string;
  decision: ProposalDecision;
  decidedBy: string | null;
  rejectReason: string | null;
  setAsActive: boolean;
  landing: LandingPlan | null;
  /** Present for APPROVED: the step then waits for the offer (`.waitForTaskToken`). */
  taskToken?: string;
}

/** Tells the source what the target decided; an approval then waits for the offer. */
export async function answerProposal(deps: ReviewDeps, input: ProposalAnswer): Promise<{ proposalId: string; decision: ProposalDecision }> {
  const record = await reviewRecord(deps.store, input);
  const approved = input.decision === 'APPROVED';
  if (approved && (!input.taskToken || !input.landing))
    throw new UnverifiedMessage('an approval must wait for the offer and carry the landing plan');
  const detail = {
    proposalId: record.proposalId,
    certificateId: record.certificateId,
    sourceAwsAccount: record.sourceAwsAccount,
    targetAwsAccount: record.targetAwsAccount,
    sentAt: (deps.now?.() ?? new Date()).toISOString(),
    decision: input.decision,
    decidedBy: input.decidedBy,
    rejectReason: approved ? null : input.rejectReason,
    setAsActive: approved && input.setAsActive,
    landing: approved ? input.landing : null,
  };
  if (approved && input.taskToken) {
    await deps.store.awaitMessage(record.proposalId, 'OFFER', input.taskToken, ['REVIEWING', 'APPROVED'], {
      state: 'APPROVED',
      decision: record.decision ?? detail,
    });
  } else {
    await deps.store.transition(record.proposalId, ['REVIEWING', 'DECLINED'], 'DECLINED', { decision: record.decision ?? detail });
  }
  const stored = (await deps.store.get(record.proposalId))?.decision ?? detail;
  await sendTransferMessage(deps.sender, { from: 'TARGET', type: 'ProposalDecided', detail: stored });
  return { proposalId: record.proposalId, decision: input.decision };
}

export interface ReceivedOffer {
  outcome: 'OFFERED' | 'WITHDRAWN';
  deactivatedAt: string | null;
  withdrawnReason: string | null;
}

/** What the source sent after the approval, as this side's receiver recorded it. */
export async function readOffer(
  deps: Pick<ReviewDeps, 'store'>,
  input: { executionId: string; proposalId: string },
): Promise<ReceivedOffer> {
  const record = await reviewRecord(deps.store, input);
  // A step run again after the review moved on (a crash lost its progress) still reads the offer.
  if (record.offer && ['OFFERED', 'LANDED', 'LANDING_FAILED'].includes(record.state)) {
    return { outcome: 'OFFERED', deactivatedAt: record.offer.deactivatedAt, withdrawnReason: null };
  }
  if (record.state === 'WITHDRAWN' && record.withdrawn)
    return { outcome: 'WITHDRAWN', deactivatedAt: null, withdrawnReason: record.withdrawn.reason };
  throw new UnverifiedMessage(
    `transfer proposal ${record.proposalId} is ${record.state}: no offer from the source is recorded, the step was woken by something else`,
  );
}

export interface LandingOutcome {
  executionId: string;
  proposalId: string;
  acceptedAt: string;
  landedAt: string;
  setAsActive: boolean;
  landing: LandingPlan;
}

/** Reports the landing to the source; the review's record and output keep the same facts. */
export async function reportLanded(
  deps: ReviewDeps,
  input: LandingOutcome,
): Promise<CertificateLanded & { downtimeSeconds: number | null }> {
  const record = await reviewRecord(deps.store, input);
  const detail: CertificateLanded = record.landed ?? {
    proposalId: record.proposalId,
    certificateId: record.certificateId,
    sourceAwsAccount: record.sourceAwsAccount,
    targetAwsAccount: record.targetAwsAccount,
    sentAt: (deps.now?.() ?? new Date()).toISOString(),
    acceptedAt: input.acceptedAt,
    landedAt: input.landedAt,
    readyAt: input.setAsActive ? input.landedAt : null,
    landing: input.landing,
  };
  await deps.store.transition(record.proposalId, ['OFFERED', 'LANDED'], 'LANDED', { landed: detail });
  await sendTransferMessage(deps.sender, { from: 'TARGET', type: 'CertificateLanded', detail });
  const deactivatedAt = record.offer?.deactivatedAt ?? null;
  const downtimeSeconds =
    deactivatedAt && detail.readyAt ? Math.max(0, Date.parse(detail.readyAt) - Date.parse(deactivatedAt)) / 1000 : null;
  return { ...detail, downtimeSeconds };
}

/** Reports to the source that the certificate could not be accepted, or was accepted but not landed. */
export async function reportLandingFailed(
  deps: ReviewDeps,
  input: { executionId: string; proposalId: string; accepted: boolean; errorName: string; errorMessage: string },
): Promise<{ proposalId: string; accepted: boolean }> {
  const record = await reviewRecord(deps.store, input);
  const detail = record.landingFailed ?? {
    proposalId: record.proposalId,
    certificateId: record.certificateId,
    sourceAwsAccount: record.sourceAwsAccount,
    targetAwsAccount: record.targetAwsAccount,
    sentAt: (deps.now?.() ?? new Date()).toISOString(),
    accepted: input.accepted,
    errorName: input.errorName.slice(0, 256) || 'Unknown',
    errorMessage: input.errorMessage.slice(0, 2048) || 'no message',
  };
  await deps.store.transition(record.proposalId, ['OFFERED', 'APPROVED', 'LANDING_FAILED'], 'LANDING_FAILED', { landingFailed: detail });
  await sendTransferMessage(deps.sender, { from: 'TARGET', type: 'LandingFailed', detail });
  return { proposalId: record.proposalId, accepted: detail.accepted };
}
