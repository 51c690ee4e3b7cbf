import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { MigrationExchangeStore } from '../../../lambdas/cross-account/migration-exchange-store';
import type { LandedCertificate, MigrationBatchLanded, MigrationDecided } from '../../../lambdas/cross-account/migration-messages';
import {
  receiveMigrationTargetMessage,
  type MigrationSourceReceiverDeps,
} from '../../../lambdas/cross-account/receive-migration-target-message';
import { landingReportKey } from '../../../lambdas/migration/migration-objects';
import {
  certificateIdOf,
  EXECUTION_ID,
  freshRunName,
  InMemoryMigrationObjects,
  MIGRATION_ID,
  OTHER_ACCOUNT,
  progressTableFixture,
  SOURCE_ACCOUNT,
  TARGET_ACCOUNT,
  type ProgressTableFixture,
} from '../migration/migration-fixtures';
import { proposalTableFixture, type ProposalTableFixture } from './proposal-table-fixture';

const sfnMock = mockClient(SFNClient);
let tables: ProposalTableFixture;
let progress: ProgressTableFixture;

beforeAll(async () => {
  [tables, progress] = await Promise.all([proposalTableFixture(), progressTableFixture()]);
});
afterAll(() => Promise.all([tables.close(), progress.close()]));
beforeEach(() => {
  sfnMock.reset();
  sfnMock.on(SendTaskSuccessCommand).resolves({});
});

/** The event EventBridge delivers to the source for a message the target sent. */
function delivered(type: string, detail: MigrationDecided | MigrationBatchLanded, account = TARGET_ACCOUNT) {
  return { account, source: 'certflow.target', 'detail-type': type, detail };
}

interface SourceRun {
  deps: MigrationSourceReceiverDeps;
  store: MigrationExchangeStore;
  objects: InMemoryMigrationObjects;
  runName: string;
}

/** A source run of `batchCount` batches, as proposeMigration records it, waiting for `awaiting` when given. */
async function sourceRun(batchCount: number, awaiting?: { on: 'DECISION' | 'LANDINGS'; token: string }): Promise<SourceRun> {
  const store = await tables.newMigrationStore();
  const objects = new InMemoryMigrationObjects();
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
  if (awaiting) await store.awaitOnRun(runName, awaiting.on, awaiting.token);
  await progress.progress.setTotal(runName, 'land', batchCount * 2);
  return {
    store,
    objects,
    runName,
    deps: {
      store,
      sfn: new SFNClient({ region: 'us-east-1' }),
      objects,
      progress: progress.progress,
      peerAccount: TARGET_ACCOUNT,
      ownAccount: SOURCE_ACCOUNT,
    },
  };
}

function decisionOf(runName: string, change: Partial<MigrationDecided> = {}): MigrationDecided {
  return {
    migrationId: MIGRATION_ID,
    runName,
    sourceAwsAccount: SOURCE_ACCOUNT,
    targetAwsAccount: TARGET_ACCOUNT,
    sentAt: '2026-12-01T10:30:00.000Z',
    decision: 'APPROVED',
    decidedBy: 'dave@example.com',
    rejectReason: null,
    ...change,
  };
}

function landed(n: number, outcome: LandedCertificate['outcome'] = 'LANDED'): LandedCertificate {
  return {
    certificateId: certificateIdOf(n),
    outcome,
    setAsActive: true,
    acceptedAt: '2026-12-01T10:40:00.000Z',
    landedAt: outcome === 'LANDED' ? '2026-12-01T10:40:02.000Z' : null,
    policies: outcome === 'LANDED' ? ['eu-sensor-policy'] : [],
    things: [],
    errorName: outcome === 'LANDED' ? null : 'ResourceNotFoundException',
    errorMessage: null,
  };
}

function landingOf(runName: string, batch: number, certificates = [landed(batch * 2 + 1), landed(batch * 2 + 2)]): MigrationBatchLanded {
  return {
    migrationId: MIGRATION_ID,
    runName,
    sourceAwsAccount: SOURCE_ACCOUNT,
    targetAwsAccount: TARGET_ACCOUNT,
    sentAt: '2026-12-01T10:41:00.000Z',
    batch,
    certificates,
  };
}

describe('receiveMigrationTargetMessage: the decision', () => {
  it('records the decision once and wakes the step waiting for it', async () => {
    const { deps, store, runName } = await sourceRun(2, { on: 'DECISION', token: 'decision-token' });

    const first = await receiveMigrationTargetMessage(deps, delivered('MigrationDecided', decisionOf(runName)));

    expect(first).toEqual({ kind: 'recorded', type: 'MigrationDecided', proposalId: runName, woke: 'woken' });
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'decision-token' });
    expect((await store.getRun(runName))?.decision).toEqual(decisionOf(runName));
  });

  it('keeps the first decision when another arrives, and wakes the waiting step again in case the first wake was lost', async () => {
    const { deps, store, runName } = await sourceRun(2, { on: 'DECISION', token: 'decision-token' });
    await receiveMigrationTargetMessage(deps, delivered('MigrationDecided', decisionOf(runName)));

    const again = await receiveMigrationTargetMessage(
      deps,
      delivered('MigrationDecided', decisionOf(runName, { decision: 'REJECTED', rejectReason: 'changed my mind' })),
    );

    expect(again).toMatchObject({ kind: 'duplicate', woke: 'woken' });
    expect((await store.getRun(runName))?.decision).toMatchObject({ decision: 'APPROVED', rejectReason: null });
  });

  it('records a decision that arrives before the step waits, waking nothing', async () => {
    const { deps, store, runName } = await sourceRun(2);
    expect(await receiveMigrationTargetMessage(deps, delivered('MigrationDecided', decisionOf(runName)))).toMatchObject({
      kind: 'recorded',
      woke: 'task-over',
    });
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    expect((await store.getRun(runName))?.decision?.decision).toBe('APPROVED');
  });

  it('does not wake the landing wait with a decision', async () => {
    const { deps, runName } = await sourceRun(2, { on: 'LANDINGS', token: 'landings-token' });
    await receiveMigrationTargetMessage(deps, delivered('MigrationDecided', decisionOf(runName)));
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });
});

describe('receiveMigrationTargetMessage: landing reports', () => {
  it('keeps each report in the bucket, counts its certificates once, and wakes the landing wait only when the last batch lands', async () => {
    const { deps, objects, runName } = await sourceRun(3, { on: 'LANDINGS', token: 'landings-token' });
    const failedOne = landingOf(runName, 1, [landed(3), landed(4, 'LANDING_FAILED')]);

    expect(await receiveMigrationTargetMessage(deps, delivered('MigrationBatchLanded', landingOf(runName, 0)))).toEqual({
      kind: 'recorded',
      type: 'MigrationBatchLanded',
      proposalId: runName,
      woke: 'task-over',
    });
    await receiveMigrationTargetMessage(deps, delivered('MigrationBatchLanded', failedOne));
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    expect(await receiveMigrationTargetMessage(deps, delivered('MigrationBatchLanded', landingOf(runName, 2)))).toMatchObject({
      kind: 'recorded',
      woke: 'woken',
    });

    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'landings-token' });
    expect(objects.json(landingReportKey(MIGRATION_ID, runName, 1))).toEqual(failedOne);
    expect(await progress.progress.read(runName)).toEqual({ land: { total: 6, done: 5, failed: 1 } });
  });

  it('counts a re-delivered report once', async () => {
    const { deps, runName } = await sourceRun(2, { on: 'LANDINGS', token: 'landings-token' });
    await receiveMigrationTargetMessage(deps, delivered('MigrationBatchLanded', landingOf(runName, 0)));

    const again = await receiveMigrationTargetMessage(deps, delivered('MigrationBatchLanded', landingOf(runName, 0)));

    expect(again).toEqual({ kind: 'duplicate', type: 'MigrationBatchLanded', proposalId: runName, woke: 'task-over' });
    expect(await progress.progress.read(runName)).toEqual({ land: { total: 4, done: 2, failed: 0 } });
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('records the last report while the source still transfers, and wakes nothing until the wait begins', async () => {
    const { deps, store, runName } = await sourceRun(1, { on: 'DECISION', token: 'decision-token' });
    expect(await receiveMigrationTargetMessage(deps, delivered('MigrationBatchLanded', landingOf(runName, 0)))).toMatchObject({
      kind: 'recorded',
      woke: 'task-over',
    });
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    expect(await store.landedBatches(runName, 1)).toBe(1);
  });
});

describe('receiveMigrationTargetMessage: what it ignores', () => {
  it('ignores a message for a run this side does not have', async () => {
    const { deps } = await sourceRun(1, { on: 'DECISION', token: 'decision-token' });
    const unknown = freshRunName();
    expect(await receiveMigrationTargetMessage(deps, delivered('MigrationDecided', decisionOf(unknown)))).toMatchObject({
      kind: 'ignored',
      reason: 'no migration run with this runName on this side',
    });
    expect(await receiveMigrationTargetMessage(deps, delivered('MigrationBatchLanded', landingOf(unknown, 0)))).toMatchObject({
      kind: 'ignored',
    });
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('ignores a message sent from another account than the peer, or about a migration with another account', async () => {
    const { deps, store, runName } = await sourceRun(1, { on: 'DECISION', token: 'decision-token' });
    expect(await receiveMigrationTargetMessage(deps, delivered('MigrationDecided', decisionOf(runName), OTHER_ACCOUNT))).toMatchObject({
      kind: 'ignored',
      reason: expect.stringContaining('not the configured peer account'),
    });
    expect(
      await receiveMigrationTargetMessage(deps, delivered('MigrationDecided', decisionOf(runName, { targetAwsAccount: OTHER_ACCOUNT }))),
    ).toMatchObject({ kind: 'ignored' });
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    expect((await store.getRun(runName))?.decision).toBeUndefined();
  });

  it("ignores a message naming another migration than the run's", async () => {
    const { deps, store, runName } = await sourceRun(1, { on: 'DECISION', token: 'decision-token' });
    const otherMigration = 'other-fleet';
    const renamed = runName.replace(MIGRATION_ID, otherMigration);
    // The same run name cannot belong to another migration; a run of this side with another migration id can.
    await store.createRun({
      side: 'SOURCE',
      migrationId: MIGRATION_ID,
      runName: renamed,
      sourceAwsAccount: SOURCE_ACCOUNT,
      targetAwsAccount: TARGET_ACCOUNT,
      executionId: EXECUTION_ID,
      batchCount: 1,
    });
    expect(
      await receiveMigrationTargetMessage(deps, delivered('MigrationDecided', decisionOf(renamed, { migrationId: otherMigration }))),
    ).toMatchObject({ kind: 'ignored', reason: 'the message names another migration or account than the run it claims' });
  });

  it('ignores a landing report for a batch the run does not have, writing and counting nothing', async () => {
    const { deps, store, objects, runName } = await sourceRun(2, { on: 'LANDINGS', token: 'landings-token' });
    expect(await receiveMigrationTargetMessage(deps, delivered('MigrationBatchLanded', landingOf(runName, 2)))).toMatchObject({
      kind: 'ignored',
      reason: "batch 2 is not one of the run's 2 batches",
    });
    expect(objects.files.size).toBe(0);
    expect(await store.landedBatches(runName, 3)).toBe(0);
  });

  it("ignores a message of the target's run record and a source message", async () => {
    const { deps, runName } = await sourceRun(1);
    const store = await tables.newMigrationStore();
    await store.createRun({
      side: 'TARGET',
      migrationId: MIGRATION_ID,
      runName,
      sourceAwsAccount: SOURCE_ACCOUNT,
      targetAwsAccount: TARGET_ACCOUNT,
      executionId: EXECUTION_ID,
      batchCount: 1,
    });
    expect(await receiveMigrationTargetMessage({ ...deps, store }, delivered('MigrationDecided', decisionOf(runName)))).toMatchObject({
      kind: 'ignored',
      reason: 'no migration run with this runName on this side',
    });
    const fromSource = { account: TARGET_ACCOUNT, source: 'certflow.source', 'detail-type': 'MigrationBatchOffered', detail: {} };
    expect(await receiveMigrationTargetMessage(deps, fromSource)).toMatchObject({ kind: 'ignored' });
  });
});
