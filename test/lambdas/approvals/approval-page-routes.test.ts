import { randomBytes } from 'node:crypto';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ApprovalLinkSigner } from '../../../lambdas/approvals/approval-link-signer';
import { serveApprovalPage, type ApprovalPageDeps } from '../../../lambdas/approvals/approval-page-routes';
import type { ApprovalRequest } from '../../../lambdas/approvals/approval-request';
import { approvalTableFixture, storePendingRequest, type ApprovalTableFixture } from './approval-table-fixture';

const sfnMock = mockClient(SFNClient);
const NOW = new Date('2026-11-24T10:00:00Z');
const signer = new ApprovalLinkSigner(randomBytes(32));
let table: ApprovalTableFixture;
let deps: ApprovalPageDeps;

beforeAll(async () => {
  table = await approvalTableFixture();
  deps = { store: table.store, sfn: new SFNClient({ region: 'us-east-1' }), signer, now: () => NOW };
});
afterAll(() => table.close());
beforeEach(() => {
  sfnMock.reset();
  sfnMock.on(SendTaskSuccessCommand).resolves({ $metadata: {} });
});

function pendingRequest(change: Partial<ApprovalRequest> = {}): Promise<ApprovalRequest> {
  return storePendingRequest(deps.store, NOW, { certificateId: 'd'.repeat(64), transferMessage: '<script>alert(1)</script>', preparation: { deactivate: true, detachPolicies: ['device-policy'], attachedThings: [] }, approvers: ['bob@example.com'], ...change });
}

function linkFor(request: ApprovalRequest, approver = 'bob@example.com'): URLSearchParams {
  return signer.sign({ requestId: request.requestId, approver, expiresAt: request.expiresAt, nonce: ApprovalLinkSigner.newNonce() });
}

const get = (query: URLSearchParams) => serveApprovalPage(deps, { method: 'GET', path: '/prod/approval', query, form: new URLSearchParams() });
const post = (form: URLSearchParams) => serveApprovalPage(deps, { method: 'POST', path: '/prod/approval', query: new URLSearchParams(), form });

describe('approval page', () => {
  it('shows the request on GET, escaped, with the preparation to consent to, and decides nothing', async () => {
    const request = await pendingRequest();
    const page = await get(linkFor(request));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(request.certificateId);
    expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.body).not.toContain('<script>');
    expect(page.body).toContain('set the certificate INACTIVE (devices using it will disconnect); detach policies device-policy');
    expect(page.body).toContain('name="consentToPrepare"');
    expect(page.body).not.toContain(request.taskToken);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
    expect(await deps.store.get(request.requestId)).toMatchObject({ status: 'PENDING' });
  });

  it('approves on POST with consent, then refuses the same link again', async () => {
    const request = await pendingRequest();
    const form = linkFor(request);
    form.set('decision', 'APPROVED');
    form.set('consentToPrepare', 'true');
    const decided = await post(form);
    expect(decided.statusCode).toBe(200);
    expect(decided.body).toContain('This request was approved by bob@example.com');
    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);

    const reused = await post(form);
    expect(reused.statusCode).toBe(409);
    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
  });

  it('shows the form again with the rule when consent is missing', async () => {
    const request = await pendingRequest();
    const form = linkFor(request);
    form.set('decision', 'APPROVED');
    const page = await post(form);
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain('consentToPrepare: must be true to approve');
    expect(page.body).toContain('id="approve"');
  });

  it('refuses a forged link with 403 and an expired one with 410', async () => {
    const request = await pendingRequest();
    const forged = linkFor(request);
    forged.set('a', 'mallory@example.com');
    expect((await get(forged)).statusCode).toBe(403);
    const expired = signer.sign({ requestId: request.requestId, approver: 'bob@example.com', expiresAt: NOW.getTime() / 1000 - 1, nonce: ApprovalLinkSigner.newNonce() });
    expect((await get(expired)).statusCode).toBe(410);
    forged.set('decision', 'APPROVED');
    expect((await post(forged)).statusCode).toBe(403);
    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
  });

  it('answers 404 for a link to a request that does not exist, and for other paths', async () => {
    const request = await pendingRequest();
    const params = signer.sign({ requestId: 'missing', approver: 'bob@example.com', expiresAt: request.expiresAt, nonce: ApprovalLinkSigner.newNonce() });
    expect((await get(params)).statusCode).toBe(404);
    expect((await serveApprovalPage(deps, { method: 'GET', path: '/prod/other', query: new URLSearchParams(), form: new URLSearchParams() })).statusCode).toBe(404);
  });
});
