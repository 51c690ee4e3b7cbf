import type { LandingPlan } from '../cutover/certificate-facts';
import { proposalIdOf } from '../cross-account/proposal-store';
import { sendTransferMessage } from '../cross-account/send-transfer-message';
import { UnverifiedMessage, type ExchangeDeps } from './propose-to-target';

export interface OfferToTargetInput {
  taskToken: string;
  executionId: string;
  certificateId: string;
  targetAwsAccount: string;
  /** When preparation set the certificate INACTIVE; null when it was INACTIVE already. */
  deactivatedAt: string | null;
}

/**
 * Tells the target the certificate is offered (TransferCertificate succeeded) and leaves
 * the step waiting for the target's landing report.
 */
export async function offerToTarget(deps: ExchangeDeps, input: OfferToTargetInput): Promise<{ proposalId: string }> {
  const proposalId = proposalIdOf(input.executionId);
  const now = (deps.now?.() ?? new Date()).toISOString();
  const record = await deps.store.awaitMessage(proposalId, 'LANDING', input.taskToken, ['DECIDED', 'OFFERED'], { state: 'OFFERED' });
  if (record.decision?.decision !== 'APPROVED')
    throw new UnverifiedMessage(`transfer proposal ${proposalId} was not approved by the target`);
  const offer = {
    proposalId,
    certificateId: input.certificateId,
    sourceAwsAccount: deps.accountId,
    targetAwsAccount: input.targetAwsAccount,
    sentAt: now,
    deactivatedAt: input.deactivatedAt,
    transferredAt: record.offer?.transferredAt ?? now,
  };
  await deps.store.transition(proposalId, ['OFFERED'], 'OFFERED', { offer });
  await sendTransferMessage(deps.sender, { from: 'SOURCE', type: 'CertificateOffered', detail: offer });
  return { proposalId };
}

/** Tells a target that approved that no offer will come (the source failed or gave up after its approval). */
export async function withdrawProposal(
  deps: ExchangeDeps,
  input: { executionId: string; certificateId: string; targetAwsAccount: string; reason: string },
): Promise<{ proposalId: string }> {
  const proposalId = proposalIdOf(input.executionId);
  await sendTransferMessage(deps.sender, {
    from: 'SOURCE',
    type: 'ProposalWithdrawn',
    detail: {
      proposalId,
      certificateId: input.certificateId,
      sourceAwsAccount: deps.accountId,
      targetAwsAccount: input.targetAwsAccount,
      sentAt: (deps.now?.() ?? new Date()).toISOString(),
      reason: input.reason.slice(0, 256),
    },
  });
  return { proposalId };
}

/** How the certificate landed in the target, as this side's receiver recorded the target's report. */
export interface LandingReport {
  proposalId: string;
  outcome: 'LANDED' | 'LANDING_FAILED' | 'NOT_ACCEPTED';
  acceptedAt: string | null;
  landedAt: string | null;
  readyAt: string | null;
  landing: LandingPlan | null;
  /**
   * For a certificate that was ACTIVE: from its deactivation in this account to ACTIVE in
   * the target with its landing applied, in seconds (millisecond precision). Null otherwise.
   */
  downtimeSeconds: number | null;
  errorName: string | null;
  errorMessage: string | null;
}

export async function readLanding(deps: Pick<ExchangeDeps, 'store'>, input: { executionId: string }): Promise<LandingReport> {
  const proposalId = proposalIdOf(input.executionId);
  const record = await deps.store.get(proposalId);
  if (!record || record.side !== 'SOURCE' || record.executionId !== input.executionId)
    throw new UnverifiedMessage(`no transfer proposal ${proposalId} of this execution on this side`);
  const deactivatedAt = record.offer?.deactivatedAt ?? null;
  if (record.state === 'LANDED' && record.landed) {
    const { readyAt } = record.landed;
    return {
      proposalId,
      outcome: 'LANDED',
      acceptedAt: record.landed.acceptedAt,
      landedAt: record.landed.landedAt,
      readyAt,
      landing: record.landed.landing,
      downtimeSeconds: deactivatedAt && readyAt ? Math.max(0, Date.parse(readyAt) - Date.parse(deactivatedAt)) / 1000 : null,
      errorName: null,
      errorMessage: null,
    };
  }
  if (record.state === 'LANDING_FAILED' && record.landingFailed) {
    const { accepted, errorName, errorMessage } = record.landingFailed;
    return {
      proposalId,
      outcome: accepted ? 'LANDING_FAILED' : 'NOT_ACCEPTED',
      acceptedAt: null,
      landedAt: null,
      readyAt: null,
      landing: null,
      downtimeSeconds: null,
      errorName,
      errorMessage,
    };
  }
  throw new UnverifiedMessage(
    `transfer proposal ${proposalId} is ${record.state}: no landing report from the target is recorded, the step was woken by something else`,
  );
}
