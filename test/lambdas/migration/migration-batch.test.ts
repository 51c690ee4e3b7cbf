import { batchKey, countFinishedBatch } from '../../../lambdas/migration/migration-batch';
import { MigrationProgress } from '../../../lambdas/migration/migration-progress';
import { certificateIdOf, freshRunName, progressTableFixture, type ProgressTableFixture } from './migration-fixtures';

let table: ProgressTableFixture;

beforeAll(async () => {
  table = await progressTableFixture();
});
afterAll(() => table.close());

const batchOf = (...numbers: number[]) => numbers.map((n) => ({ certificateId: certificateIdOf(n) }));

describe('batchKey', () => {
  it('names a batch by its first certificate and its size, in 16 base64url characters', () => {
    expect(batchKey(batchOf(1, 2))).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(batchKey(batchOf(1, 2))).toBe(batchKey(batchOf(1, 3)));
    expect(batchKey(batchOf(1))).not.toBe(batchKey(batchOf(1, 2)));
    expect(batchKey(batchOf(2, 1))).not.toBe(batchKey(batchOf(1, 2)));
  });

  it('keeps the key of a batch of 1,000 certificates as short as any other', () => {
    const large = Array.from({ length: 1000 }, (_, index) => ({ certificateId: certificateIdOf(index + 1) }));
    expect(batchKey(large)).toHaveLength(16);
  });
});

describe('countFinishedBatch', () => {
  it('adds what was done and what failed to the phase, once however often the batch finishes', async () => {
    const runName = freshRunName();
    await table.progress.setTotal(runName, 'transfer', 3);
    const outcomes = [
      { certificateId: certificateIdOf(1), failed: false },
      { certificateId: certificateIdOf(2), failed: true },
      { certificateId: certificateIdOf(3), failed: false },
    ];
    await countFinishedBatch(table.progress, runName, 'transfer', outcomes);
    await countFinishedBatch(table.progress, runName, 'transfer', outcomes);
    expect(await table.progress.read(runName)).toEqual({ transfer: { total: 3, done: 2, failed: 1 } });
  });

  it('swallows a failure to count, so that a batch whose work is done is not failed and redone for it', async () => {
    const unreachable = new MigrationProgress(table.dynamodb, 'no-such-progress-table');
    await expect(unreachable.countBatch(freshRunName(), 'land', 'key', { done: 1, failed: 0 })).rejects.toThrow();
    await expect(
      countFinishedBatch(unreachable, freshRunName(), 'land', [{ certificateId: certificateIdOf(1), failed: false }]),
    ).resolves.toBeUndefined();
  });
});
