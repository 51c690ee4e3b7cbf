import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ApprovalLinkSigner } from '../../../lambdas/approvals/approval-link-signer';
import { CertificateListUnreadableError, serveApprovalPage, type ApprovalPageDeps } from '../../../lambdas/approvals/approval-page-routes';
import type { ApprovalRequest, MigrationSummary } from '../../../lambdas/approvals/approval-request';
import { S3MigrationObjects } from '../../../lambdas/migration/migration-objects';
import { storePendingRequest } from './approval-table-fixture';
import { inboxTableFixture, type InboxTableFixture } from './approver-inbox-fixture';
import { migrationSummary } from './migration-summary-fixture';

const sfnMock = mockClient(SFNClient);
const s3Mock = mockClient(S3Client);
const MIGRATION_BUCKET = 'certflow-migration-files';
const NOW = new Date('2026-11-24T10:00:00Z');
const signer = new ApprovalLinkSigner(randomBytes(32));
let table: InboxTableFixture;
let deps: ApprovalPageDeps;

beforeAll(async () => {
  table = await inboxTableFixture();
  deps = {
    store: table.store,
    sfn: new SFNClient({ region: 'us-east-1' }),
    signer,
    inbox: table.inbox,
    now: () => NOW,
    migrationObjects: new S3MigrationObjects(new S3Client({ region: 'us-east-1' }), MIGRATION_BUCKET),
  };
});
afterAll(() => table.close());
beforeEach(() => {
  sfnMock.reset();
  s3Mock.reset();
  sfnMock.on(SendTaskSuccessCommand).resolves({ $metadata: {} });
});

function pendingRequest(change: Partial<ApprovalRequest> = {}): Promise<ApprovalRequest> {
  return storePendingRequest(deps.store, NOW, {
    certificateId: 'd'.repeat(64),
    transferMessage: '<script>alert(1)</script>',
    preparation: { deactivate: true, detachPolicies: ['device-policy'], attachedThings: [] },
    approvers: ['bob@example.com'],
    ...change,
  });
}

function linkFor(request: ApprovalRequest, approver = 'bob@example.com'): URLSearchParams {
  return signer.sign({ requestId: request.requestId, approver, expiresAt: request.expiresAt, nonce: ApprovalLinkSigner.newNonce() });
}

const get = (query: URLSearchParams) =>
  serveApprovalPage(deps, { method: 'GET', path: '/prod/approval', query, form: new URLSearchParams() });
const getInbox = (query: URLSearchParams) =>
  serveApprovalPage(deps, { method: 'GET', path: '/prod/approval/inbox', query, form: new URLSearchParams() });
const getCertificateList = (query: URLSearchParams, method = 'GET') =>
  serveApprovalPage(deps, { method, path: '/prod/approval/certificates.csv', query, form: new URLSearchParams() });
const post = (form: URLSearchParams) =>
  serveApprovalPage(deps, { method: 'POST', path: '/prod/approval', query: new URLSearchParams(), form });

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
    expect(decided.body).toContain('This request was approved by <bdi class="free">bob@example.com</bdi>');
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
    const expired = signer.sign({
      requestId: request.requestId,
      approver: 'bob@example.com',
      expiresAt: NOW.getTime() / 1000 - 1,
      nonce: ApprovalLinkSigner.newNonce(),
    });
    const expiredPage = await get(expired);
    expect(expiredPage.statusCode).toBe(410);
    expect(expiredPage.body).toContain('ask the requester, <bdi class="free">alice@example.com</bdi>, to request it again');
    expect(expiredPage.body).toContain('The deadline for this decision has passed (2026-11-24 09:59 UTC)');
    forged.set('decision', 'APPROVED');
    expect((await post(forged)).statusCode).toBe(403);
    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
  });

  it('answers 404 for a link to a request that does not exist, and for other paths', async () => {
    const request = await pendingRequest();
    const params = signer.sign({
      requestId: 'missing',
      approver: 'bob@example.com',
      expiresAt: request.expiresAt,
      nonce: ApprovalLinkSigner.newNonce(),
    });
    expect((await get(params)).statusCode).toBe(404);
    expect(
      (await serveApprovalPage(deps, { method: 'GET', path: '/prod/other', query: new URLSearchParams(), form: new URLSearchParams() }))
        .statusCode,
    ).toBe(404);
  });

  it("answers the inbox link with the approver's pending requests, each with a decision link of its own that decides", async () => {
    const mine = await pendingRequest({ approvers: ['hank@example.com'], transferMessage: 'inbox test', reason: '<b>bold</b>' });
    await pendingRequest({ approvers: ['ivy@example.com'] });
    const inbox = signer.signInbox({
      approver: 'hank@example.com',
      expiresAt: NOW.getTime() / 1000 + 3600,
      nonce: ApprovalLinkSigner.newNonce(),
    });
    const page = await getInbox(inbox);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('1 request waiting for you');
    expect(page.body).toContain('&lt;b&gt;bold&lt;/b&gt;');
    const hrefs = [...page.body.matchAll(/href="\.\.\/approval\?([^"]+)"/g)].map(
      (match) => new URLSearchParams((match[1] ?? '').replace(/&amp;/g, '&')),
    );
    expect(hrefs).toHaveLength(1);
    const [decisionLink] = hrefs;
    expect(signer.verify(decisionLink ?? new URLSearchParams(), NOW)).toMatchObject({
      valid: true,
      claims: { requestId: mine.requestId, approver: 'hank@example.com' },
    });

    const form = new URLSearchParams(decisionLink);
    form.set('decision', 'APPROVED');
    form.set('consentToPrepare', 'true');
    expect((await post(form)).statusCode).toBe(200);
    expect(await deps.store.get(mine.requestId)).toMatchObject({ status: 'APPROVED', decidedBy: 'hank@example.com' });
    expect((await getInbox(inbox)).body).toContain('Nothing is waiting for you');
  });

  it('refuses an inbox link on the decision page and a decision link on the inbox, deciding nothing', async () => {
    const request = await pendingRequest();
    const inbox = signer.signInbox({ approver: 'bob@example.com', expiresAt: request.expiresAt, nonce: ApprovalLinkSigner.newNonce() });
    expect((await get(inbox)).statusCode).toBe(400);
    const decideWithInbox = new URLSearchParams(inbox);
    decideWithInbox.set('decision', 'APPROVED');
    expect((await post(decideWithInbox)).statusCode).toBe(400);
    decideWithInbox.delete('k');
    decideWithInbox.set('r', request.requestId);
    decideWithInbox.set('consentToPrepare', 'true');
    expect((await post(decideWithInbox)).statusCode).toBe(403);
    expect((await getInbox(linkFor(request))).statusCode).toBe(400);
    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
    expect(await deps.store.get(request.requestId)).toMatchObject({ status: 'PENDING' });
  });

  it('answers an expired inbox link with 410 and a forged one with 403', async () => {
    const expired = signer.signInbox({
      approver: 'bob@example.com',
      expiresAt: NOW.getTime() / 1000 - 1,
      nonce: ApprovalLinkSigner.newNonce(),
    });
    const expiredPage = await getInbox(expired);
    expect(expiredPage.statusCode).toBe(410);
    expect(expiredPage.body).toContain('open the one in your latest notification');
    const forged = signer.signInbox({
      approver: 'bob@example.com',
      expiresAt: NOW.getTime() / 1000 + 60,
      nonce: ApprovalLinkSigner.newNonce(),
    });
    forged.set('a', 'mallory@example.com');
    expect((await getInbox(forged)).statusCode).toBe(403);
  });
});

describe("a migration's certificate list as CSV", () => {
  const LIST_KEY = 'migrations/eu-fleet-2026_11/runs/run-1/transfer-items.json';
  const sourceList = [
    {
      certificateId: 'a'.repeat(64),
      certificateArn: 'arn:aws:iot:eu-west-1:111111111111:cert/a',
      status: 'ACTIVE',
      policies: [],
      thingCount: 1,
    },
    {
      certificateId: 'b'.repeat(64),
      certificateArn: 'arn:aws:iot:eu-west-1:111111111111:cert/b',
      status: 'INACTIVE',
      policies: ['=cmd', 'fleet'],
      thingCount: 0,
    },
  ];
  const objectBody = (value: unknown) => sdkStreamMixin(Readable.from([Buffer.from(JSON.stringify(value), 'utf8')]));
  const migrationRequest = (summary: Partial<MigrationSummary> = { certificateListKey: LIST_KEY }) =>
    pendingRequest({ certificateId: undefined, migration: migrationSummary({ certificateCount: 2, ...summary }) });

  it('answers a valid link with every certificate of the list as a CSV attachment, read from the list key', async () => {
    s3Mock.on(GetObjectCommand, { Bucket: MIGRATION_BUCKET, Key: LIST_KEY }).resolves({ Body: objectBody(sourceList) });
    const request = await migrationRequest();
    const answer = await getCertificateList(linkFor(request));
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
    expect(answer.headers['content-disposition']).toBe('attachment; filename="eu-fleet-2026_11-certificates.csv"');
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.headers['referrer-policy']).toBe('no-referrer');
    // A policy name a spreadsheet would run as a formula is neutralized with a leading quote.
    expect(answer.body).toBe(
      `certificateId,status,policies,thingCount\r\n${'a'.repeat(64)},ACTIVE,,1\r\n${'b'.repeat(64)},INACTIVE,'=cmd fleet,0\r\n`,
    );
    expect(s3Mock).toHaveReceivedCommandTimes(GetObjectCommand, 1);
  });

  it("writes only the certificate id of the target's list, which holds nothing else", async () => {
    s3Mock.on(GetObjectCommand).resolves({ Body: objectBody([{ certificateId: 'c'.repeat(64) }]) });
    const request = await migrationRequest({ certificateListKey: 'migrations/eu-fleet-2026_11/runs/run-1/answer-items.json' });
    const answer = await getCertificateList(linkFor(request));
    expect(answer.body).toBe(`certificateId\r\n${'c'.repeat(64)}\r\n`);
  });

  it('the migration page links to the list with its own signed link parameters', async () => {
    const request = await migrationRequest();
    const link = linkFor(request);
    const page = await get(link);
    const href = page.body.match(/<a href="(approval\/certificates\.csv\?[^"]+)" download>Download all 2 certificates \(CSV\)<\/a>/)?.[1];
    expect(href).toBeDefined();
    const linked = new URLSearchParams(href?.replace(/&amp;/g, '&').split('?')[1]);
    for (const field of ['r', 'a', 'e', 'n', 's']) expect(linked.get(field)).toBe(link.get(field));
  });

  it('refuses a forged, an expired or an unknown link as the page does, reading nothing', async () => {
    const request = await migrationRequest();
    const forged = linkFor(request);
    forged.set('r', 'another-request');
    const forgedAnswer = await getCertificateList(forged);
    expect(forgedAnswer.statusCode).toBe(403);
    expect(forgedAnswer.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(forgedAnswer.body).toContain('This link is not valid');
    const expired = signer.sign({
      requestId: request.requestId,
      approver: 'bob@example.com',
      expiresAt: NOW.getTime() / 1000 - 1,
      nonce: ApprovalLinkSigner.newNonce(),
    });
    expect((await getCertificateList(expired)).statusCode).toBe(410);
    const unknown = signer.sign({
      requestId: 'missing',
      approver: 'bob@example.com',
      expiresAt: request.expiresAt,
      nonce: ApprovalLinkSigner.newNonce(),
    });
    expect((await getCertificateList(unknown)).statusCode).toBe(404);
    expect((await getCertificateList(new URLSearchParams())).statusCode).toBe(400);
    expect((await getCertificateList(linkFor(request), 'POST')).statusCode).toBe(405);
    expect(s3Mock).toHaveReceivedCommandTimes(GetObjectCommand, 0);
  });

  it('answers 404 for a request with no list: a single certificate, or a migration summary without a key', async () => {
    const single = await pendingRequest();
    const noList = await getCertificateList(linkFor(single));
    expect(noList.statusCode).toBe(404);
    expect(noList.body).toContain('No certificate list');
    const withoutKey = await migrationRequest({});
    expect(withoutKey.migration?.certificateListKey).toBeUndefined();
    expect((await getCertificateList(linkFor(withoutKey))).statusCode).toBe(404);
    expect(s3Mock).toHaveReceivedCommandTimes(GetObjectCommand, 0);
  });

  it('answers 404 once the list has expired from the bucket, and 503 without a bucket', async () => {
    s3Mock.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }));
    const request = await migrationRequest();
    const gone = await getCertificateList(linkFor(request));
    expect(gone.statusCode).toBe(404);
    expect(gone.body).toContain('The certificate list is gone');
    const { migrationObjects, ...withoutBucket } = deps;
    expect(migrationObjects).toBeDefined();
    const unavailable = await serveApprovalPage(withoutBucket, {
      method: 'GET',
      path: '/prod/approval/certificates.csv',
      query: linkFor(request),
      form: new URLSearchParams(),
    });
    expect(unavailable.statusCode).toBe(503);
  });

  it('fails, rather than answer a wrong file, when the object is not a list of certificates', async () => {
    s3Mock.on(GetObjectCommand).resolves({ Body: objectBody({ certificateIds: ['a'.repeat(64)] }) });
    const request = await migrationRequest();
    await expect(getCertificateList(linkFor(request))).rejects.toThrow(CertificateListUnreadableError);
  });
});
