import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { parseMigrationEvent } from '../../../lambdas/cross-account/migration-messages';
import { answerMigrationProposal } from '../../../lambdas/migration/target-migration-steps';
import { proposalTableFixture, type ProposalTableFixture } from '../cross-account/proposal-table-fixture';
import { freshRunName, MIGRATION_ID, SOURCE_ACCOUNT, TARGET_ACCOUNT } from './migration-fixtures';
import { proposalOf, recordTargetRun } from './target-migration-fixture';

const NOW = new Date('2026-12-01T11:00:00.000Z');
const CERTIFICATE_LIST = {
  bucket: 'certflow-migrations-111111111111-us-east-1',
  key: 'exchange/m/run/certificates.json',
  sha256: 'a'.repeat(64),
};
const events = mockClient(EventBridgeClient);
let tables: ProposalTableFixture;

beforeAll(async () => {
  tables = await proposalTableFixture();
});
afterAll(() => tables.close());
beforeEach(() => {
  events.reset();
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'event-1' }] });
});

function sentDetail(): unknown {
  const entry = events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
  return parseMigrationEvent(
    { account: TARGET_ACCOUNT, source: entry?.Source, 'detail-type': entry?.DetailType, detail: JSON.parse(entry?.Detail ?? '{}') },
    { from: 'TARGET', peerAccount: TARGET_ACCOUNT, ownAccount: SOURCE_ACCOUNT },
  );
}

describe('answerMigrationProposal', () => {
  async function answered(decision: 'APPROVED' | 'REJECTED', rejectReason: string | null) {
    const store = await tables.newMigrationStore();
    const runName = freshRunName();
    await recordTargetRun(store, proposalOf(runName, CERTIFICATE_LIST));
    const sender = { events: new EventBridgeClient({ region: 'us-east-1' }), busName: 'certflow-inbound-transfers' };
    const result = await answerMigrationProposal(
      { store, sender, now: () => NOW },
      { sourceRunName: runName, decision, decidedBy: 'dave', rejectReason },
    );
    return { runName, result };
  }

  it("sends the target approvers' approval to the source, about the run it received", async () => {
    const { runName, result } = await answered('APPROVED', 'ignored for an approval');
    expect(result).toEqual({ sent: true });
    expect(sentDetail()).toEqual({
      type: 'MigrationDecided',
      detail: {
        migrationId: MIGRATION_ID,
        runName,
        sourceAwsAccount: SOURCE_ACCOUNT,
        targetAwsAccount: TARGET_ACCOUNT,
        sentAt: NOW.toISOString(),
        decision: 'APPROVED',
        decidedBy: 'dave',
        rejectReason: null,
      },
    });
  });

  it('sends a rejection with its reason', async () => {
    await answered('REJECTED', 'unknown devices');
    expect(sentDetail()).toMatchObject({ detail: { decision: 'REJECTED', rejectReason: 'unknown devices' } });
  });

  it('names the run it has no record of, and sends nothing', async () => {
    const store = await tables.newMigrationStore();
    const sender = { events: new EventBridgeClient({ region: 'us-east-1' }), busName: 'bus' };
    await expect(
      answerMigrationProposal(
        { store, sender },
        { sourceRunName: freshRunName(), decision: 'EXPIRED', decidedBy: null, rejectReason: null },
      ),
    ).rejects.toMatchObject({ name: 'MigrationRunNotFound' });
    expect(events).not.toHaveReceivedCommand(PutEventsCommand);
  });
});
