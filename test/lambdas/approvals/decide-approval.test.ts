import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, TaskTimedOut, InvalidToken } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { ApprovalRequest } from '../../../lambdas/approvals/approval-request';
import { cancelApprovalRequest, decideApproval, type DecisionDeps } from '../../../lambdas/approvals/decide-approval';
import { approvalTableFixture, storePendingRequest, type ApprovalTableFixture } from './approval-table-fixture';

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
  sfnMock.on(SendTaskFailureCommand).resolves({ $metadata: {} });
});

function pendingRequest(change: Partial<ApprovalRequest> = {}): Promise<ApprovalRequest> {
  return storePendingRequest(deps.store, NOW, { ...change });
}

function link(request: ApprovalRequest, approver = 'bob@example.com') {
  return { requestId: request.requestId, approver, expiresAt: request.expiresAt, nonce: 'n'.repeat(32) };
}

describe('decideApproval', () => {
  it('approves a pending request, tells the workflow and records who decided', async () => {
    const request = await pendingRequest();

    const result = await decideApproval(deps, { link: link(request), decision: 'APPROVED' });

    expect(result).toMatchObject({ kind: 'decided', request: { status: 'APPROVED', decision: 'APPROVED', decidedBy: 'bob@example.com', decidedAt: NOW.toISOString() } });
    expect(result).not.toHaveProperty('request.taskToken');
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      taskToken: request.taskToken,
      output: JSON.stringify({ decision: 'APPROVED', approvedBy: 'bob@example.com', rejectReason: null, setAsActive: false, consentToPrepare: false }),
    });
  });

  it('rejects with the approver reason', async () => {
    const request = await pendingRequest();
    const result = await decideApproval(deps, { link: link(request), decision: 'REJECTED', rejectReason: 'not in the change window' });
    expect(result).toMatchObject({ kind: 'decided', request: { status: 'REJECTED', rejectReason: 'not in the change window' } });
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      output: JSON.stringify({ decision: 'REJECTED', approvedBy: 'bob@example.com', rejectReason: 'not in the change window', setAsActive: false, consentToPrepare: false }),
    });
  });

  it.each([
    [{ decision: 'REJECTED' as const }, 'rejectReason: is required to reject, at most 128 characters'],
    [{ decision: 'REJECTED' as const, rejectReason: 'x'.repeat(129) }, 'rejectReason: must be at most 128 characters long (got 129)'],
  ])('refuses %o with a ValidationError and leaves the request pending', async (change, message) => {
    const request = await pendingRequest();
    await expect(decideApproval(deps, { link: link(request), ...change })).rejects.toMatchObject({ name: 'ValidationError', message });
    expect(await deps.store.get(request.requestId)).toMatchObject({ status: 'PENDING' });
    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
  });

  it('requires consent to prepare when the certificate must be deactivated or have policies detached', async () => {
    const request = await pendingRequest({ preparation: { deactivate: true, detachPolicies: ['device-policy'], attachedThings: [] } });
    await expect(decideApproval(deps, { link: link(request), decision: 'APPROVED' })).rejects.toMatchObject({ field: 'consentToPrepare' });
    const result = await decideApproval(deps, { link: link(request), decision: 'APPROVED', consentToPrepare: true });
    expect(result.kind).toBe('decided');
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, { output: expect.stringContaining('"consentToPrepare":true') });
  });

  it('passes the target approver choice of setAsActive', async () => {
    const request = await pendingRequest({ side: 'TARGET' });
    await decideApproval(deps, { link: link(request), decision: 'APPROVED', setAsActive: 'true' as unknown as boolean });
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, { output: expect.stringContaining('"setAsActive":true') });
  });

  it('refuses a second decision on the same request (a reused link)', async () => {
    const request = await pendingRequest();
    await decideApproval(deps, { link: link(request), decision: 'APPROVED' });
    const again = await decideApproval(deps, { link: link(request, 'carol@example.com'), decision: 'REJECTED', rejectReason: 'no' });
    expect(again).toMatchObject({ kind: 'refused', reason: 'not-pending' });
    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
  });

  it('lets exactly one of two simultaneous decisions through', async () => {
    const request = await pendingRequest();
    const results = await Promise.all([
      decideApproval(deps, { link: link(request), decision: 'APPROVED' }),
      decideApproval(deps, { link: link(request, 'carol@example.com'), decision: 'REJECTED', rejectReason: 'no' }),
    ]);
    expect(results.map((result) => result.kind).sort()).toEqual(['decided', 'refused']);
    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
  });

  it('refuses after the deadline without telling the workflow', async () => {
    const request = await pendingRequest({ expiresAt: NOW.getTime() / 1000 });
    expect(await decideApproval(deps, { link: link(request), decision: 'APPROVED' })).toMatchObject({ kind: 'refused', reason: 'expired' });
    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
  });

  it('refuses the requester approving their own request, whatever the case of the address', async () => {
    const request = await pendingRequest();
    expect(await decideApproval(deps, { link: link(request, 'Alice@Example.com'), decision: 'APPROVED' })).toMatchObject({ kind: 'refused', reason: 'own-request' });
  });

  it('refuses someone who is not an approver of the request', async () => {
    const request = await pendingRequest();
    expect(await decideApproval(deps, { link: link(request, 'mallory@example.com'), decision: 'APPROVED' })).toMatchObject({ kind: 'refused', reason: 'not-an-approver' });
  });

  it('refuses a request that does not exist', async () => {
    const request = await pendingRequest();
    expect(await decideApproval(deps, { link: { ...link(request), requestId: 'missing' }, decision: 'APPROVED' })).toEqual({ kind: 'refused', reason: 'not-found' });
  });

  it.each([
    ['TaskTimedOut', new TaskTimedOut({ message: 'timed out', $metadata: {} })],
    ['InvalidToken', new InvalidToken({ message: 'invalid', $metadata: {} })],
  ])('marks the request EXPIRED when Step Functions answers %s', async (_, error) => {
    const request = await pendingRequest();
    sfnMock.on(SendTaskSuccessCommand).rejects(error);
    expect(await decideApproval(deps, { link: link(request), decision: 'APPROVED' })).toMatchObject({ kind: 'refused', reason: 'expired', request: { status: 'EXPIRED' } });
  });

  it('puts the request back to PENDING when the workflow cannot be told just now, so the link still works', async () => {
    const request = await pendingRequest();
    sfnMock.on(SendTaskSuccessCommand).rejectsOnce(new Error('socket hang up')).resolves({ $metadata: {} });

    expect(await decideApproval(deps, { link: link(request), decision: 'APPROVED' })).toEqual({ kind: 'try-again' });
    const released = await deps.store.get(request.requestId);
    expect(released).toMatchObject({ status: 'PENDING' });
    expect(released).not.toHaveProperty('decidedBy');

    expect(await decideApproval(deps, { link: link(request), decision: 'APPROVED' })).toMatchObject({ kind: 'decided' });
  });
});

describe('cancelApprovalRequest', () => {
  it('lets the requester withdraw a pending request and fails the waiting task', async () => {
    const request = await pendingRequest();
    expect(await cancelApprovalRequest(deps, request.requestId, 'alice@example.com')).toMatchObject({ kind: 'cancelled', request: { status: 'CANCELLED' } });
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: request.taskToken, error: 'RequestCancelled' });
    expect(await decideApproval(deps, { link: link(request), decision: 'APPROVED' })).toMatchObject({ kind: 'refused', reason: 'not-pending' });
  });

  it('refuses someone who neither requested nor approves it', async () => {
    const request = await pendingRequest();
    expect(await cancelApprovalRequest(deps, request.requestId, 'mallory@example.com')).toEqual({ kind: 'refused', reason: 'not-allowed' });
  });

  it('refuses a request already decided', async () => {
    const request = await pendingRequest();
    await decideApproval(deps, { link: link(request), decision: 'APPROVED' });
    expect(await cancelApprovalRequest(deps, request.requestId, 'alice@example.com')).toEqual({ kind: 'refused', reason: 'not-pending' });
  });
});

describe('ApprovalStore', () => {
  it('returns the stored request when a retried step creates it again', async () => {
    const request = await pendingRequest();
    const again = await deps.store.create({ ...request, taskToken: 'another-token' });
    expect(again).toEqual({ request, created: false });
  });
});
