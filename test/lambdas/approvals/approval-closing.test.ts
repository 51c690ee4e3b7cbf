import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, TaskTimedOut } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { closeApprovalRequest, parseCloseApprovalInput, type CloseApprovalInput } from '../../../lambdas/approvals/approval-closing';
import type { ApprovalClosing, ApprovalRequest } from '../../../lambdas/approvals/approval-request';
import { cancelApprovalRequest, decideApproval, type DecisionDeps } from '../../../lambdas/approvals/decide-approval';
import type { ApprovalStepDeps } from '../../../lambdas/approvals/decision-verification';
import { InMemoryAuditTrail } from '../audit-trail/in-memory-audit-trail';
import { approvalTableFixture, decisionClaim, staleBefore, storePendingRequest, type ApprovalTableFixture } from './approval-table-fixture';

const sfnMock = mockClient(SFNClient);
const NOW = new Date('2026-11-24T10:00:00Z');
let table: ApprovalTableFixture;
let auditTrail: InMemoryAuditTrail;
let deps: ApprovalStepDeps;
let page: DecisionDeps;

beforeAll(async () => {
  table = await approvalTableFixture();
  page = { store: table.store, sfn: new SFNClient({ region: 'us-east-1' }), now: () => NOW };
});
afterAll(() => table.close());
beforeEach(() => {
  auditTrail = new InMemoryAuditTrail();
  deps = { store: table.store, auditTrail, now: () => NOW };
  sfnMock.reset();
  sfnMock.on(SendTaskSuccessCommand).resolves({ $metadata: {} });
  sfnMock.on(SendTaskFailureCommand).resolves({ $metadata: {} });
});

function closing(request: ApprovalRequest, status: ApprovalClosing, invocationId = 'invocation-1'): CloseApprovalInput {
  return { executionId: request.executionId, side: request.side, status, invocationId };
}

describe('closeApprovalRequest', () => {
  it('settles a request nobody decided EXPIRED when the approval task timed out, and audits it once however often it runs', async () => {
    const request = await storePendingRequest(table.store, NOW);

    expect(await closeApprovalRequest(deps, closing(request, 'EXPIRED'))).toEqual({ requestId: request.requestId, status: 'EXPIRED' });
    await closeApprovalRequest(deps, closing(request, 'EXPIRED', 'invocation-2'));

    expect(await table.store.get(request.requestId)).toMatchObject({ status: 'EXPIRED', closedAt: NOW.toISOString() });
    expect(auditTrail.rows).toEqual([
      expect.objectContaining({
        action: 'ApprovalExpired',
        outcome: 'SUCCEEDED',
        certificateId: request.certificateId,
        requestedBy: 'alice@example.com',
        executionId: request.executionId,
        approvalSide: 'SOURCE',
      }),
    ]);
    expect(auditTrail.rows[0]).not.toHaveProperty('message');
  });

  it('settles a claim left DECIDING EXPIRED; the claim holder, told the task timed out, leaves it so', async () => {
    const request = await storePendingRequest(table.store, NOW);
    sfnMock.on(SendTaskSuccessCommand).callsFake(async () => {
      // The timeout is caught and the close step runs while the page is telling the workflow.
      await closeApprovalRequest(deps, closing(request, 'EXPIRED'));
      throw new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} });
    });

    const decided = await decideApproval(page, {
      link: { requestId: request.requestId, approver: 'bob@example.com', expiresAt: request.expiresAt, nonce: 'n'.repeat(32) },
      decision: 'APPROVED',
    });

    expect(decided).toMatchObject({ kind: 'refused', reason: 'expired', request: { status: 'EXPIRED' } });
    expect(await table.store.get(request.requestId)).toMatchObject({ status: 'EXPIRED' });
    expect(auditTrail.rows.map((row) => row.action)).toEqual(['ApprovalExpired']);
  });

  it('audits a cancel with who cancelled, leaving the cancelled request as it is', async () => {
    const request = await storePendingRequest(table.store, NOW);
    await cancelApprovalRequest(page, request.requestId, 'alice@example.com');

    expect(await closeApprovalRequest(deps, closing(request, 'CANCELLED'))).toMatchObject({ status: 'CANCELLED' });

    expect(await table.store.get(request.requestId)).toMatchObject({ status: 'CANCELLED', cancelledBy: 'alice@example.com' });
    expect(await auditTrail.query('byRequester', 'alice@example.com')).toEqual([
      expect.objectContaining({ action: 'ApprovalCancelled', cancelledBy: 'alice@example.com' }),
    ]);
    expect(auditTrail.rows[0]).not.toHaveProperty('message');
  });

  it('settles a PENDING request CANCELLED when its task was failed from outside certflow, and says so in the row', async () => {
    const request = await storePendingRequest(table.store, NOW);
    await closeApprovalRequest(deps, closing(request, 'CANCELLED'));
    expect(await table.store.get(request.requestId)).toMatchObject({ status: 'CANCELLED' });
    expect(auditTrail.rows[0]).toMatchObject({ action: 'ApprovalCancelled', message: expect.stringContaining('outside certflow') });
    expect(auditTrail.rows[0]).not.toHaveProperty('cancelledBy');
  });

  it('leaves a decided request as it is and says so in the row', async () => {
    const request = await storePendingRequest(table.store, NOW);
    const claim = decisionClaim(NOW);
    await table.store.claimDecision(request.requestId, claim, staleBefore(NOW));
    await table.store.settleClaim(request.requestId, claim.claimId, 'APPROVED');
    expect(await closeApprovalRequest(deps, closing(request, 'EXPIRED'))).toMatchObject({ status: 'APPROVED' });
    expect(auditTrail.rows[0]).toMatchObject({ action: 'ApprovalExpired', message: 'the approval record is APPROVED' });
  });
});

describe('parseCloseApprovalInput', () => {
  it('refuses a status other than EXPIRED or CANCELLED', () => {
    expect(() => parseCloseApprovalInput({ executionId: 'arn:x', side: 'SOURCE', status: 'APPROVED' }, 'invocation-1')).toThrow(
      'status: must be EXPIRED or CANCELLED',
    );
  });
});
