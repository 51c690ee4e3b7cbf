import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { createHash } from 'node:crypto';
import { exchangeKeys } from '../../../lambdas/cross-account/exchange-objects';
import type { MigrationExchangeStore } from '../../../lambdas/cross-account/migration-exchange-store';
import { parseMigrationEvent, type MigrationDecided, type MigrationProposed } from '../../../lambdas/cross-account/migration-messages';
import type { CertificateToMove } from '../../../lambdas/migration/plan-outbound-migration';
import {
  awaitLandings,
  proposeMigration,
  readTargetDecision,
  type ProposeMigrationRequest,
  type SourceMigrationDeps,
} from '../../../lambdas/migration/source-migration-steps';
import { proposalTableFixture, type ProposalTableFixture } from '../cross-account/proposal-table-fixture';
import {
  certificateArnOf,
  certificateIdOf,
  EXECUTION_ID,
  freshRunName,
  InMemoryMigrationObjects,
  MIGRATION_ID,
  SOURCE_ACCOUNT,
  TARGET_ACCOUNT,
} from './migration-fixtures';
import { migrationBucketsFixture, REGION, SOURCE_BUCKET, type MigrationBucketsFixture } from './target-migration-fixture';

const ITEMS_KEY = 'migrations/eu-fleet-2026_11/runs/run/transfer-items.json';

const sfnMock = mockClient(SFNClient);
const events = mockClient(EventBridgeClient);
let tables: ProposalTableFixture;
let buckets: MigrationBucketsFixture;

beforeAll(async () => {
  [tables, buckets] = await Promise.all([proposalTableFixture(), migrationBucketsFixture()]);
});
afterAll(() => Promise.all([tables.close(), buckets.close()]));
beforeEach(() => {
  sfnMock.reset();
  sfnMock.on(SendTaskSuccessCommand).resolves({});
  events.reset();
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'event-1' }] });
});

function itemsOf(count: number): CertificateToMove[] {
  return Array.from({ length: count }, (_, position) => ({
    certificateId: certificateIdOf(position + 1),
    certificateArn: certificateArnOf(certificateIdOf(position + 1)),
    status: position === 0 ? 'ACTIVE' : 'INACTIVE',
    policies: ['sensor-policy'],
    position,
  }));
}

async function sourceSide(items = itemsOf(3)): Promise<{ deps: SourceMigrationDeps; store: MigrationExchangeStore }> {
  const store = await tables.newMigrationStore();
  const objects = new InMemoryMigrationObjects();
  await objects.writeJson(ITEMS_KEY, items);
  return {
    store,
    deps: {
      store,
      sfn: new SFNClient({ region: REGION }),
      s3: buckets.sourceS3,
      objects,
      bucket: SOURCE_BUCKET,
      sender: { events: new EventBridgeClient({ region: REGION }), busName: 'certflow-outbound-transfers' },
      accountId: SOURCE_ACCOUNT,
      now: () => new Date('2026-12-01T10:00:00.000Z'),
    },
  };
}

function proposeRequest(runName: string, change: Partial<ProposeMigrationRequest> = {}): ProposeMigrationRequest {
  return {
    migrationId: MIGRATION_ID,
    runName,
    executionId: EXECUTION_ID,
    targetAwsAccount: TARGET_ACCOUNT,
    requestedBy: 'alice@example.com',
    reason: 'consolidate the EU fleet',
    transferMessage: null,
    sourceApprovedBy: 'bob@example.com',
    itemsKey: ITEMS_KEY,
    batchSize: 2,
    batchCount: 2,
    activeCount: 1,
    policies: { 'sensor-policy': 3 },
    taskToken: 'decision-token-1',
    ...change,
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

/** The proposals the step sent, as the target's receiver would read them. */
function sentProposals(): MigrationProposed[] {
  return events.commandCalls(PutEventsCommand).map((call) => {
    const entry = call.args[0].input.Entries?.[0];
    const message = parseMigrationEvent(
      { account: SOURCE_ACCOUNT, source: entry?.Source, 'detail-type': entry?.DetailType, detail: JSON.parse(entry?.Detail ?? '{}') },
      { from: 'SOURCE', peerAccount: SOURCE_ACCOUNT, ownAccount: TARGET_ACCOUNT },
    );
    if (message.type !== 'MigrationProposed') throw new Error(`sent ${message.type}`);
    return message.detail;
  });
}

describe('proposeMigration', () => {
  it('records the run with its token, publishes the certificate list and proposes the migration once', async () => {
    const { deps, store } = await sourceSide();
    const runName = freshRunName();

    expect(await proposeMigration(deps, proposeRequest(runName))).toEqual({ proposed: true });

    const key = exchangeKeys.certificateList(MIGRATION_ID, runName);
    const object = await buckets.sourceS3.send(new GetObjectCommand({ Bucket: SOURCE_BUCKET, Key: key }));
    const body = (await object.Body?.transformToString('utf8')) ?? '';
    expect(JSON.parse(body)).toEqual({ migrationId: MIGRATION_ID, certificateIds: [1, 2, 3].map(certificateIdOf) });
    expect(sentProposals()).toEqual([
      {
        migrationId: MIGRATION_ID,
        runName,
        sourceAwsAccount: SOURCE_ACCOUNT,
        targetAwsAccount: TARGET_ACCOUNT,
        sentAt: '2026-12-01T10:00:00.000Z',
        requestedBy: 'alice@example.com',
        reason: 'consolidate the EU fleet',
        transferMessage: null,
        sourceApprovedBy: 'bob@example.com',
        certificateCount: 3,
        activeCount: 1,
        policies: { 'sensor-policy': 3 },
        certificateList: { bucket: SOURCE_BUCKET, key, sha256: createHash('sha256').update(body, 'utf8').digest('hex') },
        batchSize: 2,
        batchCount: 2,
      },
    ]);
    expect(await store.getRun(runName)).toMatchObject({
      side: 'SOURCE',
      migrationId: MIGRATION_ID,
      sourceAwsAccount: SOURCE_ACCOUNT,
      targetAwsAccount: TARGET_ACCOUNT,
      executionId: EXECUTION_ID,
      batchCount: 2,
      awaiting: 'DECISION',
      taskToken: 'decision-token-1',
    });
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('keeps the new token of a retried step and proposes again while no decision has arrived', async () => {
    const { deps, store } = await sourceSide();
    const runName = freshRunName();
    await proposeMigration(deps, proposeRequest(runName));
    await proposeMigration(deps, proposeRequest(runName, { taskToken: 'decision-token-2' }));
    expect(sentProposals()).toHaveLength(2);
    expect(await store.getRun(runName)).toMatchObject({ awaiting: 'DECISION', taskToken: 'decision-token-2' });
  });

  it('wakes its own token and sends nothing when the decision was recorded before the step ran again', async () => {
    const { deps, store } = await sourceSide();
    const runName = freshRunName();
    await proposeMigration(deps, proposeRequest(runName));
    await store.recordDecision(runName, decisionOf(runName));
    events.resetHistory();

    await proposeMigration(deps, proposeRequest(runName, { taskToken: 'decision-token-2' }));

    expect(events).not.toHaveReceivedCommand(PutEventsCommand);
    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'decision-token-2' });
  });
});

describe('readTargetDecision', () => {
  it("reads the decision from this side's record", async () => {
    const { deps, store } = await sourceSide();
    const runName = freshRunName();
    await proposeMigration(deps, proposeRequest(runName));
    await store.recordDecision(runName, decisionOf(runName, { decision: 'REJECTED', rejectReason: 'not this quarter' }));
    expect(await readTargetDecision(deps, { runName })).toEqual({
      decision: 'REJECTED',
      decidedBy: 'dave@example.com',
      rejectReason: 'not this quarter',
    });
  });

  it('fails TargetDecisionMissing when the step was woken without a recorded decision', async () => {
    const { deps } = await sourceSide();
    const runName = freshRunName();
    await proposeMigration(deps, proposeRequest(runName));
    await expect(readTargetDecision(deps, { runName })).rejects.toMatchObject({ name: 'TargetDecisionMissing' });
  });
});

describe('awaitLandings', () => {
  async function proposedRun(batchCount: number) {
    const side = await sourceSide();
    const runName = freshRunName();
    await proposeMigration(side.deps, proposeRequest(runName, { batchCount }));
    sfnMock.resetHistory();
    return { ...side, runName };
  }

  it('keeps its token and waits while a batch has not landed', async () => {
    const { deps, store, runName } = await proposedRun(3);
    await store.recordLandedBatch(runName, 0, 3);
    await store.recordLandedBatch(runName, 2, 3);

    expect(await awaitLandings(deps, { runName, batchCount: 3, taskToken: 'landings-token' })).toEqual({ landedBatches: 2 });

    expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    expect(await store.getRun(runName)).toMatchObject({ awaiting: 'LANDINGS', taskToken: 'landings-token' });
  });

  it('wakes itself at once when every batch has landed before it waited', async () => {
    const { deps, store, runName } = await proposedRun(3);
    for (const batch of [0, 1, 2]) await store.recordLandedBatch(runName, batch, 3);

    expect(await awaitLandings(deps, { runName, batchCount: 3, taskToken: 'landings-token' })).toEqual({ landedBatches: 3 });

    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'landings-token' });
  });

  it('fails for a run this side never recorded', async () => {
    const { deps } = await sourceSide();
    await expect(awaitLandings(deps, { runName: freshRunName(), batchCount: 1, taskToken: 't' })).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
    });
  });
});
