import { decisionPage, htmlResponse, refusalPage, requestPage, type LinkParameters } from '../../../lambdas/approvals/approval-page';
import { viewOf, type ApprovalRequest, type ApprovalRequestView } from '../../../lambdas/approvals/approval-request';
import type { CertificateFacts, LandingPlan } from '../../../lambdas/cutover/certificate-facts';
import { migrationSummary } from './migration-summary-fixture';

const LINK: LinkParameters = { r: 'r-1', a: 'bob@example.com', e: '1795600800', n: 'n'.repeat(32), s: 'sig' };
const NOW = new Date('2026-11-24T10:00:00Z');
const CONTEXT = { now: NOW };

export function certificateFacts(change: Partial<CertificateFacts> = {}): CertificateFacts {
  return {
    certificateId: 'c'.repeat(64),
    certificateArn: `arn:aws:iot:us-east-1:111111111111:cert/${'c'.repeat(64)}`,
    status: 'ACTIVE',
    subject: 'CN=sensor-17, O=Example',
    issuer: 'CN=Example Device CA, O=Example',
    caCertificateId: 'a'.repeat(64),
    validFrom: '2026-01-01T00:00:00.000Z',
    validTo: '2027-01-01T00:00:00.000Z',
    createdAt: '2026-01-02T08:30:00.000Z',
    policies: ['device-policy'],
    things: [{ thingName: 'sensor-17', thingTypeName: 'temperature-sensor', attributes: { rack: '7', floor: '3' } }],
    ...change,
  };
}

const LANDING: LandingPlan = {
  policies: ['target-device-policy'],
  things: [{ thingName: 'sensor-17', thingTypeName: 'temperature-sensor', attributes: { rack: '7' }, action: 'CREATE' }],
};

function singleRequest(change: Partial<ApprovalRequest> = {}): ApprovalRequestView {
  return viewOf({
    requestId: 'r-1',
    side: 'SOURCE',
    executionId: 'arn:aws:states:us-east-1:111111111111:execution:Outbound:run-1',
    taskToken: 'SECRET-TASK-TOKEN',
    certificateId: 'c'.repeat(64),
    certificate: certificateFacts(),
    sourceAwsAccount: '111111111111',
    targetAwsAccount: '222222222222',
    transferMessage: 'rack 7 sensors',
    requestedBy: 'alice@example.com',
    reason: 'EU data residency',
    preparation: { deactivate: true, detachPolicies: ['device-policy'], attachedThings: ['sensor-17'] },
    approvers: ['bob@example.com'],
    status: 'PENDING',
    createdAt: '2026-11-24T09:00:00.000Z',
    expiresAt: Date.parse('2026-11-25T09:00:00Z') / 1000,
    ...change,
  });
}

function migrationRequest(change: Partial<ApprovalRequest> = {}): ApprovalRequestView {
  const {
    certificateId: _id,
    certificate: _facts,
    ...rest
  } = singleRequest({
    executionId: 'arn:aws:states:us-east-1:111111111111:execution:Migration:run-1',
    migration: migrationSummary(),
    transferMessage: '<script>alert(1)</script>',
    preparation: { deactivate: false, detachPolicies: [], attachedThings: [] },
    ...change,
  });
  return rest;
}

/** The page's visible text, tags dropped and entities decoded, whitespace collapsed. */
function textOf(html: string): string {
  return html
    .replace(/<style>[\s\S]*?<\/style>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .replace(/ ([,;:)]|\.(?=\s|$))/g, '$1');
}

describe('the approval page of one certificate', () => {
  it('shows the certificate as the approver knows it: subject, issuer, CA, validity with days left, creation, status, policies, things', () => {
    const text = textOf(requestPage(singleRequest(), 'bob@example.com', LINK, CONTEXT).body);
    expect(text).toContain('Subject CN=sensor-17, O=Example');
    expect(text).toContain('Issuer CN=Example Device CA, O=Example');
    expect(text).toContain(`CA certificate ${'a'.repeat(64)}`);
    expect(text).toContain('Valid 2026-01-01 00:00 UTC to 2027-01-01 00:00 UTC (37 days left)');
    expect(text).toContain('Created in AWS IoT 2026-01-02 08:30 UTC (326 days ago)');
    expect(text).toContain('Status ACTIVE (will be set INACTIVE first: its devices disconnect)');
    expect(text).toContain('Policies attached in account 111111111111 device-policy');
    expect(text).toContain('sensor-17 temperature-sensor rack = 7 floor = 3');
  });

  it('shows the AWS identity the requester was derived from, where it says more than requestedBy', () => {
    const arn = 'arn:aws:sts::111111111111:assumed-role/CertflowOperator/alice@example.com';
    const text = textOf(requestPage(singleRequest({ requestedByArn: arn }), 'bob@example.com', LINK, CONTEXT).body);
    expect(text).toContain(`Requested by alice@example.com Requester AWS identity ${arn}`);
    const byArnOnly = textOf(requestPage(singleRequest({ requestedBy: arn, requestedByArn: arn }), 'bob@example.com', LINK, CONTEXT).body);
    expect(byArnOnly).not.toContain('Requester AWS identity');
  });

  it('shows who asks and why, and the deadline both relative and in UTC', () => {
    const text = textOf(requestPage(singleRequest(), 'bob@example.com', LINK, CONTEXT).body);
    expect(text).toContain('Requested by alice@example.com');
    expect(text).toContain('Reason EU data residency');
    expect(text).toContain('Message rack 7 sensors');
    expect(text).toContain('Decide by 2026-11-25 09:00 UTC (in 23 hours)');
  });

  it('puts the summary and the decision before the details, the approve form before the reject form', () => {
    const body = requestPage(singleRequest(), 'bob@example.com', LINK, CONTEXT).body;
    const order = ['id="summary-heading"', 'id="decision-heading"', 'id="approve"', 'id="reject"', 'id="details-heading"'].map((marker) =>
      body.indexOf(marker),
    );
    expect(order.every((index) => index >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('ties every visible control to a label and carries the signed link in both forms', () => {
    const body = requestPage(singleRequest({ side: 'TARGET', landing: LANDING }), 'tara@example.com', LINK, CONTEXT).body;
    const controls = [...body.matchAll(/<(?:input|textarea)(?![^>]*type="hidden")[^>]*\sid="([^"]+)"/g)].map((match) => match[1]);
    expect(controls).toEqual(['setAsActive', 'rejectReason']);
    for (const id of controls)
      expect(body).toContain(`<label for="${id}"`.replace('<label for', id === 'rejectReason' ? '<label class="field" for' : '<label for'));
    expect(body.match(/<input type="hidden" name="s" value="sig">/g)).toHaveLength(2);
    expect(body.match(/<input type="hidden" name="decision" value="(APPROVED|REJECTED)">/g)).toHaveLength(2);
  });

  it('shows the target approver the landing plan, the source account, the requester and the reason', () => {
    const page = requestPage(singleRequest({ side: 'TARGET', landing: LANDING }), 'tara@example.com', LINK, CONTEXT);
    const text = textOf(page.body);
    expect(page.title).toBe('Accept a certificate transfer');
    expect(text).toContain('Accept one AWS IoT certificate that account 111111111111 offers to this account, 222222222222.');
    expect(text).toContain('How it lands in account 222222222222 Policies attached here: target-device-policy');
    expect(text).toContain('sensor-17 Create temperature-sensor rack = 7');
    expect(text).toContain('Requested by alice@example.com');
    expect(text).toContain('Reason EU data residency');
    expect(text).toContain('then the transfer is rejected');
    expect(page.body).not.toContain('name="consentToPrepare"');
    expect(text).not.toContain('Needs first');
  });

  it('falls back to the id, the policies to detach and the attached things when the request has no certificate facts', () => {
    const { certificate: _facts, ...withoutFacts } = singleRequest();
    const text = textOf(requestPage(withoutFacts, 'bob@example.com', LINK, CONTEXT).body);
    expect(text).toContain(`Certificate ${'c'.repeat(64)}`);
    expect(text).toContain('Policies attached in account 111111111111 device-policy');
    expect(text).toContain('Things attached in account 111111111111 sensor-17');
    expect(text).not.toContain('Subject');
  });

  it.each([
    ['transferMessage', { transferMessage: '<x-inject>' }],
    ['reason', { reason: '<x-inject>' }],
    ['requestedBy', { requestedBy: '<x-inject>' }],
    ['the subject', { certificate: certificateFacts({ subject: '<x-inject>' }) }],
    ['the issuer', { certificate: certificateFacts({ issuer: '<x-inject>' }) }],
    ['a policy', { certificate: certificateFacts({ policies: ['<x-inject>'] }) }],
    ['a thing name', { certificate: certificateFacts({ things: [{ thingName: '<x-inject>', attributes: {} }] }) }],
    ['a thing type', { certificate: certificateFacts({ things: [{ thingName: 't', thingTypeName: '<x-inject>', attributes: {} }] }) }],
    ['an attribute name', { certificate: certificateFacts({ things: [{ thingName: 't', attributes: { '<x-inject>': 'v' } }] }) }],
    ['an attribute value', { certificate: certificateFacts({ things: [{ thingName: 't', attributes: { a: '"><x-inject>' } }] }) }],
    [
      'a landing thing',
      {
        side: 'TARGET' as const,
        landing: {
          policies: ['<x-inject>'],
          things: [{ thingName: '<x-inject>', attributes: { k: '<x-inject>' }, action: 'REUSE' as const }],
        },
      },
    ],
  ])('escapes HTML in %s', (_, change) => {
    const body = requestPage(singleRequest(change), '<x-inject>', LINK, CONTEXT).body;
    expect(body).not.toContain('<x-inject>');
    expect(body).toContain('&lt;x-inject&gt;');
  });

  it('escapes HTML in the reject reason and the decider of a decided request', () => {
    const decided = singleRequest({ status: 'REJECTED', decision: 'REJECTED', decidedBy: '<x-inject>', rejectReason: '<x-inject>' });
    for (const page of [
      requestPage(decided, 'bob@example.com', LINK, CONTEXT),
      decisionPage({ kind: 'decided', request: decided }, CONTEXT),
    ]) {
      expect(page.body).not.toContain('<x-inject>');
      expect(page.body.match(/&lt;x-inject&gt;/g)?.length).toBeGreaterThanOrEqual(2);
    }
  });

  it('says what happens after an approval and how to follow it, without the decision controls', () => {
    const decided = singleRequest({
      status: 'APPROVED',
      decision: 'APPROVED',
      decidedBy: 'bob@example.com',
      decidedAt: '2026-11-24T10:00:00.000Z',
    });
    const page = decisionPage({ kind: 'decided', request: decided }, CONTEXT);
    const text = textOf(page.body);
    expect(page.title).toBe('Approved');
    expect(text).toContain('This request was approved by bob@example.com at 2026-11-24 10:00 UTC.');
    expect(text).toContain(
      'What happens next certflow will now set the certificate INACTIVE (devices using it will disconnect); detach policies device-policy, then offer it to account 222222222222.',
    );
    expect(text).toContain("Account 222222222222's approvers are asked next");
    expect(text).toContain('certflow status --side source arn:aws:states:us-east-1:111111111111:execution:Outbound:run-1');
    expect(page.body).not.toContain('id="approve"');
  });

  it('says what happens after the target rejects', () => {
    const decided = singleRequest({
      side: 'TARGET',
      status: 'REJECTED',
      decision: 'REJECTED',
      decidedBy: 'tara@example.com',
      rejectReason: 'not ours',
    });
    const text = textOf(decisionPage({ kind: 'decided', request: decided }, CONTEXT).body);
    expect(text).toContain('This request was rejected by tara@example.com: not ours');
    expect(text).toContain('goes back to account 111111111111, INACTIVE');
    expect(text).toContain('--side target');
  });

  it('never renders the task token', () => {
    const body = htmlResponse(requestPage(singleRequest(), 'bob@example.com', LINK, CONTEXT)).body;
    expect(body).not.toContain('SECRET-TASK-TOKEN');
    expect(body).toContain('<html lang="en">');
  });
});

describe('the refusal pages', () => {
  it.each([
    ['malformed', 400, 'This link is incomplete', 'copy the whole address'],
    ['forged', 403, 'This link is not valid', 'forward the notification to the team that runs certflow'],
    ['expired', 410, 'This request has expired', 'to request it again: a new request sends you a new link'],
    ['not-found', 404, 'No such request', 'Ask the requester for a new request'],
    ['not-pending', 409, 'Already decided', 'decided once'],
    ['own-request', 403, 'You cannot decide your own request', 'Another approver must decide'],
    ['not-an-approver', 403, 'You are not an approver of this request', 'If you should be one'],
    ['wrong-kind', 400, 'This link is of another kind', 'neither works in place of the other'],
  ])('answers %s with %d, "%s" and what to do', (reason, statusCode, title, advice) => {
    const page = refusalPage(reason, CONTEXT);
    expect(page).toMatchObject({ statusCode, title });
    expect(textOf(page.body)).toContain(advice);
  });

  it('names the requester to ask on an expired request, and the contact when one is set', () => {
    const page = refusalPage('expired', { now: NOW, contact: 'iot-platform@example.com', request: singleRequest() });
    const text = textOf(page.body);
    expect(text).toContain('ask the requester, alice@example.com, to request it again');
    expect(text).toContain('contact iot-platform@example.com');
  });

  it('shows the outcome and what follows when a request was already decided', () => {
    const decided = singleRequest({ status: 'APPROVED', decision: 'APPROVED', decidedBy: 'carol@example.com' });
    const page = decisionPage({ kind: 'refused', reason: 'not-pending', request: decided }, CONTEXT);
    expect(page.statusCode).toBe(409);
    expect(textOf(page.body)).toContain('This request was approved by carol@example.com');
    expect(textOf(page.body)).toContain('certflow status');
  });

  it('answers 503 when the workflow could not be told, saying the link still works', () => {
    const page = decisionPage({ kind: 'try-again' }, CONTEXT);
    expect(page.statusCode).toBe(503);
    expect(textOf(page.body)).toContain('Nothing was decided.');
    expect(textOf(page.body)).toContain('Your link still works');
  });
});

describe('the approval page of a migration', () => {
  it('shows the summary counts and the sample ids instead of a certificate', () => {
    const page = requestPage(migrationRequest(), 'bob@example.com', LINK, CONTEXT);
    const text = textOf(page.body);
    expect(page.statusCode).toBe(200);
    expect(page.title).toBe('Approve a certificate migration');
    expect(text).toContain('Move 10000 AWS IoT certificates from account 111111111111 to account 222222222222.');
    for (const row of [
      'Migration eu-fleet-2026_11',
      'Certificates 10000',
      'By status ACTIVE 3, INACTIVE 9995, PENDING_TRANSFER 2',
      'With policies 5 (detached before the transfer)',
      'With things 7',
      'To deactivate 3 (ACTIVE: set INACTIVE, their devices disconnect)',
      'Already done 11 (skipped: moved by an earlier run)',
      'Will fail 2 (missing, pending transfer to another account, ...)',
      'Requested by alice@example.com',
      'Reason EU data residency',
    ]) {
      expect(text).toContain(row);
    }
    expect(text).toContain('Examples (6 of 10000)');
    for (const digit of ['1', '6']) expect(page.body).toContain(`<li><code>${digit.repeat(64)}</code></li>`);
    expect(text).toContain("The full list of certificates is the migration's manifest");
    expect(page.body).not.toContain('SECRET-TASK-TOKEN');
  });

  it('escapes everything it shows', () => {
    const hostile = migrationRequest({
      migration: migrationSummary({ migrationId: '<b>m</b>', statusCounts: { '<img src=x>': 1 }, sampleCertificateIds: ['"><i>x</i>'] }),
    });
    const page = requestPage(hostile, '<u>bob</u>', LINK, CONTEXT);
    expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.body).toContain('&lt;b&gt;m&lt;/b&gt;');
    expect(page.body).toContain('&lt;img src=x&gt; 1');
    expect(page.body).toContain('&quot;&gt;&lt;i&gt;x&lt;/i&gt;');
    expect(page.body).toContain('&lt;u&gt;bob&lt;/u&gt;');
    for (const raw of ['<script>', '<b>', '<img', '<i>', '<u>']) expect(page.body).not.toContain(raw);
  });

  it('asks the source approver to consent to deactivating and detaching, worded for the batch', () => {
    const page = requestPage(migrationRequest(), 'bob@example.com', LINK, CONTEXT);
    expect(page.body).toContain(
      '<input type="checkbox" id="consentToPrepare" name="consentToPrepare" value="true" aria-describedby="consent-note"><label for="consentToPrepare">I agree to these changes</label>',
    );
    expect(textOf(page.body)).toContain(
      'Before the transfers certflow will deactivate 3 ACTIVE certificates (devices using them will disconnect) and detach the policies of 5 certificates.',
    );
  });

  it.each([
    [{ toDeactivate: 2, withPolicies: 0 }, true],
    [{ toDeactivate: 0, withPolicies: 2 }, true],
    [{ toDeactivate: 0, withPolicies: 0 }, false],
  ])('shows the consent checkbox for %o only when there is something to prepare: %s', (counts, shown) => {
    const page = requestPage(migrationRequest({ migration: migrationSummary(counts) }), 'bob@example.com', LINK, CONTEXT);
    expect(page.body.includes('name="consentToPrepare"')).toBe(shown);
    expect(page.body).toContain('id="approve"');
    expect(page.body).toContain('name="rejectReason"');
  });

  it('offers the target approver to set the certificates active, and no consent', () => {
    const page = requestPage(migrationRequest({ side: 'TARGET' }), 'tara@example.com', LINK, CONTEXT);
    expect(page.title).toBe('Accept a certificate migration');
    expect(page.body).toContain(
      '<input type="checkbox" id="setAsActive" name="setAsActive" value="true"><label for="setAsActive">Set the certificates ACTIVE in this account once accepted</label>',
    );
    expect(page.body).not.toContain('name="consentToPrepare"');
    expect(page.body).not.toContain('Needs first');
  });

  it('shows the summary with the decision once decided, and what follows', () => {
    const page = decisionPage(
      { kind: 'decided', request: migrationRequest({ status: 'APPROVED', decision: 'APPROVED', decidedBy: 'bob@example.com' }) },
      CONTEXT,
    );
    const text = textOf(page.body);
    expect(page.title).toBe('Approved');
    expect(text).toContain('This request was approved by bob@example.com');
    expect(text).toContain('Certificates 10000');
    expect(text).toContain('offers them to account 222222222222');
    expect(text).toContain('certflow status --side source arn:aws:states:us-east-1:111111111111:execution:Migration:run-1');
  });
});
