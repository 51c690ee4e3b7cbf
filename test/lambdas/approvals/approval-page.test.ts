import { decisionPage, requestPage, type LinkParameters } from '../../../lambdas/approvals/approval-page';
import { viewOf, type ApprovalRequest, type ApprovalRequestView } from '../../../lambdas/approvals/approval-request';
import { migrationSummary } from './migration-summary-fixture';

const LINK: LinkParameters = { r: 'r-1', a: 'bob@example.com', e: '1795600800', n: 'n'.repeat(32), s: 'sig' };

function migrationRequest(change: Partial<ApprovalRequest> = {}): ApprovalRequestView {
  return viewOf({
    requestId: 'r-1',
    side: 'SOURCE',
    executionId: 'arn:aws:states:us-east-1:111111111111:execution:Migration:run-1',
    taskToken: 'SECRET-TASK-TOKEN',
    migration: migrationSummary(),
    sourceAwsAccount: '111111111111',
    targetAwsAccount: '222222222222',
    transferMessage: '<script>alert(1)</script>',
    requestedBy: 'alice@example.com',
    preparation: { deactivate: false, detachPolicies: [], attachedThings: [] },
    approvers: ['bob@example.com'],
    status: 'PENDING',
    createdAt: '2026-11-24T10:00:00.000Z',
    expiresAt: Date.parse('2026-11-25T10:00:00Z') / 1000,
    ...change,
  });
}

describe('the approval page of a migration', () => {
  it('shows the summary counts and the sample ids instead of a certificate', () => {
    const page = requestPage(migrationRequest(), 'bob@example.com', LINK);
    expect(page.statusCode).toBe(200);
    expect(page.title).toBe('Approve a certificate migration');
    expect(page.body).toContain('<tr><th>Migration</th><td>eu-fleet-2026_11</td></tr>');
    expect(page.body).toContain('<tr><th>Certificates</th><td>10000</td></tr>');
    expect(page.body).toContain('<tr><th>By status</th><td>ACTIVE 3, INACTIVE 9995, PENDING_TRANSFER 2</td></tr>');
    expect(page.body).toContain('<tr><th>With policies</th><td>5 (detached before the transfer)</td></tr>');
    expect(page.body).toContain('<tr><th>With things</th><td>7</td></tr>');
    expect(page.body).toContain('<tr><th>To deactivate</th><td>3 (ACTIVE: set INACTIVE, their devices disconnect)</td></tr>');
    expect(page.body).toContain('<tr><th>Already done</th><td>11 (skipped: moved by an earlier run)</td></tr>');
    expect(page.body).toContain('<tr><th>Will fail</th><td>2 (missing, pending transfer to another account, ...)</td></tr>');
    expect(page.body).toContain('Examples (6 of 10000)');
    for (const digit of ['1', '6']) expect(page.body).toContain(`<li><code>${digit.repeat(64)}</code></li>`);
    expect(page.body).not.toContain('<th>Certificate</th>');
    expect(page.body).not.toContain('SECRET-TASK-TOKEN');
  });

  it('escapes everything it shows', () => {
    const hostile = migrationRequest({
      migration: migrationSummary({ migrationId: '<b>m</b>', statusCounts: { '<img src=x>': 1 }, sampleCertificateIds: ['"><i>x</i>'] }),
    });
    const page = requestPage(hostile, '<u>bob</u>', LINK);
    expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.body).toContain('&lt;b&gt;m&lt;/b&gt;');
    expect(page.body).toContain('&lt;img src=x&gt; 1');
    expect(page.body).toContain('&quot;&gt;&lt;i&gt;x&lt;/i&gt;');
    expect(page.body).toContain('&lt;u&gt;bob&lt;/u&gt;');
    for (const raw of ['<script>', '<b>', '<img', '<i>', '<u>']) expect(page.body).not.toContain(raw);
  });

  it('asks the source approver to consent to deactivating and detaching, worded for the batch', () => {
    const page = requestPage(migrationRequest(), 'bob@example.com', LINK);
    expect(page.body).toContain('name="consentToPrepare"');
    expect(page.body).toContain('Before the transfers certflow will deactivate 3 ACTIVE certificates (devices using them will disconnect) and detach the policies of 5 certificates.');
  });

  it.each([
    [{ toDeactivate: 2, withPolicies: 0 }, true],
    [{ toDeactivate: 0, withPolicies: 2 }, true],
    [{ toDeactivate: 0, withPolicies: 0 }, false],
  ])('shows the consent checkbox for %o only when there is something to prepare: %s', (counts, shown) => {
    const page = requestPage(migrationRequest({ migration: migrationSummary(counts) }), 'bob@example.com', LINK);
    expect(page.body.includes('name="consentToPrepare"')).toBe(shown);
    expect(page.body).toContain('id="approve"');
    expect(page.body).toContain('name="rejectReason"');
  });

  it('offers the target approver to set the certificates active, and no consent', () => {
    const page = requestPage(migrationRequest({ side: 'TARGET' }), 'tara@example.com', LINK);
    expect(page.title).toBe('Accept a certificate migration');
    expect(page.body).toContain('<input type="checkbox" name="setAsActive" value="true"> Set the certificates ACTIVE in this account once accepted');
    expect(page.body).not.toContain('name="consentToPrepare"');
    expect(page.body).not.toContain('Needs first');
  });

  it('shows the summary with the decision once decided', () => {
    const page = decisionPage({ kind: 'decided', request: migrationRequest({ status: 'APPROVED', decision: 'APPROVED', decidedBy: 'bob@example.com' }) });
    expect(page.title).toBe('Approved');
    expect(page.body).toContain('This request was approved by bob@example.com');
    expect(page.body).toContain('<tr><th>Certificates</th><td>10000</td></tr>');
  });
});
