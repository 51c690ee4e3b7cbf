import { ListCertificatesCommand, type IoTClient } from '@aws-sdk/client-iot';
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { toIotActionError } from '../iot-api/iot-errors';
import { isMigrationOffer } from '../migration/migration-transfer-message';
import { describeCertificate } from '../transfer-actions/certificate-description';

export interface InboundReviewInput {
  certificateId: string;
  sourceAwsAccount: string;
  /** Null when the source sent none: always present, so the workflow's paths never miss. */
  transferMessage: string | null;
  transferDate: string;
}

export interface InboundPollResult {
  /** Offers made by hand from trusted accounts: each has a review. */
  pending: number;
  started: string[];
  alreadyStarted: number;
  /** Offers from accounts not listed as trusted sources: counted and logged, never sent to approvers. */
  untrusted: number;
  /** The accounts those came from. */
  untrustedAccounts: string[];
  /** Offers that belong to a proposal (reviewed before the offer) or a migration (reviewed as a batch). */
  reviewedElsewhere: number;
}

export interface InboundPollDeps {
  iot: IoTClient;
  sfn: SFNClient;
  accountId: string;
  stateMachineArn: string;
  /** Accounts whose offers made without a proposal are sent to review. */
  trustedSourceAccounts: string[];
  /** Whether the certificate's offer belongs to a transfer proposal recorded on this side. */
  belongsToProposal(certificateId: string, sourceAwsAccount: string): Promise<boolean>;
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
 * The target account's poller, for offers made without a proposal (someone ran
 * TransferCertificate by hand): AWS IoT sends the target no notification of an offer, so
 * this lists PENDING_TRANSFER certificates offered by trusted source accounts and starts
 * the inbound review workflow once per offer. Offers that a proposal or a migration
 * already covers are left to them.
 */
export async function startInboundReviews(deps: InboundPollDeps): Promise<InboundPollResult> {
  const result: InboundPollResult = {
    pending: 0,
    started: [],
    alreadyStarted: 0,
    untrusted: 0,
    untrustedAccounts: [],
    reviewedElsewhere: 0,
  };
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
      if (!deps.trustedSourceAccounts.includes(description.ownedBy)) {
        result.untrusted += 1;
        if (!result.untrustedAccounts.includes(description.ownedBy)) result.untrustedAccounts.push(description.ownedBy);
        continue;
      }
      if (
        isMigrationOffer(description.transferData?.transferMessage) ||
        (await deps.belongsToProposal(summary.certificateId, description.ownedBy))
      ) {
        result.reviewedElsewhere += 1;
        continue;
      }
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
