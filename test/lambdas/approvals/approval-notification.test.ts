import { approvalNotification, preparationSummary } from '../../../lambdas/approvals/approval-notification';
import type { ApprovalRequest } from '../../../lambdas/approvals/approval-request';
import { migrationSummary } from './migration-summary-fixture';

const LINK = 'https://approvals.example.com/prod/approval?r=1';

function request(change: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    requestId: 'r-1',
    side: 'SOURCE',
    executionId: 'arn:aws:states:us-east-1:111111111111:execution:Outbound:run-1',
    taskToken: 'SECRET-TASK-TOKEN',
    certificateId: 'c'.repeat(64),
    sourceAwsAccount: '111111111111',
    targetAwsAccount: '222222222222',
    requestedBy: 'alice@example.com',
    preparation: { deactivate: true, detachPolicies: ['device-policy'], attachedThings: [] },
    approvers: ['bob@example.com'],
    status: 'PENDING',
    createdAt: '2026-11-24T10:00:00.000Z',
    expiresAt: Date.parse('2026-11-25T10:00:00Z') / 1000,
    ...change,
  };
}

function migrationRequest(change: Partial<ApprovalRequest> = {}): ApprovalRequest {
  const { certificateId: _single, ...rest } = request({ preparation: { deactivate: false, detachPolicies: [], attachedThings: [] }, migration: migrationSummary(), ...change });
  return rest;
}

describe('approvalNotification', () => {
  it('keeps its wording for one certificate', () => {
    const notification = approvalNotification(request(), LINK, 'REQUEST');
    expect(notification.subject).toBe(`certflow: approve transfer certificate ${'c'.repeat(12)}... to 222222222222`);
    expect(notification.message).toBe(
      [
        'alice@example.com asks to transfer an AWS IoT certificate from account 111111111111 to account 222222222222.',
        '',
        `  Certificate:   ${'c'.repeat(64)}`,
        '  From account:  111111111111',
        '  To account:    222222222222',
        '  Message:       (none)',
        '  Needs first:   set the certificate INACTIVE (devices using it will disconnect); detach policies device-policy',
        '  Decide by:     2026-11-25T10:00:00.000Z (then the request expires)',
        '',
        'Open this link to see the request and approve or reject it. The link is yours alone; opening it decides nothing.',
        LINK,
      ].join('\n'),
    );
  });

  it('asks to approve moving a whole migration, with its counts instead of a certificate', () => {
    const notification = approvalNotification(migrationRequest(), LINK, 'REMINDER');
    expect(notification.subject).toBe('Reminder: certflow: approve moving 10000 certificates to 222222222222');
    expect(notification.message).toContain('  By status:     ACTIVE 3, INACTIVE 9995, PENDING_TRANSFER 2\n');
    expect(notification.message).not.toContain('Certificate:');
    expect(notification.message.endsWith(`\n${LINK}`)).toBe(true);
  });

  it('tells the target approvers only what concerns them: the pending certificates, those already accepted and those never offered', () => {
    const notification = approvalNotification(migrationRequest({ side: 'TARGET', migration: migrationSummary({ alreadyDone: 4, notTransferable: 2 }) }), LINK, 'REQUEST');
    expect(notification.subject).toBe('certflow: approve accepting 10000 certificates from 111111111111');
    expect(notification.message).toContain('  Certificates:  10000 (pending transfer to this account)\n');
    expect(notification.message).toContain('  Already done:  4 (skipped: accepted by an earlier run)\n');
    expect(notification.message).toContain('  Not offered:   2 (listed by the source, no pending transfer here)\n');
    expect(notification.message).not.toContain('To deactivate');
    expect(notification.message).not.toContain('With policies');
  });

  it('lists the statuses in the IoT API order and says when there are none', () => {
    const unordered = migrationRequest({ migration: migrationSummary({ statusCounts: { REVOKED: 1, INACTIVE: 2, ACTIVE: 4 } }) });
    expect(approvalNotification(unordered, LINK, 'REQUEST').message).toContain('By status:     ACTIVE 4, INACTIVE 2, REVOKED 1\n');
    const none = migrationRequest({ migration: migrationSummary({ statusCounts: {}, sampleCertificateIds: [] }) });
    const message = approvalNotification(none, LINK, 'REQUEST').message;
    expect(message).toContain('By status:     (none)\n');
    expect(message).not.toContain('Examples:');
  });
});

describe('preparationSummary', () => {
  it.each([
    [{ toDeactivate: 1, withPolicies: 0 }, 'deactivate 1 ACTIVE certificate (devices using them will disconnect)'],
    [{ toDeactivate: 0, withPolicies: 1 }, 'detach the policies of 1 certificate'],
    [{ toDeactivate: 0, withPolicies: 0 }, 'nothing: no certificate is ACTIVE or has policies attached'],
  ])('words a migration of %o for the batch', (counts, summary) => {
    expect(preparationSummary(migrationRequest({ migration: migrationSummary(counts) }))).toBe(summary);
  });
});
