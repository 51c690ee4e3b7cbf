import type { S3Client } from '@aws-sdk/client-s3';
import { needsPreparation, type TransferPreparation } from '../approvals/approval-request';
import { exchangeKeys, publishExchangeObject } from '../cross-account/exchange-objects';
import { sendTransferMessage, type MessageSenderDeps } from '../cross-account/send-transfer-message';
import { AUDIT_TRAIL_UNAVAILABLE, toIotActionError } from '../iot-api/iot-errors';
import { ValidationError } from '../iot-api/field-rules';
import { attachedPolicies, describeThings, principalThings } from '../outbound-workflow/inspect-certificate';
import { prepareCertificate, restoreCertificate, type PreparationChanges } from '../outbound-workflow/prepare-certificate';
import { describeCertificate } from '../transfer-actions/certificate-description';
import type { AttemptContext, TransferActionDeps } from '../transfer-actions/run-transfer-action';
import { transferCertificate } from '../transfer-actions/transfer-certificate';
import { MIGRATION_FAILURES } from './certificate-outcome';
import { BATCH_TIME_BUDGET_MS, countFinishedBatch, ITEM_BACKOFF } from './migration-batch';
import { readJsonIfExists, S3MigrationObjects } from './migration-objects';
import type { MigrationProgress } from './migration-progress';
import { migrationTransferMessage } from './migration-transfer-message';
import type { OfferedCertificate, OfferSheet } from './offer-sheet';
import type { CertificateToMove } from './plan-outbound-migration';
import { withBackoff } from './request-pacer';

/** What every certificate of a cutover batch shares: the run, the target, who asked and who approved. */
export interface CutoverBatchContext extends Omit<AttemptContext, 'invocationId'> {
  migrationId: string;
  runName: string;
  targetAwsAccount: string;
  transferMessage?: string;
  /** The source approvers agreed to deactivate ACTIVE certificates and detach policies and things. */
  consentToPrepare: boolean;
  batchSize: number;
}

export interface CutoverBatchDeps extends TransferActionDeps {
  progress: MigrationProgress;
  s3: S3Client;
  /** This side's migration bucket: the offer sheets are exchange objects in it. */
  bucket: string;
  sender: MessageSenderDeps;
}

export interface CutoverBatch {
  context: CutoverBatchContext;
  invocationId: string;
  items: CertificateToMove[];
  /** Set when the batch's step failed for good: report what happened without changing anything more. */
  failure?: { error: string; cause: string };
}

/** The batch's items are not one batch of the list (positions out of order, or across two batches). */
export class MigrationBatchMismatch extends Error {
  override readonly name = 'MigrationBatchMismatch';
}

/** Which batch of the list the items are: the map cuts the list in order, batchSize at a time. */
export function batchNumberOf(items: readonly CertificateToMove[], batchSize: number): number {
  const first = items[0];
  if (!first) throw new MigrationBatchMismatch('a batch has at least one certificate');
  const batch = Math.floor(first.position / batchSize);
  items.forEach((item, index) => {
    if (item.position !== first.position + index || Math.floor(item.position / batchSize) !== batch)
      throw new MigrationBatchMismatch(`item ${index} (position ${item.position}) is not in batch ${batch} of ${batchSize} certificates`);
  });
  return batch;
}

/**
 * One batch of the source's cutover. First its sheet: each certificate's status, policies
 * and things as they are before anything changes, written as an exchange object (so a
 * re-run after a crash still knows what it detached). Then each certificate in turn is
 * prepared (INACTIVE, policies and things detached) and transferred at once, so its
 * downtime starts only seconds before its offer; a failure restores it. Last, the final
 * sheet and a `MigrationBatchOffered` message: the target accepts and lands the batch
 * while the next ones are transferred.
 */
export async function cutoverBatch(deps: CutoverBatchDeps, batch: CutoverBatch): Promise<OfferedCertificate[]> {
  const { context } = batch;
  const batchNumber = batchNumberOf(batch.items, context.batchSize);
  const sheetKey = exchangeKeys.offerSheet(context.migrationId, context.runName, batchNumber);
  const ownSheet = (await readJsonIfExists(new S3MigrationObjects(deps.s3, deps.bucket), sheetKey)) as OfferSheet | undefined;
  const earlier = new Map(ownSheet?.certificates.map((entry) => [entry.certificateId, entry]) ?? []);
  const now = () => (deps.now ?? (() => new Date()))();

  const sheet = (certificates: OfferedCertificate[]): OfferSheet => ({
    migrationId: context.migrationId,
    runName: context.runName,
    batch: batchNumber,
    certificates,
  });
  /** What is known of each certificate before it is changed; filled in order by `lookAtEach`. */
  const entries: OfferedCertificate[] = [];
  const lookAt = async (item: CertificateToMove): Promise<OfferedCertificate> => {
    const recorded = earlier.get(item.certificateId);
    // A certificate left PENDING by an interrupted run, or by a failed step, may have been transferred before the interruption.
    const interrupted = recorded?.outcome === 'PENDING' || (!recorded && batch.failure);
    const entry = recorded ?? (await lookBefore(deps, item, batch.failure));
    return interrupted ? settleInterrupted(deps, entry) : entry;
  };
  if (batch.failure) {
    for (const item of batch.items) {
      const entry = await lookAt(item);
      entries.push(entry.outcome === 'PENDING' ? failedEntry(entry, batch.failure.error, batch.failure.cause.slice(0, 512)) : entry);
    }
  } else {
    // Reading certificate i + 1 overlaps changing certificate i: the two use other Actions, each paced to its own quota.
    // A certificate is changed only once the sheet that records it has been written.
    const recorded = batch.items.map(() => {
      let settle: { resolve: () => void; reject: (error: unknown) => void } = { resolve: () => undefined, reject: () => undefined };
      const promise = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
      // Awaited below in order; a failure also surfaces through lookAtEach.
      promise.catch(() => undefined);
      return { promise, ...settle };
    });
    const lookAtEach = (async () => {
      for (const [index, item] of batch.items.entries()) {
        try {
          entries.push(await lookAt(item));
          await publishExchangeObject(deps.s3, deps.bucket, sheetKey, sheet(entries));
          recorded[index]?.resolve();
        } catch (error) {
          for (const later of recorded.slice(index)) later.reject(error);
          throw error;
        }
      }
    })();
    lookAtEach.catch(() => undefined);
    const startedAt = now().getTime();
    for (const [index, item] of batch.items.entries()) {
      await recorded[index]?.promise;
      const entry = entries[index] as OfferedCertificate;
      if (entry.outcome !== 'PENDING') continue;
      entries[index] =
        now().getTime() - startedAt < BATCH_TIME_BUDGET_MS
          ? await moveOne(deps, batch, item, entry)
          : failedEntry(
              entry,
              MIGRATION_FAILURES.notAttempted,
              'the batch ran out of time before this certificate; run the migration again',
            );
    }
    await lookAtEach;
  }
  const offerSheet = await publishExchangeObject(deps.s3, deps.bucket, sheetKey, sheet(entries));
  await sendTransferMessage(deps.sender, {
    from: 'SOURCE',
    type: 'MigrationBatchOffered',
    detail: {
      migrationId: context.migrationId,
      runName: context.runName,
      sourceAwsAccount: deps.accountId,
      targetAwsAccount: context.targetAwsAccount,
      sentAt: now().toISOString(),
      batch: batchNumber,
      offerSheet,
    },
  });
  await countFinishedBatch(
    deps.progress,
    context.runName,
    'transfer',
    entries.map((entry) => ({ certificateId: entry.certificateId, failed: entry.outcome === 'FAILED' })),
  );
  return entries;
}

/** An interrupted certificate that is PENDING_TRANSFER was offered: the target may take it. */
async function settleInterrupted(deps: CutoverBatchDeps, entry: OfferedCertificate): Promise<OfferedCertificate> {
  if (entry.outcome !== 'PENDING') return entry;
  try {
    const { description } = await withBackoff(() => describeCertificate(deps.iot, entry.certificateId), ITEM_BACKOFF);
    return description.status === 'PENDING_TRANSFER' ? { ...entry, outcome: 'OFFERED' } : entry;
  } catch {
    return entry;
  }
}

function failedEntry(entry: OfferedCertificate, errorName: string, errorMessage: string): OfferedCertificate {
  return { ...entry, outcome: 'FAILED', errorName, errorMessage };
}

/** The certificate as it is before the cutover touches it: status, policies, things (with type and attributes). */
async function lookBefore(deps: CutoverBatchDeps, item: CertificateToMove, failure: CutoverBatch['failure']): Promise<OfferedCertificate> {
  const entry: OfferedCertificate = {
    certificateId: item.certificateId,
    outcome: 'PENDING',
    previousStatus: item.status,
    policies: item.policies,
    things: [],
    deactivatedAt: null,
    transferredAt: null,
    errorName: null,
    errorMessage: null,
  };
  if (failure) return entry;
  try {
    return await withBackoff(async () => {
      const { description } = await describeCertificate(deps.iot, item.certificateId);
      const status = description.status ?? item.status;
      if (status !== 'ACTIVE' && status !== 'INACTIVE')
        return failedEntry(
          { ...entry, previousStatus: status },
          MIGRATION_FAILURES.notTransferable,
          `the certificate became ${status} after the plan`,
        );
      const policies = await attachedPolicies(deps.iot, item.certificateArn);
      const things = await describeThings(deps.iot, await principalThings(deps.iot, item.certificateArn));
      return { ...entry, previousStatus: status, policies, things };
    }, ITEM_BACKOFF);
  } catch (thrown) {
    const error = toIotActionError(thrown);
    return failedEntry(entry, error.name, `it could not be read before the cutover: ${error.message}`);
  }
}

async function moveOne(
  deps: CutoverBatchDeps,
  batch: CutoverBatch,
  item: CertificateToMove,
  entry: OfferedCertificate,
): Promise<OfferedCertificate> {
  const { context } = batch;
  const attempt: AttemptContext = {
    invocationId: batch.invocationId,
    executionId: context.executionId,
    requestedBy: context.requestedBy,
    approvedBy: context.approvedBy,
  };
  const preparation: TransferPreparation = {
    deactivate: entry.previousStatus === 'ACTIVE',
    detachPolicies: entry.policies,
    attachedThings: entry.things.map((thing) => thing.thingName),
  };
  if (needsPreparation(preparation) && !context.consentToPrepare) {
    return failedEntry(
      entry,
      MIGRATION_FAILURES.consentRequired,
      `the certificate is ${entry.previousStatus} with ${entry.policies.length} policies and ${entry.things.length} things, and the approvers did not consent to prepare it`,
    );
  }
  const planned: PreparationChanges = {
    deactivated: preparation.deactivate,
    detachedPolicies: preparation.detachPolicies,
    detachedThings: preparation.attachedThings,
  };
  const now = () => (deps.now ?? (() => new Date()))();
  try {
    // The deactivation's time is its audit row's: a re-run after a crash finds the earlier row and its time.
    const changes = await withBackoff(
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
    return { ...entry, outcome: 'OFFERED', deactivatedAt: changes.deactivatedAt ?? null, transferredAt: now().toISOString() };
  } catch (thrown) {
    // Without the audit trail nothing can be recorded, a restore neither: the batch is retried whole.
    if (thrown instanceof Error && thrown.name === AUDIT_TRAIL_UNAVAILABLE) throw thrown;
    if (thrown instanceof ValidationError) return failedEntry(entry, thrown.name, thrown.message);
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
        restoreProblem = ` (restoring its status, policies and things failed too: ${toIotActionError(restoreError).message})`;
      }
    }
    return failedEntry(entry, error.name, `${error.message}${restoreProblem}`);
  }
}
