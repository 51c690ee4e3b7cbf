import { createHash } from 'node:crypto';
import { RETRYABLE_ERROR_NAMES } from '../iot-api/iot-errors';
import type { MigrationPhase, MigrationProgress } from './migration-progress';

/** Retries within one call; a batch that still fails is retried whole by its workflow. */
export const ITEM_BACKOFF = { retryable: RETRYABLE_ERROR_NAMES, maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 5_000 };

/**
 * Batch key for the progress counters: the first certificate and the batch size identify
 * a batch within a run. Hashed to 16 characters, so that the run's progress item stays
 * small: 2,000 batches take about 40 KB of DynamoDB's 400 KB.
 */
export function batchKey(items: ReadonlyArray<{ certificateId: string }>): string {
  return createHash('sha256')
    .update(`${items[0]?.certificateId ?? ''}+${items.length}`)
    .digest('base64url')
    .slice(0, 16);
}

/**
 * How long a batch starts new certificates: a third of Lambda's 15 minutes is left for
 * the one in hand, however long its retries take, so no certificate is cut off halfway
 * through its preparation. The rest are reported NotAttempted and the next run moves them.
 */
export const BATCH_TIME_BUDGET_MS = 10 * 60 * 1000;

/**
 * Counts a finished batch for the job's progress line. The counters only show progress:
 * the run's outcome files are the record, so a batch whose work is done does not fail
 * (and redo it) because the counter could not be written.
 */
export async function countFinishedBatch(
  progress: MigrationProgress,
  runName: string,
  phase: MigrationPhase,
  outcomes: ReadonlyArray<{ certificateId: string; failed: boolean }>,
): Promise<void> {
  try {
    await progress.countBatch(runName, phase, batchKey(outcomes), {
      done: outcomes.filter((outcome) => !outcome.failed).length,
      failed: outcomes.filter((outcome) => outcome.failed).length,
    });
  } catch {
    // Shown as slower progress; nothing is lost.
  }
}
