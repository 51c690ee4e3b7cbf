import { principalThings } from '../outbound-workflow/inspect-certificate';
import { migrationTransferMessage } from './migration-transfer-message';
import { needsPreparation, type TransferPreparation } from '../approvals/approval-request';
import { AUDIT_TRAIL_UNAVAILABLE, toIotActionError } from '../iot-api/iot-errors';
import { prepareCertificate, restoreCertificate, type PreparationChanges } from '../outbound-workflow/prepare-certificate';
import type { AttemptContext, TransferActionDeps } from '../transfer-actions/run-transfer-action';
import { transferCertificate } from '../transfer-actions/transfer-certificate';
import { failed, MIGRATION_FAILURES, type CertificateOutcome } from './certificate-outcome';
import type { CertificateToTransfer } from './inspect-certificates';
import { BATCH_TIME_BUDGET_MS, countFinishedBatch, ITEM_BACKOFF } from './migration-batch';
import type { MigrationProgress } from './migration-progress';
import { withBackoff } from './request-pacer';

/** What every item of a transfer batch shares: the run, the target, and who asked and approved. */
export interface TransferBatchContext extends Omit<AttemptContext, 'invocationId'> {
  runName: string;
  targetAwsAccount: string;
  transferMessage?: string;
  /** The source approvers agreed to deactivate ACTIVE certificates and detach policies. */
  consentToPrepare: boolean;
}

/**
 * One Distributed Map batch of the source side: each certificate is prepared (with the
 * approvers' consent) and offered with the same domain functions, and the same audit
 * rows, as a single transfer. A certificate that fails, an IoT outage that outlasted its
 * retries included, is restored and reported, not thrown, so the rest of the batch goes
 * on; only an unreachable audit trail fails the batch, which the workflow then retries
 * whole: every step finds what it already did.
 */
export async function transferCertificates(
  deps: TransferActionDeps & { progress: MigrationProgress },
  batch: { context: TransferBatchContext; invocationId: string; items: CertificateToTransfer[] },
): Promise<CertificateOutcome[]> {
  const outcomes: CertificateOutcome[] = [];
  const startedAt = (deps.now ?? (() => new Date()))().getTime();
  for (const item of batch.items) {
    const elapsed = (deps.now ?? (() => new Date()))().getTime() - startedAt;
    outcomes.push(
      elapsed < BATCH_TIME_BUDGET_MS
        ? await transferOne(deps, batch, item)
        : failed(
            item.certificateId,
            MIGRATION_FAILURES.notAttempted,
            'the batch ran out of time before this certificate; running the migration again moves it',
            item.status,
          ),
    );
  }
  await countFinishedBatch(
    deps.progress,
    batch.context.runName,
    'transfer',
    outcomes.map((outcome) => ({ certificateId: outcome.certificateId, failed: outcome.outcome === 'FAILED' })),
  );
  return outcomes;
}

async function transferOne(
  deps: TransferActionDeps,
  batch: { context: TransferBatchContext; invocationId: string },
  item: CertificateToTransfer,
): Promise<CertificateOutcome> {
  const { context } = batch;
  const attempt: AttemptContext = {
    invocationId: batch.invocationId,
    executionId: context.executionId,
    requestedBy: context.requestedBy,
    approvedBy: context.approvedBy,
  };
  // AWS IoT's transfer procedure detaches things too; which ones is read now, one ListPrincipalThings per certificate that has any.
  const attachedThings =
    item.thingCount > 0 ? await withBackoff(() => principalThings(deps.iot, item.certificateArn), ITEM_BACKOFF).catch(() => undefined) : [];
  if (attachedThings === undefined) {
    return failed(
      item.certificateId,
      MIGRATION_FAILURES.notAttempted,
      'its things could not be listed; running the migration again moves it',
      item.status,
    );
  }
  const preparation: TransferPreparation = { deactivate: item.status === 'ACTIVE', detachPolicies: item.policies, attachedThings };
  if (needsPreparation(preparation) && !context.consentToPrepare) {
    return failed(
      item.certificateId,
      MIGRATION_FAILURES.consentRequired,
      `the certificate is ${item.status}${item.policies.length > 0 ? ` with ${item.policies.length} policies attached` : ''} and the approvers did not consent to prepare it`,
      item.status,
    );
  }
  // What preparation may have changed when it stops partway: restoring a step that did not happen changes nothing.
  const planned: PreparationChanges = {
    deactivated: preparation.deactivate,
    detachedPolicies: preparation.detachPolicies,
    detachedThings: attachedThings,
  };
  try {
    await withBackoff(
      () =>
        prepareCertificate(deps, {
          ...attempt,
          certificateId: item.certificateId,
          certificateArn: item.certificateArn,
          preparation,
          consentToPrepare: context.consentToPrepare,
          detachThings: true,
        }),
      ITEM_BACKOFF,
    );
    await withBackoff(
      () =>
        transferCertificate(deps, {
          ...attempt,
          certificateId: item.certificateId,
          targetAwsAccount: context.targetAwsAccount,
          transferMessage: migrationTransferMessage(context.transferMessage),
        }),
      ITEM_BACKOFF,
    );
    return { certificateId: item.certificateId, outcome: 'OFFERED', previousStatus: item.status };
  } catch (thrown) {
    // Without the audit trail nothing can be recorded, a restore neither: the batch is retried whole.
    if (thrown instanceof Error && thrown.name === AUDIT_TRAIL_UNAVAILABLE) throw thrown;
    const error = toIotActionError(thrown);
    let restoreProblem = '';
    if (needsPreparation(preparation)) {
      try {
        await withBackoff(
          () =>
            restoreCertificate(deps, {
              ...attempt,
              certificateId: item.certificateId,
              certificateArn: item.certificateArn,
              changes: planned,
            }),
          ITEM_BACKOFF,
        );
      } catch (restoreError) {
        restoreProblem = ` (restoring its status and policies failed too: ${toIotActionError(restoreError).message})`;
      }
    }
    // An outage that outlasted the retries is reported like any failure; the run's last step
    // then checks whether the offer went through after all (a lost answer).
    return failed(item.certificateId, error.name, `${error.message}${restoreProblem}`, item.status);
  }
}
