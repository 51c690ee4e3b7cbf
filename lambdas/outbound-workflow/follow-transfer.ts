import type { IoTClient } from '@aws-sdk/client-iot';
import { toIotActionError } from '../iot-api/iot-errors';
import { describeCertificate } from '../transfer-actions/certificate-description';

export type TransferState = 'PENDING' | 'ACCEPTED' | 'REJECTED' | 'CANCELLED' | 'DEADLINE_PASSED';

export interface FollowTransferRequest {
  certificateId: string;
  /** How long the target has to decide, counted in the workflow's own waits since the transfer. */
  transferDeadlineSeconds: number;
  /** The workflow's waits so far, this one included. Counting waits rather than reading a clock keeps the deadline in workflow time. */
  waitedSeconds: number;
  /** The wait before this check; the next one doubles it, within the bounds. */
  pollSeconds: number;
  minPollSeconds: number;
  maxPollSeconds: number;
}

export interface FollowTransferResult {
  state: TransferState;
  /** The target's reason when REJECTED, else null (always present, so workflow paths never miss). */
  rejectReason: string | null;
  /** How long the workflow waits before it checks again (only while PENDING). */
  nextPollSeconds: number;
  waitedSeconds: number;
}

/**
 * Checks, from the source account, where an offered certificate stands. AWS sends the
 * source no notification: once the target accepts, the certificate is no longer the
 * source's to describe (ResourceNotFoundException); a reject brings it back INACTIVE
 * with a rejectDate; a cancel brings it back INACTIVE without one.
 */
export async function followTransfer(deps: { iot: IoTClient }, request: FollowTransferRequest): Promise<FollowTransferResult> {
  const { waitedSeconds } = request;
  const nextPollSeconds = Math.min(request.maxPollSeconds, Math.max(request.minPollSeconds, request.pollSeconds * 2));
  let description;
  try {
    ({ description } = await describeCertificate(deps.iot, request.certificateId));
  } catch (error) {
    const iotError = toIotActionError(error);
    if (iotError.name === 'ResourceNotFoundException') return { state: 'ACCEPTED', rejectReason: null, nextPollSeconds, waitedSeconds };
    throw iotError;
  }
  if (description.status === 'PENDING_TRANSFER') {
    const deadlinePassed = waitedSeconds >= request.transferDeadlineSeconds;
    return { state: deadlinePassed ? 'DEADLINE_PASSED' : 'PENDING', rejectReason: null, nextPollSeconds, waitedSeconds };
  }
  const transfer = description.transferData;
  const rejectedThisTransfer =
    transfer?.rejectDate !== undefined && (transfer.transferDate === undefined || transfer.rejectDate >= transfer.transferDate);
  if (rejectedThisTransfer) return { state: 'REJECTED', rejectReason: transfer?.rejectReason ?? '', nextPollSeconds, waitedSeconds };
  return { state: 'CANCELLED', rejectReason: null, nextPollSeconds, waitedSeconds };
}
