import { createHash } from 'node:crypto';
import { FOLLOWED, ProposalStateConflict, type ProposalRecord, type ProposalStore } from '../cross-account/proposal-store';
import { ValidationError, parseAwsAccountId, parseCertificateId } from '../iot-api/field-rules';
import { UnverifiedMessage } from './propose-to-target';

/** The follow record's id follows from the execution, so a retried step records the same offer. */
export function followIdOf(executionId: string): string {
  return createHash('sha256').update(`follow\n${executionId}`).digest('base64url').slice(0, 32);
}

export interface FollowOfferInput {
  taskToken: string;
  executionId: string;
  certificateId: string;
  targetAwsAccount: string;
  /** How long the target has to decide from now: the waiting step's TaskTimeout. */
  transferDeadlineSeconds: number;
}

export interface ReadFollowOutcomeInput {
  executionId: string;
}

/** What the outcome Choice reads in `$.follow`. */
export interface FollowedTransfer {
  state: 'ACCEPTED' | 'REJECTED' | 'CANCELLED';
  rejectReason: string | null;
}

export interface OfferFollowDeps {
  store: ProposalStore;
  /** This (the source) account. */
  accountId: string;
  now?: () => Date;
}

/**
 * Puts an offer to a target that runs no certflow in the sweep's sparse index, with the
 * waiting step's token (a retried step's new token replaces the old one).
 */
export async function followOffer(deps: OfferFollowDeps, input: FollowOfferInput): Promise<{ followId: string }> {
  const followId = followIdOf(input.executionId);
  const now = (deps.now ?? (() => new Date()))();
  const { record, created } = await deps.store.create({
    proposalId: followId,
    side: 'SOURCE',
    certificateId: input.certificateId,
    sourceAwsAccount: deps.accountId,
    targetAwsAccount: input.targetAwsAccount,
    executionId: input.executionId,
    state: 'FOLLOWING',
    awaiting: 'TRANSFER_DECIDED',
    taskToken: input.taskToken,
    followedOffer: FOLLOWED,
    followDeadline: new Date(now.getTime() + input.transferDeadlineSeconds * 1000).toISOString(),
  });
  if (created) return { followId };
  if (record.executionId !== input.executionId)
    throw new ProposalStateConflict(followId, record, 'the follow record belongs to another execution');
  // A retry after the sweep already decided keeps the decision; the sweep wakes the new token too.
  const fromStates = record.state === 'FOLLOWING' ? ['FOLLOWING' as const] : ['TRANSFER_DECIDED' as const];
  await deps.store.transition(followId, fromStates, record.state, { taskToken: input.taskToken, followedOffer: FOLLOWED });
  return { followId };
}

/** The outcome as the sweep recorded it on this side's record, never as the callback said. */
export async function readFollowOutcome(deps: Pick<OfferFollowDeps, 'store'>, input: ReadFollowOutcomeInput): Promise<FollowedTransfer> {
  const followId = followIdOf(input.executionId);
  const record: ProposalRecord | undefined = await deps.store.get(followId);
  if (!record || record.executionId !== input.executionId)
    throw new UnverifiedMessage(`no followed offer ${followId} of this execution on this side`);
  if (record.state !== 'TRANSFER_DECIDED' || !record.followOutcome)
    throw new UnverifiedMessage(`the followed offer ${followId} has no recorded outcome: the wake did not come from the sweep`);
  return { state: record.followOutcome.state, rejectReason: record.followOutcome.rejectReason };
}

export type OfferFollowEvent =
  | { step: 'follow'; input: FollowOfferInput }
  | { step: 'readOutcome'; input: ReadFollowOutcomeInput }
  | { step: 'checkAfterDeadline'; input: { certificateId: string } };

function field(fields: Record<string, unknown>, name: string, max = 2048): string {
  const value = fields[name];
  if (typeof value !== 'string' || value.trim().length === 0) throw new ValidationError(name, 'must be a non-empty string');
  if (value.length > max) throw new ValidationError(name, `must be at most ${max} characters long (got ${value.length})`);
  return value;
}

export function parseOfferFollowEvent(event: unknown): OfferFollowEvent {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) throw new ValidationError('event', 'must be a JSON object');
  const fields = event as Record<string, unknown>;
  switch (fields.step) {
    case 'follow': {
      const seconds = fields.transferDeadlineSeconds;
      if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 1)
        throw new ValidationError('transferDeadlineSeconds', 'must be a whole number of seconds, at least 1');
      return {
        step: 'follow',
        input: {
          taskToken: field(fields, 'taskToken', 8192),
          executionId: field(fields, 'executionId'),
          certificateId: parseCertificateId(fields.certificateId),
          targetAwsAccount: parseAwsAccountId(fields.targetAwsAccount, 'targetAwsAccount'),
          transferDeadlineSeconds: seconds,
        },
      };
    }
    case 'readOutcome':
      return { step: 'readOutcome', input: { executionId: field(fields, 'executionId') } };
    case 'checkAfterDeadline':
      return { step: 'checkAfterDeadline', input: { certificateId: parseCertificateId(fields.certificateId) } };
    default:
      throw new ValidationError('step', 'must be follow, readOutcome or checkAfterDeadline');
  }
}
