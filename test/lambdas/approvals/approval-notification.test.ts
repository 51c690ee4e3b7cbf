import { approvalNotification, preparationSummary } from '../../../lambdas/approvals/approval-notification';
import type { ApprovalRequest } from '../../../lambdas/approvals/approval-request';
import type { CertificateFacts } from '../../../lambdas/cutover/certificate-facts';
import { migrationSummary } from './migration-summary-fixture';

const LINK = 'https://approvals.example.com/prod/approval?r=1';
const INBOX = 'https://approvals.example.com/prod/approval/inbox?k=inbox';
const NOW = new Date('2026-11-24T10:00:00Z');

function facts(change: Partial<CertificateFacts> = {}): CertificateFacts {
  return {
    certificateId: 'c'.repeat(64),
    certificateArn: `arn:aws:iot:us-east-1:111111111111:cert/${'c'.repeat(64)}`,
    status: 'ACTIVE',
    subject: 'CN=sensor-17, O=Example',
    issuer: 'CN=Example Device CA',
    validFrom: '2026-01-01T00:00:00.000Z',
    validTo: '2027-01-01T00:00:00.000Z',
    createdAt: '2026-01-02T08:30:00.000Z',
    policies: ['device-policy'],
    things: [{ thingName: 'sensor-17', thingTypeName: 'temperature-sensor', attributes: { rack: '7' } }],
    ...change,
  };
}

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
  const { certificateId: _single, ...rest } = request({
    preparation: { deactivate: false, detachPolicies: [], attachedThings: [] },
    migration: migrationSummary(),
    ...change,
  });
  return rest;
}

describe('approvalNotification', () => {
  it('puts the link first, then every detail of the certificate, quoted where it is free text, then the inbox', () => {
    const notification = approvalNotification(
      request({ certificate: facts(), reason: 'EU data residency', transferMessage: 'rack 7' }),
      LINK,
      'REQUEST',
      { now: NOW, inboxLink: INBOX },
    );
    expect(notification.subject).toBe(`certflow: approve transfer certificate ${'c'.repeat(12)}... to 222222222222`);
    expect(notification.message).toBe(
      [
        'certflow asks for your approval to transfer an AWS IoT certificate from account 111111111111 to account 222222222222.',
        '',
        'Open this link to see the request and approve or reject it. The link is yours alone; opening it decides nothing.',
        LINK,
        '',
        '  Decide by:     2026-11-25 10:00 UTC (in 1 day); then the request expires',
        `  Certificate:   ${'c'.repeat(64)}`,
        '  Subject:       "CN=sensor-17, O=Example"',
        '  Issuer:        "CN=Example Device CA"',
        '  CA:            (none registered)',
        '  Valid:         2026-01-01 00:00 UTC to 2027-01-01 00:00 UTC (37 days left)',
        '  Created:       2026-01-02 08:30 UTC (326 days ago)',
        '  Status:        ACTIVE',
        '  Policies:      "device-policy"',
        '  Things:        "sensor-17" (type "temperature-sensor"; "rack"="7")',
        '  From account:  111111111111',
        '  To account:    222222222222',
        '  Requested by:  "alice@example.com"',
        '  Reason:        "EU data residency"',
        '  Message:       "rack 7"',
        '  Needs first:   set the certificate INACTIVE (devices using it will disconnect); detach policies device-policy',
        '',
        'Quoted text is shown as it was sent, with line breaks written as \\n.',
        '',
        'All requests waiting for your decision (this list link is yours alone too):',
        INBOX,
      ].join('\n'),
    );
  });

  it('shows the target approvers the landing plan, the requester and the reason', () => {
    const target = request({
      side: 'TARGET',
      certificate: facts({ things: [] }),
      landing: { policies: ['fleet-policy'], things: [{ thingName: 'sensor-17', attributes: {}, action: 'CREATE' }] },
      reason: 'EU data residency',
      preparation: { deactivate: false, detachPolicies: [], attachedThings: [] },
    });
    const lines = approvalNotification(target, LINK, 'REQUEST', { now: NOW }).message.split('\n');
    expect(lines).toContain('  Decide by:     2026-11-25 10:00 UTC (in 1 day); then the request expires and the transfer is rejected');
    expect(lines).toContain('  Things:        (none)');
    expect(lines).toContain('  Lands with:    policies "fleet-policy"');
    expect(lines).toContain('  Things here:   create "sensor-17" (no type; no attributes)');
    expect(lines).toContain('  Requested by:  "alice@example.com"');
    expect(lines).toContain('  Reason:        "EU data residency"');
    expect(lines).not.toContain(expect.stringContaining('Needs first'));
  });

  it('lists the attached things it knows when the request has no certificate facts', () => {
    const lines = approvalNotification(
      request({ preparation: { deactivate: false, detachPolicies: [], attachedThings: ['sensor-1', 'sensor-2'] } }),
      LINK,
      'REQUEST',
      { now: NOW },
    ).message.split('\n');
    expect(lines).toContain('  Things:        "sensor-1"');
    expect(lines).toContain('                 "sensor-2"');
  });

  const FAKE = 'x\nOpen this link to see the request and approve it:\r\nhttps://evil.example/approval?r=1\u2028\u0085\u202eY';
  it.each([
    ['transferMessage', { transferMessage: FAKE }],
    ['reason', { reason: FAKE }],
    ['requestedBy', { requestedBy: FAKE }],
    ['rejectReason', { rejectReason: FAKE }],
    ['the subject', { certificate: facts({ subject: FAKE }) }],
    ['the issuer', { certificate: facts({ issuer: FAKE }) }],
    ['a policy', { certificate: facts({ policies: [FAKE] }) }],
    ['a thing name', { certificate: facts({ things: [{ thingName: FAKE, attributes: {} }] }) }],
    ['a thing type', { certificate: facts({ things: [{ thingName: 't', thingTypeName: FAKE, attributes: {} }] }) }],
    ['an attribute name', { certificate: facts({ things: [{ thingName: 't', attributes: { [FAKE]: 'v' } }] }) }],
    ['an attribute value', { certificate: facts({ things: [{ thingName: 't', attributes: { a: FAKE } }] }) }],
    [
      'a thing the target creates',
      {
        side: 'TARGET' as const,
        certificate: facts(),
        landing: { policies: [FAKE], things: [{ thingName: FAKE, attributes: { [FAKE]: FAKE }, action: 'CREATE' as const }] },
      },
    ],
    ['an attached thing without facts', { preparation: { deactivate: false, detachPolicies: [], attachedThings: [FAKE] } }],
  ])('gives a line break in %s no line of its own', (_, change) => {
    const notification = approvalNotification(request(change), LINK, 'REQUEST', { now: NOW, inboxLink: INBOX });
    const lines = notification.message.split('\n');
    expect(lines.filter((line) => line.startsWith('Open this link'))).toHaveLength(1);
    expect(lines.filter((line) => /^\s*https?:/.test(line))).toEqual([LINK, INBOX]);
    expect(lines.findIndex((line) => line === LINK)).toBe(3);
    expect(notification.message).not.toMatch(/[\r\u0085\u2028\u2029\u202e]/);
    expect(notification.message).toContain(
      '"x\\nOpen this link to see the request and approve it:\\r\\nhttps:\\/\\/evil.example/approval?r=1\\u2028\\u0085\\u202eY"',
    );
  });

  it('escapes quotes and backslashes so a quoted value cannot seem to end early', () => {
    const message = approvalNotification(request({ reason: 'a" Approved: "yes \\n' }), LINK, 'REQUEST', { now: NOW }).message;
    expect(message).toContain('  Reason:        "a\\" Approved: \\"yes \\\\n"\n');
  });

  it('keeps control characters and line breaks out of the subject, under 100 characters', () => {
    const notification = approvalNotification(
      request({ targetAwsAccount: '222222222222\r\nBcc: x', certificateId: `${'c'.repeat(8)}\n${'c'.repeat(200)}` }),
      LINK,
      'REMINDER',
      { now: NOW },
    );
    expect(notification.subject).not.toMatch(/[\u0000-\u001f\u007f]/);
    expect(notification.subject.length).toBeLessThan(100);
  });

  it('asks to approve moving a whole migration, with its counts instead of a certificate', () => {
    const notification = approvalNotification(migrationRequest(), LINK, 'REMINDER', { now: NOW });
    expect(notification.subject).toBe('Reminder: certflow: approve moving 10000 certificates to 222222222222');
    expect(notification.message.startsWith('Reminder: this request is still waiting for a decision.\n')).toBe(true);
    expect(notification.message).toContain('  By status:     ACTIVE 3, INACTIVE 9995, PENDING_TRANSFER 2\n');
    expect(notification.message).toContain(`  Examples:      ${'1'.repeat(64)}\n                 ${'2'.repeat(64)}\n`);
    expect(notification.message).not.toContain('Certificate:');
    expect(notification.message).toContain(`\n${LINK}\n`);
  });

  it('tells the target approvers what concerns them: nothing moves before they approve, the source statuses, those landed earlier', () => {
    const notification = approvalNotification(
      migrationRequest({ side: 'TARGET', migration: migrationSummary({ alreadyDone: 4, notTransferable: 2 }) }),
      LINK,
      'REQUEST',
      { now: NOW },
    );
    expect(notification.subject).toBe('certflow: approve accepting 10000 certificates from 111111111111');
    expect(notification.message).toContain(
      '  Certificates:  10000 (nothing changes before you approve; then the source offers them batch by batch and each lands here as it arrives)\n',
    );
    expect(notification.message).toContain('  By status:     ACTIVE 3, INACTIVE 9995, PENDING_TRANSFER 2\n');
    expect(notification.message).toContain('  Already done:  4 (skipped: landed by an earlier run)\n');
    // The target approves before anything is offered: there is no pending transfer to count yet.
    expect(notification.message).not.toContain('pending transfer to this account');
    expect(notification.message).not.toContain('Not offered');
    expect(notification.message).toContain('  Requested by:  "alice@example.com"\n');
    expect(notification.message).not.toContain('To deactivate');
    expect(notification.message).not.toContain('With policies');
  });

  it("shows the target approvers the migration's statuses in the source, label and value apart", () => {
    const message = approvalNotification(migrationRequest({ side: 'TARGET' }), LINK, 'REQUEST', { now: NOW }).message;
    expect(message).toMatch(/By status: +ACTIVE 3/);
  });

  it('tells the source approvers that things are found per certificate during the cutover when the plan did not count them', () => {
    const message = approvalNotification(migrationRequest({ migration: migrationSummary({ withThings: null }) }), LINK, 'REQUEST', {
      now: NOW,
    }).message;
    expect(message).toContain(
      '  With things:   found per certificate during the cutover: detached just before its transfer, recreated in the target\n',
    );
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
