import { ListOutgoingCertificatesCommand, type IoTClient } from '@aws-sdk/client-iot';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { ProposalStateConflict, type FollowOutcome, type ProposalRecord, type ProposalStore } from '../cross-account/proposal-store';
import { wakeWaitingStep } from '../cross-account/wake-waiting-step';
import { toIotActionError } from '../iot-api/iot-errors';
import { describeCertificate } from '../transfer-actions/certificate-description';

/** The largest page ListOutgoingCertificates returns (its pageSize range is 1-250). */
export const OUTGOING_PAGE_SIZE = 250;

export interface FollowedOfferSweepDeps {
  store: ProposalStore;
  iot: IoTClient;
  sfn: SFNClient;
  now?: () => Date;
}

export interface FollowedOfferSweepResult {
  /** Offers the sweep looked at. */
  followed: number;
  /** Certificates still listed as outgoing: the target has not decided. */
  pending: string[];
  /** Offers decided since the last sweep (or left to wake by a sweep that stopped half-way), by certificate. */
  decided: { certificateId: string; state: FollowOutcome['state'] }[];
}

/** The certificate ids this account still offers: every page of ListOutgoingCertificates. */
async function outgoingCertificateIds(iot: IoTClient): Promise<Set<string>> {
  const ids = new Set<string>();
  let marker: string | undefined;
  do {
    const page = await iot
      .send(new ListOutgoingCertificatesCommand({ pageSize: OUTGOING_PAGE_SIZE, marker }))
      .catch((error: unknown) => Promise.reject(toIotActionError(error)));
    for (const certificate of page.outgoingCertificates ?? []) if (certificate.certificateId) ids.add(certificate.certificateId);
    marker = page.nextMarker;
  } while (marker);
  return ids;
}

/**
 * What became of an offer no longer listed as outgoing. Once accepted, the certificate is no
 * longer the source's to describe; rejected or cancelled, it is back here INACTIVE, a reject
 * with a rejectDate (and the reason) after the transfer, a cancel without one.
 */
async function decidedOutcome(iot: IoTClient, certificateId: string, at: string): Promise<FollowOutcome | 'PENDING'> {
  let description;
  try {
    ({ description } = await describeCertificate(iot, certificateId));
  } catch (error) {
    const iotError = toIotActionError(error);
    if (iotError.name === 'ResourceNotFoundException') return { state: 'ACCEPTED', rejectReason: null, decidedAt: at };
    throw iotError;
  }
  // Offered between the list and this look (a retried step's new transfer): the next sweep decides.
  if (description.status === 'PENDING_TRANSFER') return 'PENDING';
  const transfer = description.transferData;
  const rejectedThisTransfer =
    transfer?.rejectDate !== undefined && (transfer.transferDate === undefined || transfer.rejectDate >= transfer.transferDate);
  if (rejectedThisTransfer) return { state: 'REJECTED', rejectReason: transfer?.rejectReason ?? '', decidedAt: at };
  return { state: 'CANCELLED', rejectReason: null, decidedAt: at };
}

/**
 * One sweep of every offer the source follows: one Query of the sparse index, one pass of
 * ListOutgoingCertificates, a DescribeCertificate only for offers no longer listed. Each
 * decided offer gets its outcome on its record (conditional: one outcome per offer), then
 * its waiting step is woken and the offer leaves the index. A sweep stopped between the two
 * leaves the record in the index, so the next sweep wakes it.
 */
export async function sweepFollowedOffers(deps: FollowedOfferSweepDeps): Promise<FollowedOfferSweepResult> {
  const followed = await deps.store.followedOffers();
  const result: FollowedOfferSweepResult = { followed: followed.length, pending: [], decided: [] };
  if (followed.length === 0) return result;
  const outgoing = await outgoingCertificateIds(deps.iot);
  const at = (deps.now ?? (() => new Date()))().toISOString();
  const failures: unknown[] = [];
  for (const record of followed) {
    try {
      const decided = await settleFollowedOffer(deps, record, outgoing, at);
      if (decided === 'PENDING') result.pending.push(record.certificateId);
      else result.decided.push({ certificateId: record.certificateId, state: decided });
    } catch (error) {
      // One offer that cannot be checked does not hold up the others; the sweep still fails.
      failures.push(error);
    }
  }
  if (failures.length > 0) throw new FollowedOfferSweepFailed(failures.length, followed.length, { cause: failures[0] });
  return result;
}

/** Some followed offers could not be checked or woken; the next sweep tries them again. */
export class FollowedOfferSweepFailed extends Error {
  override readonly name = 'FollowedOfferSweepFailed';

  constructor(failed: number, followed: number, options: { cause: unknown }) {
    super(`${failed} of ${followed} followed offers could not be settled`, options);
  }
}

async function settleFollowedOffer(
  deps: FollowedOfferSweepDeps,
  record: ProposalRecord,
  outgoing: Set<string>,
  at: string,
): Promise<FollowOutcome['state'] | 'PENDING'> {
  let decided: ProposalRecord = record;
  if (record.state === 'FOLLOWING') {
    if (outgoing.has(record.certificateId)) return 'PENDING';
    const outcome = await decidedOutcome(deps.iot, record.certificateId, at);
    if (outcome === 'PENDING') return 'PENDING';
    try {
      decided = await deps.store.recordFollowOutcome(record.proposalId, outcome);
    } catch (error) {
      // Another sweep recorded it first; this one wakes the step too (a second wake is harmless).
      if (!(error instanceof ProposalStateConflict) || error.current?.state !== 'TRANSFER_DECIDED') throw error;
      decided = error.current;
    }
  }
  if (decided.taskToken) await wakeWaitingStep(deps.sfn, decided.taskToken);
  await deps.store.stopFollowing(decided.proposalId);
  if (!decided.followOutcome) throw new ProposalStateConflict(decided.proposalId, decided, 'a decided offer has an outcome');
  return decided.followOutcome.state;
}
