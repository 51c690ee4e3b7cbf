/** How one certificate fared in one side's run of a migration. */
export type CertificateOutcomeName =
  /** Source: TransferCertificate succeeded in this run. */
  | 'OFFERED'
  /** Source: an earlier run already offered it to this target; it is still pending. */
  | 'ALREADY_OFFERED'
  /** Source: an earlier run transferred it and the target accepted it. */
  | 'ALREADY_TRANSFERRED'
  /** Target: AcceptCertificateTransfer succeeded in this run. */
  | 'ACCEPTED'
  /** Target: an earlier run already accepted it. */
  | 'ALREADY_ACCEPTED'
  /** Target: the approvers rejected the batch and RejectCertificateTransfer sent it back. */
  | 'REJECTED'
  /** The approvers of this side rejected the batch (source) before anything was changed. */
  | 'NOT_APPROVED'
  | 'FAILED';

/** Why a certificate failed when no IoT error says it. */
export const MIGRATION_FAILURES = {
  notFound: 'CertificateNotFound',
  pendingElsewhere: 'PendingTransferElsewhere',
  notTransferable: 'CertificateNotTransferable',
  consentRequired: 'ConsentRequired',
  notOffered: 'NotOffered',
  /** The batch used its time budget before reaching the certificate: nothing was done to it. */
  notAttempted: 'NotAttempted',
} as const;

export interface CertificateOutcome {
  certificateId: string;
  outcome: CertificateOutcomeName;
  /** The certificate's status when the run looked at it. */
  previousStatus?: string;
  errorName?: string;
  errorMessage?: string;
}

export function failed(certificateId: string, errorName: string, errorMessage: string, previousStatus?: string): CertificateOutcome {
  return { certificateId, outcome: 'FAILED', errorName, errorMessage, ...(previousStatus ? { previousStatus } : {}) };
}

export function countOutcomes(outcomes: readonly CertificateOutcome[]): Partial<Record<CertificateOutcomeName, number>> {
  const counts: Partial<Record<CertificateOutcomeName, number>> = {};
  for (const { outcome } of outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1;
  return counts;
}
