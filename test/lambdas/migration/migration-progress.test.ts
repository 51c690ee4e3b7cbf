import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { MIGRATION_PROGRESS_KEY, MigrationProgress } from '../../../lambdas/migration/migration-progress';
import { freshRunName, progressTableFixture, type ProgressTableFixture } from './migration-fixtures';

let table: ProgressTableFixture;

beforeAll(async () => {
  table = await progressTableFixture();
});
afterAll(() => table.close());

describe('MigrationProgress against dynalite', () => {
  it('reads no phase of a run nothing was counted for', async () => {
    expect(await table.progress.read(freshRunName())).toEqual({});
  });

  it('shows a phase once its total is set, with nothing done yet', async () => {
    const runName = freshRunName();
    await table.progress.setTotal(runName, 'transfer', 120);
    expect(await table.progress.read(runName)).toEqual({ transfer: { total: 120, done: 0, failed: 0 } });
  });

  it('adds the counts of each batch to its phase', async () => {
    const runName = freshRunName();
    await table.progress.setTotal(runName, 'transfer', 100);
    expect(await table.progress.countBatch(runName, 'transfer', 'a+50', { done: 48, failed: 2 })).toBe(true);
    expect(await table.progress.countBatch(runName, 'transfer', 'b+50', { done: 50, failed: 0 })).toBe(true);
    expect(await table.progress.read(runName)).toEqual({ transfer: { total: 100, done: 98, failed: 2 } });
  });

  it('counts a batch once: counting it again (a retried batch) changes nothing and says so', async () => {
    const runName = freshRunName();
    await table.progress.setTotal(runName, 'transfer', 100);
    expect(await table.progress.countBatch(runName, 'transfer', 'a+50', { done: 50, failed: 0 })).toBe(true);
    expect(await table.progress.countBatch(runName, 'transfer', 'a+50', { done: 50, failed: 0 })).toBe(false);
    expect(await table.progress.countBatch(runName, 'transfer', 'a+50', { done: 49, failed: 1 })).toBe(false);
    expect(await table.progress.read(runName)).toEqual({ transfer: { total: 100, done: 50, failed: 0 } });
  });

  it('counts a batch before its phase total is set, and shows it once the total is', async () => {
    const runName = freshRunName();
    expect(await table.progress.countBatch(runName, 'transfer', 'a+3', { done: 3, failed: 0 })).toBe(true);
    expect(await table.progress.read(runName)).toEqual({});
    await table.progress.setTotal(runName, 'transfer', 3);
    expect(await table.progress.read(runName)).toEqual({ transfer: { total: 3, done: 3, failed: 0 } });
  });

  it('keeps the phases of a run apart: the same batch key counts once in each phase', async () => {
    const runName = freshRunName();
    await table.progress.setTotal(runName, 'transfer', 2);
    await table.progress.setTotal(runName, 'land', 2);
    expect(await table.progress.countBatch(runName, 'transfer', 'a+2', { done: 1, failed: 1 })).toBe(true);
    expect(await table.progress.countBatch(runName, 'land', 'a+2', { done: 1, failed: 0 })).toBe(true);
    expect(await table.progress.read(runName)).toEqual({
      transfer: { total: 2, done: 1, failed: 1 },
      land: { total: 2, done: 1, failed: 0 },
    });
  });

  it('keeps runs apart', async () => {
    const first = freshRunName();
    const second = freshRunName();
    await table.progress.setTotal(first, 'land', 5);
    await table.progress.setTotal(second, 'land', 7);
    await table.progress.countBatch(first, 'land', 'a+5', { done: 5, failed: 0 });
    expect(await table.progress.countBatch(second, 'land', 'a+5', { done: 4, failed: 1 })).toBe(true);
    expect(await table.progress.read(first)).toEqual({ land: { total: 5, done: 5, failed: 0 } });
    expect(await table.progress.read(second)).toEqual({ land: { total: 7, done: 4, failed: 1 } });
  });

  it('keeps the counted batch keys in a string set on the run item', async () => {
    const runName = freshRunName();
    await table.progress.countBatch(runName, 'transfer', 'a+2', { done: 2, failed: 0 });
    await table.progress.countBatch(runName, 'transfer', 'b+1', { done: 1, failed: 0 });
    const { Item } = await table.dynamodb.send(
      new GetItemCommand({ TableName: table.tableName, Key: { [MIGRATION_PROGRESS_KEY]: { S: runName } } }),
    );
    expect(Item?.transferBatches?.SS?.sort()).toEqual(['a+2', 'b+1']);
    expect(unmarshall(Item ?? {})).toMatchObject({ transferDone: 3, transferFailed: 0 });
  });

  it('rethrows a failure other than an already counted batch', async () => {
    const missing = new MigrationProgress(table.dynamodb, 'no-such-table');
    await expect(missing.countBatch(freshRunName(), 'transfer', 'a+1', { done: 1, failed: 0 })).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});
