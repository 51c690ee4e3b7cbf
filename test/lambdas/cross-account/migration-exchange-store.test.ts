import {
  LANDED_BATCHES_PER_SHARD,
  migrationRecordKeys,
  type MigrationExchangeStore,
} from '../../../lambdas/cross-account/migration-exchange-store';
import { EXECUTION_ID, freshRunName, MIGRATION_ID, SOURCE_ACCOUNT, TARGET_ACCOUNT } from '../migration/migration-fixtures';
import { proposalTableFixture, type ProposalTableFixture } from './proposal-table-fixture';

let tables: ProposalTableFixture;

beforeAll(async () => {
  tables = await proposalTableFixture();
});
afterAll(() => tables.close());

async function sourceRun(batchCount: number): Promise<{ store: MigrationExchangeStore; runName: string }> {
  const store = await tables.newMigrationStore(() => new Date('2026-12-01T10:00:00.000Z'));
  const runName = freshRunName();
  await store.createRun({
    side: 'SOURCE',
    migrationId: MIGRATION_ID,
    runName,
    sourceAwsAccount: SOURCE_ACCOUNT,
    targetAwsAccount: TARGET_ACCOUNT,
    executionId: EXECUTION_ID,
    batchCount,
  });
  return { store, runName };
}

describe('MigrationExchangeStore: landed batches', () => {
  it('keeps 1,000 batches a shard, under keys of their own', () => {
    expect(LANDED_BATCHES_PER_SHARD).toBe(1000);
    expect(migrationRecordKeys.landedShard('run', 2)).toBe('migration#run#landed#2');
  });

  it('counts landed batches across shards of a run of 2,500 batches, each once', async () => {
    const { store, runName } = await sourceRun(2500);
    const batches = [0, 999, 1000, 1001, 2000, 2499];

    const recorded = [];
    for (const batch of batches) recorded.push(await store.recordLandedBatch(runName, batch, 2500));

    // No shard is complete: nobody reads the others, and nobody is told all have landed.
    expect(recorded).toEqual(batches.map(() => ({ duplicate: false, landedBatches: -1 })));
    expect(await store.landedBatches(runName, 2500)).toBe(batches.length);
    expect(await store.recordLandedBatch(runName, 1000, 2500)).toEqual({ duplicate: true, landedBatches: -1 });
    expect(await store.landedBatches(runName, 2500)).toBe(batches.length);
  });

  it('reads every shard once the shard of the batch is complete, and says how many of all have landed', async () => {
    const { store, runName } = await sourceRun(2002);
    await store.recordLandedBatch(runName, 7, 2002);
    await store.recordLandedBatch(runName, 1500, 2002);
    expect(await store.recordLandedBatch(runName, 2000, 2002)).toEqual({ duplicate: false, landedBatches: -1 });

    // The last shard holds batches 2000 and 2001 only: it is complete now.
    expect(await store.recordLandedBatch(runName, 2001, 2002)).toEqual({ duplicate: false, landedBatches: 4 });
    expect(await store.recordLandedBatch(runName, 2001, 2002)).toEqual({ duplicate: true, landedBatches: 4 });
  });

  it('tells the last batch of a one-shard run that every batch has landed', async () => {
    const { store, runName } = await sourceRun(3);
    expect(await store.recordLandedBatch(runName, 2, 3)).toMatchObject({ landedBatches: -1 });
    expect(await store.recordLandedBatch(runName, 0, 3)).toMatchObject({ landedBatches: -1 });
    expect(await store.recordLandedBatch(runName, 1, 3)).toEqual({ duplicate: false, landedBatches: 3 });
  });

  it('counts no batch of a run nothing landed for', async () => {
    const { store, runName } = await sourceRun(2500);
    expect(await store.landedBatches(runName, 2500)).toBe(0);
  });

  it('keeps the landed batches of runs apart', async () => {
    const { store, runName: first } = await sourceRun(2);
    const second = freshRunName();
    await store.recordLandedBatch(first, 0, 2);
    expect(await store.recordLandedBatch(second, 0, 2)).toEqual({ duplicate: false, landedBatches: -1 });
    expect(await store.landedBatches(first, 2)).toBe(1);
  });
});

describe('MigrationExchangeStore: the run record', () => {
  it('creates a run once; a second create returns the first record', async () => {
    const { store, runName } = await sourceRun(4);
    const again = await store.createRun({
      side: 'SOURCE',
      migrationId: MIGRATION_ID,
      runName,
      sourceAwsAccount: SOURCE_ACCOUNT,
      targetAwsAccount: TARGET_ACCOUNT,
      executionId: 'another-execution',
      batchCount: 9,
    });
    expect(again).toMatchObject({ created: false, record: { executionId: EXECUTION_ID, batchCount: 4, kind: 'MIGRATION' } });
  });

  it('refuses to wait on a run it does not have', async () => {
    const { store } = await sourceRun(1);
    await expect(store.awaitOnRun(freshRunName(), 'DECISION', 't')).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
  });

  it('fails MigrationRunNotFound for a decision about a run it does not have', async () => {
    const { store } = await sourceRun(1);
    const runName = freshRunName();
    await expect(
      store.recordDecision(runName, {
        migrationId: MIGRATION_ID,
        runName,
        sourceAwsAccount: SOURCE_ACCOUNT,
        targetAwsAccount: TARGET_ACCOUNT,
        sentAt: '2026-12-01T10:00:00.000Z',
        decision: 'APPROVED',
        decidedBy: null,
        rejectReason: null,
      }),
    ).rejects.toMatchObject({ name: 'MigrationRunNotFound', runName });
  });
});
