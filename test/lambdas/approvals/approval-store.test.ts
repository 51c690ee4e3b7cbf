import { REMINDER_DUE } from '../../../lambdas/approvals/approval-request';
import { approvalTableFixture, storePendingRequest, type ApprovalTableFixture, decisionClaim, staleBefore } from './approval-table-fixture';
import { migrationSummary } from './migration-summary-fixture';

const NOW = new Date('2026-11-24T10:00:00Z');
let table: ApprovalTableFixture;

beforeAll(async () => {
  table = await approvalTableFixture();
});
afterAll(() => table.close());

describe('ApprovalStore with a migration request', () => {
  it('stores the migration summary and reads it back whole, without a certificate id', async () => {
    const request = await storePendingRequest(table.store, NOW, { certificateId: undefined, migration: migrationSummary() });
    const stored = await table.store.get(request.requestId);
    expect(stored?.migration).toEqual(migrationSummary());
    expect(stored).not.toHaveProperty('certificateId');
  });

  it('round-trips an empty summary', async () => {
    const empty = migrationSummary({ certificateCount: 0, statusCounts: {}, sampleCertificateIds: [] });
    const request = await storePendingRequest(table.store, NOW, { certificateId: undefined, migration: empty });
    expect((await table.store.get(request.requestId))?.migration).toEqual(empty);
  });

  it('keeps the summary through a decision and in the reminder index', async () => {
    const request = await storePendingRequest(table.store, NOW, {
      certificateId: undefined,
      migration: migrationSummary(),
      remindAt: NOW.toISOString(),
      reminderDue: REMINDER_DUE,
    });
    const due = await table.store.dueReminders(NOW);
    expect(due.find((candidate) => candidate.requestId === request.requestId)?.migration).toEqual(migrationSummary());
    const claimed = await table.store.claimDecision(request.requestId, decisionClaim(NOW), staleBefore(NOW));
    expect(claimed.migration).toEqual(migrationSummary());
  });

  it('still stores a single-certificate request without a migration', async () => {
    const request = await storePendingRequest(table.store, NOW);
    const stored = await table.store.get(request.requestId);
    expect(stored?.certificateId).toBe('a'.repeat(64));
    expect(stored).not.toHaveProperty('migration');
  });
});
