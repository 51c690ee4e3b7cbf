import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { ApprovalRequest, MigrationSummary } from '../../../lambdas/approvals/approval-request';
import { decideApproval, type DecisionDeps } from '../../../lambdas/approvals/decide-approval';
import { approvalTableFixture, storePendingRequest, type ApprovalTableFixture } from './approval-table-fixture';
import { migrationSummary } from './migration-summary-fixture';

const sfnMock = mockClient(SFNClient);
const NOW = new Date('2026-11-24T10:00:00Z');
let table: ApprovalTableFixture;
let deps: DecisionDeps;

beforeAll(async () => {
  table = await approvalTableFixture();
  deps = { store: table.store, sfn: new SFNClient({ region: 'us-east-1' }), now: () => NOW };
});
afterAll(() => table.close());
beforeEach(() => {
  sfnMock.reset();
  sfnMock.on(SendTaskSuccessCommand).resolves({ $metadata: {} });
});

function migrationRequest(summary: Partial<MigrationSummary> = {}, change: Partial<ApprovalRequest> = {}): Promise<ApprovalRequest> {
  return storePendingRequest(deps.store, NOW, { certificateId: undefined, migration: migrationSummary(summary), ...change });
}

function link(request: ApprovalRequest) {
  return { requestId: request.requestId, approver: 'bob@example.com', expiresAt: request.expiresAt, nonce: 'n'.repeat(32) };
}

describe('decideApproval for a migration', () => {
  it('approves without consent, telling the workflow so: the certificates that need preparing then fail one by one', async () => {
    const request = await migrationRequest({ toDeactivate: 3, withPolicies: 1 });
    await expect(decideApproval(deps, { link: link(request), decision: 'APPROVED' })).resolves.toMatchObject({ kind: 'decided' });
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      taskToken: request.taskToken,
      output: JSON.stringify({
        decision: 'APPROVED',
        approvedBy: 'bob@example.com',
        rejectReason: null,
        setAsActive: false,
        consentToPrepare: false,
      }),
    });
  });

  it('sends the workflow the same outcome as for one certificate', async () => {
    const request = await migrationRequest();
    const result = await decideApproval(deps, { link: link(request), decision: 'APPROVED', consentToPrepare: true });
    expect(result).toMatchObject({ kind: 'decided', request: { status: 'APPROVED', migration: migrationSummary() } });
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      taskToken: request.taskToken,
      output: JSON.stringify({
        decision: 'APPROVED',
        approvedBy: 'bob@example.com',
        rejectReason: null,
        setAsActive: false,
        consentToPrepare: true,
      }),
    });
  });

  it('needs no consent when nothing must be prepared, nor on the target side', async () => {
    const nothing = await migrationRequest({ toDeactivate: 0, withPolicies: 0 });
    await expect(decideApproval(deps, { link: link(nothing), decision: 'APPROVED' })).resolves.toMatchObject({ kind: 'decided' });
    const target = await migrationRequest({}, { side: 'TARGET' });
    await expect(decideApproval(deps, { link: link(target), decision: 'APPROVED', setAsActive: true })).resolves.toMatchObject({
      kind: 'decided',
    });
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      taskToken: target.taskToken,
      output: JSON.stringify({
        decision: 'APPROVED',
        approvedBy: 'bob@example.com',
        rejectReason: null,
        setAsActive: true,
        consentToPrepare: false,
      }),
    });
  });
});
