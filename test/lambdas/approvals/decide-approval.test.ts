import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, TaskTimedOut, InvalidToken } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { ApprovalRequest } from '../../../lambdas/approvals/approval-request';
import { cancelApprovalRequest, decideApproval, type DecisionDeps } from '../../../lambdas/approvals/decide-approval';
import { DECISION_CLAIM_LEASE_SECONDS } from '../../../lambdas/approvals/approval-request';
import { ApprovalStatusConflict } from '../../../lambdas/approvals/approval-store';
import { approvalTableFixture, decisionClaim, staleBefore, storePendingRequest, type ApprovalTableFixture } from './approval-table-fixture';

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

    expect(result).toMatchObject({
      kind: 'decided',
      request: { status: 'APPROVED', decision: 'APPROVED', decidedBy: 'bob@example.com', decidedAt: NOW.toISOString() },
    });
    expect(result).not.toHaveProperty('request.taskToken');
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

  it('rejects with the approver reason', async () => {
    const request = await pendingRequest();
    const result = await decideApproval(deps, { link: link(request), decision: 'REJECTED', rejectReason: 'not in the change window' });
    expect(result).toMatchObject({ kind: 'decided', request: { status: 'REJECTED', rejectReason: 'not in the change window' } });
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      output: JSON.stringify({
        decision: 'REJECTED',
        approvedBy: 'bob@example.com',
        rejectReason: 'not in the change window',
        setAsActive: false,
        consentToPrepare: false,
      }),
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
    expect(await decideApproval(deps, { link: link(request, 'Alice@Example.com'), decision: 'APPROVED' })).toMatchObject({
      kind: 'refused',
      reason: 'own-request',
    });
  });

  it('refuses someone who is not an approver of the request', async () => {
    const request = await pendingRequest();
    expect(await decideApproval(deps, { link: link(request, 'mallory@example.com'), decision: 'APPROVED' })).toMatchObject({
      kind: 'refused',
      reason: 'not-an-approver',
    });
  });

  it('refuses a request that does not exist', async () => {
    const request = await pendingRequest();
    expect(await decideApproval(deps, { link: { ...link(request), requestId: 'missing' }, decision: 'APPROVED' })).toEqual({
      kind: 'refused',
      reason: 'not-found',
    });
  });

  it.each([
    ['TaskTimedOut', new TaskTimedOut({ message: 'timed out', $metadata: {} })],
    ['InvalidToken', new InvalidToken({ message: 'invalid', $metadata: {} })],
  ])('marks the request EXPIRED when Step Functions answers %s', async (_, error) => {
    const request = await pendingRequest();
    sfnMock.on(SendTaskSuccessCommand).rejects(error);
    expect(await decideApproval(deps, { link: link(request), decision: 'APPROVED' })).toMatchObject({
      kind: 'refused',
      reason: 'expired',
      request: { status: 'EXPIRED' },
    });
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

describe('decideApproval with a claim left by a page that died', () => {
  const secondsAgo = (seconds: number) => new Date(NOW.getTime() - seconds * 1000);

  it('claims the whole decision, consentToPrepare included, before it tells the workflow', async () => {
    const request = await pendingRequest({ preparation: { deactivate: true, detachPolicies: [], attachedThings: [] } });
    let claimedWhenTold: ApprovalRequest | undefined;
    sfnMock.on(SendTaskSuccessCommand).callsFake(async () => {
      claimedWhenTold = await deps.store.get(request.requestId);
      return {};
    });
    await decideApproval(deps, { link: link(request), decision: 'APPROVED', consentToPrepare: true });
    expect(claimedWhenTold).toMatchObject({
      status: 'DECIDING',
      decision: 'APPROVED',
      decidedBy: 'bob@example.com',
      setAsActive: false,
      consentToPrepare: true,
      claimedAt: NOW.toISOString(),
      claimId: expect.any(String),
    });
  });

  it('decides a request again once its DECIDING claim is older than the lease', async () => {
    const request = await pendingRequest();
    await deps.store.claimDecision(
      request.requestId,
      decisionClaim(secondsAgo(DECISION_CLAIM_LEASE_SECONDS + 1), { decidedBy: 'carol@example.com' }),
      staleBefore(secondsAgo(DECISION_CLAIM_LEASE_SECONDS + 1)),
    );

    const result = await decideApproval(deps, { link: link(request), decision: 'REJECTED', rejectReason: 'not now' });

    expect(result).toMatchObject({
      kind: 'decided',
      request: { status: 'REJECTED', decidedBy: 'bob@example.com', rejectReason: 'not now', claimedAt: NOW.toISOString() },
    });
    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
  });

  it('decides a request left DECIDING by a claim without a time (made before claims had one)', async () => {
    const request = await pendingRequest({
      status: 'DECIDING',
      decision: 'APPROVED',
      decidedBy: 'carol@example.com',
      decidedAt: secondsAgo(10).toISOString(),
    });
    expect(await decideApproval(deps, { link: link(request), decision: 'APPROVED' })).toMatchObject({ kind: 'decided' });
  });

  it('refuses while a claim within its lease holds the request, without telling the workflow', async () => {
    const request = await pendingRequest();
    await deps.store.claimDecision(
      request.requestId,
      decisionClaim(secondsAgo(DECISION_CLAIM_LEASE_SECONDS - 10), { decidedBy: 'carol@example.com' }),
      staleBefore(NOW),
    );

    expect(await decideApproval(deps, { link: link(request), decision: 'APPROVED' })).toMatchObject({
      kind: 'refused',
      reason: 'not-pending',
      request: { status: 'DECIDING' },
    });
    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
  });

  it('does not let the first holder of a claim taken over settle or release it', async () => {
    const request = await pendingRequest();
    const first = decisionClaim(secondsAgo(DECISION_CLAIM_LEASE_SECONDS + 1));
    await deps.store.claimDecision(request.requestId, first, staleBefore(NOW));
    const second = decisionClaim(NOW, { decision: 'REJECTED', rejectReason: 'no', decidedBy: 'carol@example.com' });
    await deps.store.claimDecision(request.requestId, second, staleBefore(NOW));

    await expect(deps.store.settleClaim(request.requestId, first.claimId, 'APPROVED')).rejects.toBeInstanceOf(ApprovalStatusConflict);
    await deps.store.releaseClaim(request.requestId, first.claimId);
    expect(await deps.store.get(request.requestId)).toMatchObject({
      status: 'DECIDING',
      claimId: second.claimId,
      decision: 'REJECTED',
      decidedBy: 'carol@example.com',
    });
  });

  it('clears the reject reason of a taken-over claim when the new claim approves', async () => {
    const request = await pendingRequest();
    await deps.store.claimDecision(
      request.requestId,
      decisionClaim(secondsAgo(DECISION_CLAIM_LEASE_SECONDS + 1), { decision: 'REJECTED', rejectReason: 'no' }),
      staleBefore(NOW),
    );
    await decideApproval(deps, { link: link(request, 'carol@example.com'), decision: 'APPROVED' });
    expect(await deps.store.get(request.requestId)).not.toHaveProperty('rejectReason');
  });
});

describe('cancelApprovalRequest', () => {
  it('records who cancelled and when', async () => {
    const request = await pendingRequest();
    await cancelApprovalRequest(deps, request.requestId, 'bob@example.com');
    expect(await deps.store.get(request.requestId)).toMatchObject({
      status: 'CANCELLED',
      cancelledBy: 'bob@example.com',
      closedAt: NOW.toISOString(),
    });
  });

  it.each(['Alice <alice@example.com>', 'alice@example.com\u200B'])(
    'refuses a canceller spelled %j: not a bare address',
    async (cancelledBy) => {
      const request = await pendingRequest();
      expect(await cancelApprovalRequest(deps, request.requestId, cancelledBy)).toEqual({ kind: 'refused', reason: 'not-allowed' });
    },
  );

  it('lets the requester withdraw a pending request and fails the waiting task', async () => {
    const request = await pendingRequest();
    expect(await cancelApprovalRequest(deps, request.requestId, 'alice@example.com')).toMatchObject({
      kind: 'cancelled',
      request: { status: 'CANCELLED' },
    });
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: request.taskToken, error: 'RequestCancelled' });
    expect(await decideApproval(deps, { link: link(request), decision: 'APPROVED' })).toMatchObject({
      kind: 'refused',
      reason: 'not-pending',
    });
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
