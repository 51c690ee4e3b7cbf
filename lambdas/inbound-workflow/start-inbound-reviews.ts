import { ListCertificatesCommand, type IoTClient } from '@aws-sdk/client-iot';
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { toIotActionError } from '../iot-api/iot-errors';
import { describeCertificate } from '../transfer-actions/certificate-description';

export interface InboundReviewInput {
  certificateId: string;
  sourceAwsAccount: string;
  /** Null when the source sent none: always present, so the workflow's paths never miss. */
  transferMessage: string | null;
  transferDate: string;
}

export interface InboundPollResult {
  pending: number;
  started: string[];
  alreadyStarted: number;
}

/**
 * One execution name per offer: the same pending transfer always maps to the same
 * name, so a poll that sees it again cannot start a second review. Names allow
 * 80 characters of letters, digits, '-' and '_': "in-" + 64 + "-" + 10 digits fits.
 */
export function inboundExecutionName(certificateId: string, transferDate: Date): string {
  return `in-${certificateId}-${Math.floor(transferDate.getTime() / 1000)}`;
}

/**
 * The target account's poller: AWS IoT sends the target no notification of an offer,
 * so this lists PENDING_TRANSFER certificates offered by other accounts and starts the
 * inbound review workflow once per offer.
 */
export async function startInboundReviews(
  deps: { iot: IoTClient; sfn: SFNClient; accountId: string; stateMachineArn: string },
): Promise<InboundPollResult> {
  const result: InboundPollResult = { pending: 0, started: [], alreadyStarted: 0 };
  let marker: string | undefined;
  do {
    let page;
    try {
      page = await deps.iot.send(new ListCertificatesCommand({ pageSize: 250, marker }));
    } catch (error) {
      throw toIotActionError(error);
    }
    for (const summary of page.certificates ?? []) {
      if (summary.status !== 'PENDING_TRANSFER' || !summary.certificateId) continue;
      let description;
      try {
        ({ description } = await describeCertificate(deps.iot, summary.certificateId));
      } catch (error) {
        throw toIotActionError(error);
      }
      // This account's own outgoing offers are PENDING_TRANSFER here too.
      if (!description.ownedBy || description.ownedBy === deps.accountId) continue;
      result.pending += 1;
      const transferDate = description.transferData?.transferDate ?? description.lastModifiedDate ?? new Date(0);
      const input: InboundReviewInput = {
        certificateId: summary.certificateId,
        sourceAwsAccount: description.ownedBy,
        transferMessage: description.transferData?.transferMessage ?? null,
        transferDate: transferDate.toISOString(),
      };
      const name = inboundExecutionName(summary.certificateId, transferDate);
      try {
        await deps.sfn.send(new StartExecutionCommand({ stateMachineArn: deps.stateMachineArn, name, input: JSON.stringify(input) }));
        result.started.push(name);
      } catch (error) {
        if (!(error instanceof Error && error.name === 'ExecutionAlreadyExists')) throw error;
        result.alreadyStarted += 1;
      }
    }
    marker = page.nextMarker;
  } while (marker);
  return result;
}
