import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { UnverifiedDecision } from '../../../lambdas/approvals/approval-errors';
import type { ApprovalOutcome, ApprovalRequest } from '../../../lambdas/approvals/approval-request';
import { decideApproval, type DecisionDeps } from '../../../lambdas/approvals/decide-approval';
import {
  parseVerifyDecisionInput,
  verifyDecision,
  type ApprovalStepDeps,
  type VerifyDecisionInput,
} from '../../../lambdas/approvals/decision-verification';
import { InMemoryAuditTrail } from '../audit-trail/in-memory-audit-trail';
import { approvalTableFixture, decisionClaim, staleBefore, storePendingRequest, type ApprovalTableFixture } from './approval-table-fixture';
import { migrationSummary } from './migration-summary-fixture';

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
});

/** What the page sent the workflow, as the verify step receives it. */
function sentCallback(): unknown {
  const output = sfnMock.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input.output;
  return output === undefined ? undefined : JSON.parse(output);
}

function verifyInput(request: ApprovalRequest, callback: unknown): VerifyDecisionInput {
  return { executionId: request.executionId, side: request.side, callback, invocationId: 'invocation-1' };
}

function link(request: ApprovalRequest, approver = 'bob@example.com') {
  return { requestId: request.requestId, approver, expiresAt: request.expiresAt, nonce: 'n'.repeat(32) };
}

const FORGED: ApprovalOutcome = {
  decision: 'APPROVED',
  approvedBy: 'nobody-real@example.com',
  rejectReason: null,
  setAsActive: false,
  consentToPrepare: true,
};

describe('verifyDecision', () => {
  it('refuses a forged SendTaskSuccess on a PENDING request: UnverifiedDecision, an audit row, and the request stays PENDING', async () => {
    const request = await storePendingRequest(table.store, NOW);

    const verifying = verifyDecision(deps, verifyInput(request, FORGED));

    await expect(verifying).rejects.toBeInstanceOf(UnverifiedDecision);
    await expect(verifying).rejects.toMatchObject({ name: 'UnverifiedDecision', message: expect.stringContaining('PENDING') });
    expect(await table.store.get(request.requestId)).toMatchObject({ status: 'PENDING' });
    expect(auditTrail.rows).toEqual([
      expect.objectContaining({
        action: 'ApprovalUnverified',
        outcome: 'FAILED',
        errorName: 'UnverifiedDecision',
        errorMessage: expect.stringContaining('"nobody-real@example.com"'),
        certificateId: request.certificateId,
        executionId: request.executionId,
        requestedBy: 'alice@example.com',
        approvalSide: 'SOURCE',
        approvalRequestId: request.requestId,
      }),
    ]);
    // The invented approver is not recorded as one: a query by approver does not find them.
    expect(auditTrail.rows[0]).not.toHaveProperty('approvedBy');
  });

  it('returns the decision from the record once the page decided, and audits who granted it', async () => {
    const request = await storePendingRequest(table.store, NOW, {
      preparation: { deactivate: true, detachPolicies: [], attachedThings: [] },
    });
    await decideApproval(page, { link: link(request), decision: 'APPROVED', consentToPrepare: true });

    const outcome = await verifyDecision(deps, verifyInput(request, sentCallback()));

    expect(outcome).toEqual({
      decision: 'APPROVED',
      approvedBy: 'bob@example.com',
      rejectReason: null,
      setAsActive: false,
      consentToPrepare: true,
    });
    expect(await auditTrail.query('byApprover', 'bob@example.com')).toEqual([
      expect.objectContaining({
        action: 'ApprovalGranted',
        outcome: 'SUCCEEDED',
        approvedBy: 'bob@example.com',
        requestedBy: 'alice@example.com',
        certificateId: request.certificateId,
        executionId: request.executionId,
        approvalSide: 'SOURCE',
        approvalRequestId: request.requestId,
        consentToPrepare: true,
      }),
    ]);
  });

  it('audits a rejection with its reason', async () => {
    const request = await storePendingRequest(table.store, NOW);
    await decideApproval(page, {
      link: link(request, 'carol@example.com'),
      decision: 'REJECTED',
      rejectReason: 'not in the change window',
    });

    await expect(verifyDecision(deps, verifyInput(request, sentCallback()))).resolves.toMatchObject({
      decision: 'REJECTED',
      rejectReason: 'not in the change window',
    });
    expect(auditTrail.rows).toEqual([
      expect.objectContaining({ action: 'ApprovalRejected', approvedBy: 'carol@example.com', message: 'not in the change window' }),
    ]);
  });

  it.each([
    ['another approver', { approvedBy: 'nobody-real@example.com' }, 'approvedBy'],
    ['consent the approver did not give', { consentToPrepare: true }, 'consentToPrepare'],
    ['the other decision', { decision: 'REJECTED', rejectReason: 'no' }, 'decision, rejectReason'],
    ['setAsActive', { setAsActive: true }, 'setAsActive'],
  ])('refuses a callback that differs from the record: %s', async (_, change, fields) => {
    const request = await storePendingRequest(table.store, NOW);
    await decideApproval(page, { link: link(request), decision: 'APPROVED' });
    const callback = { ...(sentCallback() as object), ...change };

    await expect(verifyDecision(deps, verifyInput(request, callback))).rejects.toMatchObject({
      name: 'UnverifiedDecision',
      problem: `the callback's ${fields} differ from the approval record`,
    });
    expect(auditTrail.rows.map((row) => row.action)).toEqual(['ApprovalUnverified']);
  });

  it('verifies a claim the page made but did not settle (it died after telling the workflow) and settles it, so no later claim takes it over', async () => {
    const request = await storePendingRequest(table.store, NOW);
    const claim = decisionClaim(NOW, { consentToPrepare: false });
    await table.store.claimDecision(request.requestId, claim, staleBefore(NOW));
    const callback: ApprovalOutcome = {
      decision: 'APPROVED',
      approvedBy: 'bob@example.com',
      rejectReason: null,
      setAsActive: false,
      consentToPrepare: false,
    };

    await expect(verifyDecision(deps, verifyInput(request, callback))).resolves.toEqual(callback);

    expect(await table.store.get(request.requestId)).toMatchObject({ status: 'APPROVED', claimId: claim.claimId });
    const later = new Date(NOW.getTime() + 10 * 60_000);
    const retaken = await decideApproval(
      { ...page, now: () => later },
      { link: link(request, 'carol@example.com'), decision: 'REJECTED', rejectReason: 'no' },
    );
    expect(retaken).toMatchObject({ kind: 'refused', reason: 'not-pending' });
  });

  it('refuses a claim that holds no complete decision (made before claims carried consentToPrepare)', async () => {
    const request = await storePendingRequest(table.store, NOW, {
      status: 'DECIDING',
      decision: 'APPROVED',
      decidedBy: 'bob@example.com',
      decidedAt: NOW.toISOString(),
    });
    const callback: ApprovalOutcome = {
      decision: 'APPROVED',
      approvedBy: 'bob@example.com',
      rejectReason: null,
      setAsActive: false,
      consentToPrepare: false,
    };
    await expect(verifyDecision(deps, verifyInput(request, callback))).rejects.toMatchObject({
      problem: 'the approval record holds no complete decision',
    });
  });

  it('refuses a record whose approver is the requester, however it got there', async () => {
    const request = await storePendingRequest(table.store, NOW);
    await table.store.claimDecision(request.requestId, decisionClaim(NOW, { decidedBy: 'Alice+me@example.com' }), staleBefore(NOW));
    const callback: ApprovalOutcome = {
      decision: 'APPROVED',
      approvedBy: 'Alice+me@example.com',
      rejectReason: null,
      setAsActive: false,
      consentToPrepare: false,
    };
    await expect(verifyDecision(deps, verifyInput(request, callback))).rejects.toMatchObject({
      problem: 'the approver in the record may not decide this request',
    });
  });

  it('writes exactly one row when the step is retried', async () => {
    const request = await storePendingRequest(table.store, NOW);
    await decideApproval(page, { link: link(request), decision: 'APPROVED' });
    await verifyDecision(deps, verifyInput(request, sentCallback()));
    await verifyDecision(deps, { ...verifyInput(request, sentCallback()), invocationId: 'invocation-2' });
    expect(auditTrail.rows).toHaveLength(1);

    const forged = await storePendingRequest(table.store, NOW);
    await expect(verifyDecision(deps, verifyInput(forged, FORGED))).rejects.toThrow(UnverifiedDecision);
    await expect(verifyDecision(deps, { ...verifyInput(forged, FORGED), invocationId: 'invocation-2' })).rejects.toThrow(
      UnverifiedDecision,
    );
    expect(auditTrail.rows.map((row) => row.action)).toEqual(['ApprovalGranted', 'ApprovalUnverified']);
  });

  it('keys the row of a migration approval by migration:<id>', async () => {
    const request = await storePendingRequest(table.store, NOW, { certificateId: undefined, migration: migrationSummary() });
    await decideApproval(page, { link: link(request), decision: 'APPROVED' });
    await verifyDecision(deps, verifyInput(request, sentCallback()));
    expect(auditTrail.rows[0]).toMatchObject({
      certificateId: `migration:${migrationSummary().migrationId}`,
      migrationId: migrationSummary().migrationId,
    });
  });

  it('refuses a callback for an execution with no approval request', async () => {
    const request = await storePendingRequest(table.store, NOW);
    const input = { ...verifyInput(request, FORGED), executionId: `${request.executionId}-other` };
    await expect(verifyDecision(deps, input)).rejects.toMatchObject({
      problem: 'there is no approval request for this execution and side',
    });
    expect(auditTrail.rows[0]?.certificateId).toMatch(/^approval:/);
  });
});

describe('parseVerifyDecisionInput', () => {
  it.each([
    [{ side: 'SOURCE', callback: {} }, 'executionId'],
    [{ executionId: 'arn:x', side: 'BOTH', callback: {} }, 'side'],
  ])('refuses %o naming %s', (event, field) => {
    expect(() => parseVerifyDecisionInput(event, 'invocation-1')).toThrow(expect.objectContaining({ name: 'ValidationError', field }));
  });
});
