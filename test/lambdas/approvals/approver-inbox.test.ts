import { QueryCommand, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { ApprovalLinkSigner } from '../../../lambdas/approvals/approval-link-signer';
import { ApproverInboxUnavailable, approverInboxLink } from '../../../lambdas/approvals/approver-inbox';
import { storePendingRequest } from './approval-table-fixture';
import { inboxTableFixture, type InboxTableFixture } from './approver-inbox-fixture';

const NOW = new Date('2026-11-24T10:00:00Z');
let table: InboxTableFixture;

beforeAll(async () => {
  table = await inboxTableFixture();
});
afterAll(() => table.close());

describe('ApproverInbox', () => {
  it('lists the pending requests an approver may decide, soonest deadline first, from the status index', async () => {
    const later = await storePendingRequest(table.store, NOW, { approvers: ['Dora@Example.com'], expiresAt: NOW.getTime() / 1000 + 7200 });
    const sooner = await storePendingRequest(table.store, NOW, { approvers: ['dora@example.com'], expiresAt: NOW.getTime() / 1000 + 600 });
    await storePendingRequest(table.store, NOW, { approvers: ['dora@example.com'], status: 'APPROVED' });
    await storePendingRequest(table.store, NOW, { approvers: ['dora@example.com'], expiresAt: NOW.getTime() / 1000 - 1 });
    await storePendingRequest(table.store, NOW, { approvers: ['dora@example.com'], requestedBy: 'dora@example.com' });
    await storePendingRequest(table.store, NOW, { approvers: ['erin@example.com'] });

    const list = await table.inbox.pendingFor('dora@example.com', NOW);
    expect(list.truncated).toBe(false);
    expect(list.entries.map((entry) => entry.requestId)).toEqual([sooner.requestId, later.requestId]);
    expect(list.entries[0]).toMatchObject({ status: 'PENDING', requestedBy: 'alice@example.com', certificateId: 'a'.repeat(64) });
    expect(list.entries[0]).not.toHaveProperty('taskToken');
  });

  it('says when there are more pending requests than the list holds', async () => {
    for (let index = 0; index < 3; index += 1) await storePendingRequest(table.store, NOW, { approvers: ['fred@example.com'] });
    const list = await table.inbox.pendingFor('fred@example.com', NOW, 2);
    expect(list.entries).toHaveLength(2);
    expect(list.truncated).toBe(true);
  });

  it('queries the index and never scans the table', async () => {
    const sent: QueryCommandInput[] = [];
    const spy = jest.spyOn(table.client, 'send').mockImplementation(async (command) => {
      if (!(command instanceof QueryCommand)) throw new Error(`unexpected ${command.constructor.name}`);
      sent.push(command.input);
      return { Items: [], $metadata: {} };
    });
    try {
      await table.inbox.pendingFor('gina@example.com', NOW);
    } finally {
      spy.mockRestore();
    }
    expect(sent).toEqual([
      expect.objectContaining({ IndexName: 'requestsByStatus', KeyConditionExpression: '#status = :pending AND #expiresAt > :now' }),
    ]);
  });

  it('reports a table without the status index as unavailable', async () => {
    const bare = await inboxTableFixture({ withStatusIndex: false });
    try {
      await expect(bare.inbox.pendingFor('dora@example.com', NOW)).rejects.toBeInstanceOf(ApproverInboxUnavailable);
    } finally {
      await bare.close();
    }
  });
});

describe('approverInboxLink', () => {
  it('is the page URL with /inbox and a signed inbox link that only verifies as one', () => {
    const signer = new ApprovalLinkSigner(Buffer.alloc(32, 7));
    const link = new URL(
      approverInboxLink(signer, 'https://approvals.example.com/v1/approval', 'dora@example.com', NOW.getTime() / 1000 + 60),
    );
    expect(link.pathname).toBe('/v1/approval/inbox');
    expect(signer.verifyInbox(link.searchParams, NOW)).toMatchObject({ valid: true, claims: { approver: 'dora@example.com' } });
    expect(signer.verify(link.searchParams, NOW)).toEqual({ valid: false, reason: 'wrong-kind' });
  });
});
