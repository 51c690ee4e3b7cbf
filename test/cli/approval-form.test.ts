import { decisionTaken, parseApprovalLink, readApprovalPage } from '../../cli/approval-form';
import { decisionPage, htmlResponse, refusalPage, requestPage } from '../../lambdas/approvals/approval-page';
import type { ApprovalRequestView } from '../../lambdas/approvals/approval-request';

const request: ApprovalRequestView = {
  requestId: 'r',
  side: 'SOURCE',
  executionId: 'e',
  certificateId: 'c'.repeat(64),
  sourceAwsAccount: '111111111111',
  targetAwsAccount: '222222222222',
  requestedBy: 'requester@example.com',
  preparation: { deactivate: true, detachPolicies: [], attachedThings: [] },
  approvers: ['a@example.com'],
  status: 'APPROVED',
  decision: 'APPROVED',
  decidedBy: 'a@example.com',
  decidedAt: '2026-12-01T12:00:00Z',
  createdAt: '2026-12-01T11:00:00Z',
  expiresAt: 1_800_000_000,
};

/** The page exactly as the approval function renders it. */
const rendered = (page: ReturnType<typeof refusalPage>) => {
  const response = htmlResponse(page);
  return readApprovalPage(response.statusCode, response.body);
};

describe('reading the approval page the CLI submitted to', () => {
  it('reads a decision: its heading and who decided when', () => {
    const answer = rendered(decisionPage({ kind: 'decided', request }, { now: new Date('2026-12-01T12:05:00Z') }));
    expect(answer).toEqual({
      httpStatus: 200,
      page: 'Approved',
      message: 'This request was approved by a@example.com at 2026-12-01 12:00 UTC.',
    });
    expect(decisionTaken(answer)).toBe(true);
  });

  it.each([
    ['forged', 403, 'This link is not valid'],
    ['not-pending', 409, 'Already decided'],
    ['expired', 410, 'This request has expired'],
  ])('reads a %s refusal as not decided', (reason, httpStatus, page) => {
    const answer = rendered(refusalPage(reason, { now: new Date('2026-12-01T12:05:00Z'), request }));
    expect(answer).toMatchObject({ httpStatus, page });
    expect(decisionTaken(answer)).toBe(false);
  });

  it('reads the problem of a form sent back (400)', () => {
    const answer = rendered(
      requestPage(
        { ...request, status: 'PENDING' },
        'a@example.com',
        { r: 'r', a: 'a', e: '1', n: 'n', s: 's' },
        { now: new Date('2026-12-01T12:05:00Z'), problem: 'consentToPrepare: must be true to approve' },
      ),
    );
    expect(answer).toMatchObject({ httpStatus: 400, problem: 'consentToPrepare: must be true to approve' });
    expect(decisionTaken(answer)).toBe(false);
  });

  it('names LINK when it is not an approval link', () => {
    expect(() => parseApprovalLink('not a url')).toThrow('LINK: must be the approval link from your notification (a URL)');
    expect(() => parseApprovalLink('http://127.0.0.1:7705/other')).toThrow('LINK: must be the approval link');
    expect(parseApprovalLink('http://127.0.0.1:7705/x/v1/approval?r=1&s=2').pathname).toBe('/x/v1/approval');
  });
});
