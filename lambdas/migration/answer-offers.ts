import { AUDIT_TRAIL_UNAVAILABLE, toIotActionError } from '../iot-api/iot-errors';
import { acceptCertificateTransfer } from '../transfer-actions/accept-certificate-transfer';
import { rejectCertificateTransfer } from '../transfer-actions/reject-certificate-transfer';
import type { AttemptContext, TransferActionDeps } from '../transfer-actions/run-transfer-action';
import { failed, MIGRATION_FAILURES, type CertificateOutcome } from './certificate-outcome';
import { BATCH_TIME_BUDGET_MS, countFinishedBatch, ITEM_BACKOFF } from './migration-batch';
import type { MigrationProgress } from './migration-progress';
import { withBackoff } from './request-pacer';

/** What every item of an answer batch shares: the target approvers' decision and who made it. */
export interface AnswerBatchContext extends Omit<AttemptContext, 'invocationId'> {
  runName: string;
  sourceAwsAccount: string;
  decision: 'APPROVED' | 'REJECTED';
  setAsActive: boolean;
  rejectReason?: string;
}

/**
 * One Distributed Map batch of the target side: accepts (or, when the approvers
 * rejected the batch, rejects) each pending certificate with the same domain
 * functions and audit rows as a single transfer.
 */
export async function answerOffers(
  deps: TransferActionDeps & { progress: MigrationProgress },
  batch: { context: AnswerBatchContext; invocationId: string; items: Array<{ certificateId: string }> },
): Promise<CertificateOutcome[]> {
  const { context } = batch;
  const attempt: AttemptContext = {
    invocationId: batch.invocationId,
    executionId: context.executionId,
    requestedBy: context.requestedBy,
    approvedBy: context.approvedBy,
  };
  const outcomes: CertificateOutcome[] = [];
  const now = deps.now ?? (() => new Date());
  const startedAt = now().getTime();
  for (const { certificateId } of batch.items) {
    if (now().getTime() - startedAt >= BATCH_TIME_BUDGET_MS) {
      outcomes.push(
        failed(
          certificateId,
          MIGRATION_FAILURES.notAttempted,
          'the batch ran out of time before this certificate; running the migration again answers it',
          'PENDING_TRANSFER',
        ),
      );
      continue;
    }
    try {
      if (context.decision === 'APPROVED') {
        await withBackoff(
          () =>
            acceptCertificateTransfer(deps, {
              ...attempt,
              certificateId,
              setAsActive: context.setAsActive,
              sourceAwsAccount: context.sourceAwsAccount,
            }),
          ITEM_BACKOFF,
        );
        outcomes.push({ certificateId, outcome: 'ACCEPTED', previousStatus: 'PENDING_TRANSFER' });
      } else {
        await withBackoff(
          () =>
            rejectCertificateTransfer(deps, {
              ...attempt,
              certificateId,
              rejectReason: context.rejectReason,
              sourceAwsAccount: context.sourceAwsAccount,
            }),
          ITEM_BACKOFF,
        );
        outcomes.push({ certificateId, outcome: 'REJECTED', previousStatus: 'PENDING_TRANSFER' });
      }
    } catch (thrown) {
      if (thrown instanceof Error && thrown.name === AUDIT_TRAIL_UNAVAILABLE) throw thrown;
      const error = toIotActionError(thrown);
      outcomes.push(failed(certificateId, error.name, error.message, 'PENDING_TRANSFER'));
    }
  }
  await countFinishedBatch(
    deps.progress,
    context.runName,
    'answer',
    outcomes.map((outcome) => ({ certificateId: outcome.certificateId, failed: outcome.outcome === 'FAILED' })),
  );
  return outcomes;
}
