import { ExecutionAlreadyExists, SFNClient, SendTaskSuccessCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { migrationRecordKeys, type MigrationExchangeStore } from '../../../lambdas/cross-account/migration-exchange-store';
import type { MigrationBatchOffered, MigrationProposed } from '../../../lambdas/cross-account/migration-messages';
import {
  isMigrationMessage,
  receiveMigrationSourceMessage,
  type MigrationSourceReceiverDeps,
} from '../../../lambdas/cross-account/receive-migration-source-message';
import { awaitBatchOffer } from '../../../lambdas/migration/target-migration-steps';
import { freshRunName, OTHER_ACCOUNT, SOURCE_ACCOUNT, TARGET_ACCOUNT } from '../migration/migration-fixtures';
import { batchOfferOf, proposalOf, targetExecutionIdOf, TARGET_MIGRATION_MACHINE } from '../migration/target-migration-fixture';
import { proposalTableFixture, type ProposalTableFixture } from './proposal-table-fixture';

const CERTIFICATE_LIST = {
  bucket: 'certflow-migrations-111111111111-us-east-1',
  key: 'exchange/m/run/certificates.json',
  sha256: 'a'.repeat(64),
};
const OFFER_SHEET = { bucket: 'certflow-migrations-111111111111-us-east-1', key: 'exchange/m/run/offers/0.json', sha256: 'b'.repeat(64) };

const sfnMock = mockClient(SFNClient);
let tables: ProposalTableFixture;

beforeAll(async () => {
  tables = await proposalTableFixture();
});
afterAll(() => tables.close());
beforeEach(() => {
  sfnMock.reset();
  sfnMock.on(SendTaskSuccessCommand).resolves({});
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'arn', startDate: new Date() });
});

/** The event EventBridge delivers to the target for a message the source sent. */
function delivered(type: string, detail: MigrationProposed | MigrationBatchOffered, account = SOURCE_ACCOUNT) {
  return { account, source: 'certflow.source', 'detail-type': type, detail };
}

async function receiver(): Promise<{ deps: MigrationSourceReceiverDeps; store: MigrationExchangeStore }> {
  const store = await tables.newMigrationStore();
  return {
    store,
    deps: {
      store,
      sfn: new SFNClient({ region: 'us-east-1' }),
      peerAccount: SOURCE_ACCOUNT,
      ownAccount: TARGET_ACCOUNT,
      migrationStateMachineArn: TARGET_MIGRATION_MACHINE,
    },
  };
}

describe('receiveMigrationSourceMessage', () => {
  it('records a proposal and starts its target run, once however often the proposal arrives', async () => {
    const { deps, store } = await receiver();
    const runName = freshRunName();
    const proposal = proposalOf(runName, CERTIFICATE_LIST);
    sfnMock
      .on(StartExecutionCommand)
      .resolvesOnce({ executionArn: targetExecutionIdOf(runName), startDate: new Date() })
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));

    const first = await receiveMigrationSourceMessage(deps, delivered('MigrationProposed', proposal));
    const again = await receiveMigrationSourceMessage(deps, delivered('MigrationProposed', proposal));

    const executionName = runName.replace('-out-', '-in-');
    expect(first).toEqual({ kind: 'started', proposalId: migrationRecordKeys.run(runName), executionName });
    expect(again).toMatchObject({ kind: 'duplicate', type: 'MigrationProposed' });
    // The same name and input both times: Step Functions starts one execution.
    const starts = sfnMock.commandCalls(StartExecutionCommand).map((call) => call.args[0].input);
    expect(starts).toHaveLength(2);
    for (const start of starts) {
      expect(start).toEqual({
        stateMachineArn: TARGET_MIGRATION_MACHINE,
        name: executionName,
        input: JSON.stringify({ migrationId: proposal.migrationId, sourceRunName: runName }),
      });
    }
    expect(await store.getRun(runName)).toMatchObject({
      side: 'TARGET',
      executionId: targetExecutionIdOf(runName),
      batchCount: proposal.batchCount,
      proposal,
    });
  });

  it('ignores a proposal sent from another account than the peer, whatever its detail says, and starts nothing', async () => {
    const { deps, store } = await receiver();
    const runName = freshRunName();
    const result = await receiveMigrationSourceMessage(
      deps,
      delivered('MigrationProposed', proposalOf(runName, CERTIFICATE_LIST), OTHER_ACCOUNT),
    );
    expect(result).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('not the configured peer account') });
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(await store.getRun(runName)).toBeUndefined();
  });

  it('ignores a proposal about a migration between other accounts', async () => {
    const { deps } = await receiver();
    const proposal = proposalOf(freshRunName(), CERTIFICATE_LIST, { targetAwsAccount: OTHER_ACCOUNT });
    expect(await receiveMigrationSourceMessage(deps, delivered('MigrationProposed', proposal))).toMatchObject({ kind: 'ignored' });
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('ignores an offer for a run this side never received, and one for a batch the run does not have', async () => {
    const { deps } = await receiver();
    const unknown = await receiveMigrationSourceMessage(
      deps,
      delivered('MigrationBatchOffered', batchOfferOf(freshRunName(), 0, OFFER_SHEET)),
    );
    expect(unknown).toMatchObject({ kind: 'ignored', reason: 'no migration run with this runName on this side' });

    const runName = freshRunName();
    await receiveMigrationSourceMessage(deps, delivered('MigrationProposed', proposalOf(runName, CERTIFICATE_LIST)));
    const beyond = await receiveMigrationSourceMessage(deps, delivered('MigrationBatchOffered', batchOfferOf(runName, 2, OFFER_SHEET)));
    expect(beyond).toMatchObject({ kind: 'ignored', reason: 'the run has 2 batches, not a batch 2' });
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it("ignores a message of the target's side and an event that is not certflow's", async () => {
    const { deps } = await receiver();
    const decided = { account: SOURCE_ACCOUNT, source: 'certflow.target', 'detail-type': 'MigrationDecided', detail: {} };
    expect(await receiveMigrationSourceMessage(deps, decided)).toMatchObject({ kind: 'ignored' });
    expect(await receiveMigrationSourceMessage(deps, 'not an event')).toMatchObject({ kind: 'ignored' });
  });
});

describe('waking the map item of a batch', () => {
  async function proposedRun() {
    const { deps, store } = await receiver();
    const runName = freshRunName();
    await receiveMigrationSourceMessage(deps, delivered('MigrationProposed', proposalOf(runName, CERTIFICATE_LIST)));
    sfnMock.resetHistory();
    return { deps, store, runName, offer: delivered('MigrationBatchOffered', batchOfferOf(runName, 1, OFFER_SHEET)) };
  }

  it('wakes the item once when it waits before the offer arrives', async () => {
    const { deps, store, runName, offer } = await proposedRun();
    expect(await awaitBatchOffer({ store, sfn: deps.sfn }, { sourceRunName: runName, batch: 1, taskToken: 'token-1' })).toEqual({
      waiting: true,
    });
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);

    expect(await receiveMigrationSourceMessage(deps, offer)).toEqual({
      kind: 'recorded',
      type: 'MigrationBatchOffered',
      proposalId: migrationRecordKeys.batch(runName, 1),
      woke: 'woken',
    });
    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'token-1' });
    expect((await store.getBatchOffer(runName, 1))?.offer).toMatchObject({ batch: 1, offerSheet: OFFER_SHEET });
  });

  it('wakes the item once when the offer arrives before it waits', async () => {
    const { deps, store, runName, offer } = await proposedRun();
    expect(await receiveMigrationSourceMessage(deps, offer)).toMatchObject({ kind: 'recorded', woke: 'not-waiting' });
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);

    await awaitBatchOffer({ store, sfn: deps.sfn }, { sourceRunName: runName, batch: 1, taskToken: 'token-2' });
    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'token-2' });
  });

  it('keeps the first offer of a batch and wakes the item again on a re-delivery, in case the first wake was lost', async () => {
    const { deps, store, runName, offer } = await proposedRun();
    await awaitBatchOffer({ store, sfn: deps.sfn }, { sourceRunName: runName, batch: 1, taskToken: 'token-3' });
    await receiveMigrationSourceMessage(deps, offer);
    const forged = delivered('MigrationBatchOffered', { ...batchOfferOf(runName, 1, { ...OFFER_SHEET, sha256: 'c'.repeat(64) }) });
    expect(await receiveMigrationSourceMessage(deps, forged)).toMatchObject({ kind: 'duplicate', woke: 'woken' });
    expect((await store.getBatchOffer(runName, 1))?.offer?.offerSheet).toEqual(OFFER_SHEET);
  });

  it('refuses to wait for a batch of a run this side never received', async () => {
    const { deps, store } = await receiver();
    await expect(
      awaitBatchOffer({ store, sfn: deps.sfn }, { sourceRunName: freshRunName(), batch: 0, taskToken: 't' }),
    ).rejects.toMatchObject({
      name: 'MigrationRunNotFound',
    });
  });
});

describe('isMigrationMessage', () => {
  it('tells the migration messages from the single transfer messages', () => {
    expect(isMigrationMessage({ 'detail-type': 'MigrationBatchOffered' })).toBe(true);
    expect(isMigrationMessage({ 'detail-type': 'MigrationBatchLanded' })).toBe(true);
    expect(isMigrationMessage({ 'detail-type': 'TransferProposed' })).toBe(false);
    expect(isMigrationMessage(null)).toBe(false);
  });
});
