import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { DescribeCertificateCommand } from '@aws-sdk/client-iot';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ApprovalLinkSigner } from '../../lambdas/approvals/approval-link-signer';
import { approvalRequestId, type ApprovalRequest, type ApprovalSide } from '../../lambdas/approvals/approval-request';
import type { CertificateFacts } from '../../lambdas/cutover/certificate-facts';
import { PROJECT_ROOT } from '../../local/cloudformation/cloud-assembly';
import { credentialsFor } from '../../local/sandbox-accounts';
import { approvalLinkFor } from './approval-links';
import {
  createCertificate,
  eventually,
  finishedExecution,
  operatorArn,
  startThroughApi,
  startSandboxFixture,
  type SandboxFixture,
} from './sandbox-fixture';

/** Debian's Chromium (`.ci/run` installs it); playwright-core downloads no browser. */
const CHROMIUM = '/usr/bin/chromium';
const APPROVER = 'source-approver-1@example.com';
/** An approver no workflow notifies: the inbox test's requests are the only ones listed for them. */
const INBOX_APPROVER = 'inbox-approver@example.com';
const VIEWPORT = { width: 1280, height: 800 };
/** Ignored by git: what the pages looked like on the last run, for a person to look at. */
const SCREENSHOTS = path.join(PROJECT_ROOT, 'test-artifacts', 'screenshots');
const HOUR = 3600;

describe('the approval page in headless Chromium', () => {
  let fixture: SandboxFixture;
  let browser: Browser;
  let page: Page;
  const signers = new Map<string, ApprovalLinkSigner>();
  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    fixture = await startSandboxFixture();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await fixture?.close();
  });
  beforeEach(async () => {
    page = await browser.newPage({ viewport: VIEWPORT });
  });
  afterEach(() => page.close());

  const stackOf = (side: ApprovalSide) => (side === 'SOURCE' ? 'CertflowSource' : 'CertflowTarget');
  const accountOf = (side: ApprovalSide) => (side === 'SOURCE' ? fixture.sandbox.accounts.source : fixture.sandbox.accounts.target);
  const pageUrlOf = (side: ApprovalSide) => fixture.sandbox.stacks[stackOf(side)]?.outputs.ApprovalPageUrl ?? '';

  /** The side's link signer, keyed as its page function is: with the key from the stack's secret. */
  async function signerOf(side: ApprovalSide): Promise<ApprovalLinkSigner> {
    const cached = signers.get(side);
    if (cached) return cached;
    const account = accountOf(side);
    const secrets = new SecretsManagerClient({
      region: fixture.sandbox.region,
      endpoint: fixture.sandbox.endpoints.secretsmanager,
      credentials: credentialsFor(account),
    });
    const stack = fixture.sandbox.stacks[stackOf(side)]?.resources;
    const [secretId] = stack?.resourcesOfType('AWS::SecretsManager::Secret')[0] ?? [];
    const secretArn = stack && secretId ? stack.arn(secretId) : undefined;
    const key = (await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString ?? '';
    secrets.destroy();
    const signer = new ApprovalLinkSigner(Buffer.from(key, 'utf8'));
    signers.set(side, signer);
    return signer;
  }

  function certificateFacts(certificateId: string): CertificateFacts {
    const day = 86_400_000;
    return {
      certificateId,
      certificateArn: `arn:aws:iot:${fixture.sandbox.region}:${fixture.sandbox.accounts.source}:cert/${certificateId}`,
      status: 'ACTIVE',
      subject: 'CN=sensor-17.eu-fleet.example.com, O=Example Devices Ltd, C=DE',
      issuer: 'CN=Example Device CA 2026, O=Example Devices Ltd, C=DE',
      caCertificateId: 'ca'.repeat(32),
      validFrom: new Date(Date.now() - 300 * day).toISOString(),
      validTo: new Date(Date.now() + 65.5 * day).toISOString(),
      createdAt: new Date(Date.now() - 299 * day).toISOString(),
      policies: ['eu-fleet-telemetry', 'eu-fleet-shadow'],
      things: [
        { thingName: 'sensor-17', thingTypeName: 'temperature-sensor', attributes: { rack: '7', floor: '3', site: 'FRA-1' } },
        { thingName: 'gateway-2', attributes: {} },
      ],
    };
  }

  /**
   * A pending request written straight into a side's approval table, as a workflow would
   * store it but with every field the redesign adds. Its task token is no workflow's: it is
   * shown, never decided.
   */
  async function storeRequest(side: ApprovalSide, change: Partial<ApprovalRequest> = {}): Promise<ApprovalRequest> {
    const account = accountOf(side);
    const executionId = `arn:aws:states:${fixture.sandbox.region}:${account}:execution:Shown:${randomUUID()}`;
    const certificateId = randomUUID().replace(/-/g, '').repeat(2);
    const request: ApprovalRequest = {
      requestId: approvalRequestId(executionId, side),
      side,
      executionId,
      taskToken: 'no-workflow-waits-on-this-token',
      certificateId,
      certificate: certificateFacts(certificateId),
      sourceAwsAccount: fixture.sandbox.accounts.source,
      targetAwsAccount: fixture.sandbox.accounts.target,
      transferMessage: 'rack 7 sensors',
      requestedBy: 'requester@example.com',
      reason: 'EU data residency: the fleet moves to the Frankfurt account',
      preparation: {
        deactivate: side === 'SOURCE',
        detachPolicies: side === 'SOURCE' ? ['eu-fleet-telemetry', 'eu-fleet-shadow'] : [],
        attachedThings: [],
      },
      approvers: [APPROVER],
      status: 'PENDING',
      createdAt: new Date().toISOString(),
      expiresAt: Math.floor(Date.now() / 1000) + 23 * HOUR + 1800,
      ...change,
    };
    await fixture.approvalStore(account, stackOf(side)).create(request);
    return request;
  }

  async function linkTo(request: ApprovalRequest, approver = APPROVER, expiresAt = request.expiresAt): Promise<string> {
    const params = (await signerOf(request.side)).sign({
      requestId: request.requestId,
      approver,
      expiresAt,
      nonce: ApprovalLinkSigner.newNonce(),
    });
    return `${pageUrlOf(request.side)}?${params.toString()}`;
  }

  async function requestApproval(): Promise<{ certificateId: string; executionArn: string; link: string; requestId: string }> {
    const { source, target } = fixture.sandbox.accounts;
    // ACTIVE, so that approving needs the consent checkbox.
    const { certificateId } = await createCertificate(fixture.iot(source), true);
    const executionArn = await startThroughApi(fixture.sandbox, operatorArn(source, 'requester@example.com'), 'transfer', {
      certificateId,
      targetAwsAccount: target,
      transferMessage: 'rack 7 sensors',
      // Offered right after the source approval (no proposal), so a test sees the offer at once.
      targetRunsCertflow: false,
    });
    const link = await eventually('the approval link', async () => approvalLinkFor(fixture.sandbox, APPROVER, certificateId));
    return { certificateId, executionArn, link, requestId: approvalRequestId(executionArn, 'SOURCE') };
  }

  const status = async (requestId: string) =>
    (await fixture.approvalStore(fixture.sandbox.accounts.source, 'CertflowSource').get(requestId))?.status;
  // A string, evaluated in the page: the test compiles without the DOM's types.
  const focusedId = () => page.evaluate('document.activeElement && document.activeElement.id');
  const bodyText = async () => (await page.locator('body').innerText()).replace(/\s+/g, ' ');

  async function screenshot(name: string): Promise<void> {
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-full.png`), fullPage: true });
  }

  /** The element is wholly inside the 1280×800 viewport without scrolling. */
  async function expectInFirstViewport(selector: string): Promise<void> {
    const box = await page.locator(selector).boundingBox();
    expect(box).not.toBeNull();
    if (!box) return;
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.y + box.height).toBeLessThanOrEqual(VIEWPORT.height);
    expect(box.x + box.width).toBeLessThanOrEqual(VIEWPORT.width);
  }

  it('shows a pending certificate with its facts, the requester and the deadline, the decision in the first viewport', async () => {
    const request = await storeRequest('SOURCE');
    const shown = await page.goto(await linkTo(request));
    expect(shown?.status()).toBe(200);
    expect(await page.locator('h1').innerText()).toBe('Approve a certificate transfer');
    const text = await bodyText();
    for (const expected of [
      'CN=sensor-17.eu-fleet.example.com, O=Example Devices Ltd, C=DE',
      'CN=Example Device CA 2026, O=Example Devices Ltd, C=DE',
      'ca'.repeat(32),
      '(65 days left)',
      '(299 days ago)',
      'ACTIVE (will be set INACTIVE first: its devices disconnect)',
      'eu-fleet-telemetry',
      'sensor-17 temperature-sensor',
      'rack = 7',
      'site = FRA-1',
      'gateway-2 (no type)',
      'requester@example.com',
      'EU data residency: the fleet moves to the Frankfurt account',
      'rack 7 sensors',
      '(in 23 hours)',
    ]) {
      expect(text).toContain(expected);
    }
    expect(text).toMatch(/Decide by \d{4}-\d\d-\d\d \d\d:\d\d UTC \(in 23 hours\)/);
    for (const control of ['#consentToPrepare', '#approve', '#rejectReason', '#reject']) await expectInFirstViewport(control);
    expect(await page.locator('label[for="consentToPrepare"]').innerText()).toBe('I agree to these changes');
    await screenshot('pending-single');
    // On a phone the columns stack: summary, then the decision, then the details.
    await page.setViewportSize({ width: 390, height: 844 });
    const summaryBox = await page.locator('#summary-heading').boundingBox();
    const approveBox = await page.locator('#approve').boundingBox();
    expect(summaryBox && approveBox && approveBox.y > summaryBox.y && approveBox.x + approveBox.width <= 390).toBe(true);
    await screenshot('pending-single-narrow');
    expect(await status(request.requestId)).toBe('PENDING');
  });

  it('shows the target approvers the landing plan, the source account, the requester and the reason', async () => {
    const request = await storeRequest('TARGET', {
      landing: {
        policies: ['frankfurt-telemetry'],
        things: [
          { thingName: 'sensor-17', thingTypeName: 'temperature-sensor', attributes: { rack: '7', site: 'FRA-1' }, action: 'CREATE' },
          { thingName: 'gateway-2', attributes: {}, action: 'REUSE' },
        ],
      },
    });
    const shown = await page.goto(await linkTo(request, 'target-approver-1@example.com'));
    expect(shown?.status()).toBe(200);
    expect(await page.locator('h1').innerText()).toBe('Accept a certificate transfer');
    const text = await bodyText();
    expect(text).toContain(
      `Accept one AWS IoT certificate that account ${fixture.sandbox.accounts.source} offers to this account, ${fixture.sandbox.accounts.target}.`,
    );
    expect(text).toContain(`How it lands in account ${fixture.sandbox.accounts.target}`);
    expect(text).toContain('frankfurt-telemetry');
    expect(text).toContain('Reuse the existing thing');
    expect(text).toContain('requester@example.com');
    expect(text).toContain('EU data residency');
    for (const control of ['#setAsActive', '#approve', '#reject']) await expectInFirstViewport(control);
    await screenshot('pending-target');
  });

  /** Writes `value` as JSON to the side's migration bucket, where the migration steps write their files. */
  async function putMigrationFile(side: ApprovalSide, key: string, value: unknown): Promise<void> {
    const s3 = new S3Client({
      region: fixture.sandbox.region,
      endpoint: fixture.sandbox.endpoints.s3,
      credentials: credentialsFor(accountOf(side)),
      forcePathStyle: true,
    });
    const bucket = fixture.sandbox.stacks[stackOf(side)]?.outputs.MigrationBucketName;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(value), ContentType: 'application/json' }));
    s3.destroy();
  }

  it('shows a pending migration by its counts, the decision in the first viewport, and downloads its certificate list', async () => {
    const samples = Array.from({ length: 20 }, (_, index) => index.toString(16).repeat(64).slice(0, 64));
    const certificateListKey = `migrations/eu-fleet-2026_11/runs/${randomUUID()}/transfer-items.json`;
    await putMigrationFile(
      'SOURCE',
      certificateListKey,
      samples.slice(0, 2).map((certificateId, index) => ({
        certificateId,
        certificateArn: `arn:aws:iot:${fixture.sandbox.region}:${fixture.sandbox.accounts.source}:cert/${certificateId}`,
        status: index === 0 ? 'ACTIVE' : 'INACTIVE',
        policies: index === 0 ? ['eu-fleet-telemetry'] : [],
        thingCount: 1,
      })),
    );
    const request = await storeRequest('SOURCE', {
      certificateId: undefined,
      certificate: undefined,
      migration: {
        migrationId: 'eu-fleet-2026_11',
        certificateCount: 10_000,
        statusCounts: { ACTIVE: 3, INACTIVE: 9995, PENDING_TRANSFER: 2 },
        withPolicies: 5,
        withThings: 7,
        toDeactivate: 3,
        alreadyDone: 11,
        notTransferable: 2,
        sampleCertificateIds: samples,
        certificateListKey,
      },
      preparation: { deactivate: false, detachPolicies: [], attachedThings: [] },
    });
    const shown = await page.goto(await linkTo(request));
    expect(shown?.status()).toBe(200);
    expect(await page.locator('h1').innerText()).toBe('Approve a certificate migration');
    const text = await bodyText();
    expect(text).toContain(
      `Move 10000 AWS IoT certificates from account ${fixture.sandbox.accounts.source} to account ${fixture.sandbox.accounts.target}.`,
    );
    expect(text).toContain('ACTIVE 3, INACTIVE 9995, PENDING_TRANSFER 2');
    expect(text).toContain('Examples (20 of 10000)');
    expect(text).toContain('requester@example.com');
    for (const control of ['#consentToPrepare', '#approve', '#rejectReason', '#reject']) await expectInFirstViewport(control);
    await screenshot('pending-migration');
    const href = await page.getByRole('link', { name: 'Download all 10000 certificates (CSV)' }).getAttribute('href');
    expect(href).toMatch(/^approval\/certificates\.csv\?/);
    const download = await fetch(new URL(href ?? '', page.url()));
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
    expect(download.headers.get('content-disposition')).toBe('attachment; filename="eu-fleet-2026_11-certificates.csv"');
    expect(await download.text()).toBe(
      `certificateId,status,policies,thingCount\r\n${samples[0]},ACTIVE,eu-fleet-telemetry,1\r\n${samples[1]},INACTIVE,,1\r\n`,
    );
  });

  it('approves with the keyboard alone: Tab to the consent, Space, Tab to Approve, Enter; then says what happens next', async () => {
    const { certificateId, executionArn, link, requestId } = await requestApproval();
    await page.goto(link);
    expect(await bodyText()).toContain(certificateId);
    await page.keyboard.press('Tab');
    expect(await focusedId()).toBe('consentToPrepare');
    // Focus is visible: the focused control has an outline.
    expect(await page.evaluate('getComputedStyle(document.activeElement).outlineStyle')).toBe('solid');
    await page.keyboard.press('Space');
    expect(await page.locator('#consentToPrepare').isChecked()).toBe(true);
    await page.keyboard.press('Tab');
    expect(await focusedId()).toBe('approve');
    await Promise.all([page.waitForLoadState('load'), page.keyboard.press('Enter')]);
    await page.waitForSelector('h1:has-text("Approved")');
    expect(await status(requestId)).toBe('APPROVED');
    const text = await bodyText();
    expect(text).toContain(`This request was approved by ${APPROVER}`);
    expect(text).toContain('What happens next');
    expect(text).toContain(`certflow status --side source ${executionArn}`);
    await screenshot('decided');
    // The approval let the workflow go on: the certificate is offered to the target.
    const targetIot = fixture.iot(fixture.sandbox.accounts.target);
    await eventually('the transfer to be offered', async () => {
      const offered = await targetIot.send(new DescribeCertificateCommand({ certificateId }));
      return offered.certificateDescription?.status === 'PENDING_TRANSFER' ? true : undefined;
    });
    expect((await fixture.sfn(fixture.sandbox.accounts.source).send(new DescribeExecutionCommand({ executionArn }))).status).toBe(
      'RUNNING',
    );
  });

  it('refuses a reused link: the decided request offers no buttons and a replayed POST is refused', async () => {
    const { link, requestId } = await requestApproval();
    await page.goto(link);
    await page.locator('#consentToPrepare').check();
    await Promise.all([page.waitForLoadState('load'), page.locator('#approve').click()]);
    await page.waitForSelector('h1:has-text("Approved")');

    const again = await page.goto(link);
    expect(again?.status()).toBe(200);
    expect(await page.locator('#approve').count()).toBe(0);
    const url = new URL(link);
    const replay = await page.request.post(`${url.origin}${url.pathname}`, {
      form: { ...Object.fromEntries(url.searchParams), decision: 'REJECTED', rejectReason: 'changed my mind' },
    });
    expect(replay.status()).toBe(409);
    expect(await status(requestId)).toBe('APPROVED');
  });

  it('refuses an expired link and a forged link with a page that says what to do', async () => {
    const request = await storeRequest('SOURCE');
    const link = await linkTo(request);

    const forged = new URL(link);
    forged.searchParams.set('a', 'mallory@example.com');
    const forgedAnswer = await page.goto(forged.toString());
    expect(forgedAnswer?.status()).toBe(403);
    expect(await page.locator('h1').innerText()).toBe('This link is not valid');
    expect(await bodyText()).toContain('Open the link from your latest certflow notification without changing it.');
    await screenshot('forged');

    const expiredAnswer = await page.goto(await linkTo(request, APPROVER, Math.floor(Date.now() / 1000) - 60));
    expect(expiredAnswer?.status()).toBe(410);
    expect(await page.locator('h1').innerText()).toBe('This request has expired');
    expect(await bodyText()).toContain('ask the requester, requester@example.com, to request it again');
    await screenshot('expired');
    expect(await status(request.requestId)).toBe('PENDING');
  });

  it('lets the reject form decide with a reason, and the workflow ends as rejected', async () => {
    const { executionArn, link, requestId } = await requestApproval();
    await page.goto(link);
    await page.locator('#rejectReason').fill('devices still deployed');
    await Promise.all([page.waitForLoadState('load'), page.locator('#reject').click()]);
    await page.waitForSelector('h1:has-text("Rejected")');
    expect(await status(requestId)).toBe('REJECTED');
    const finished = await finishedExecution(fixture.sfn(fixture.sandbox.accounts.source), executionArn);
    expect(JSON.parse(finished.output ?? '{}')).toMatchObject({
      outcome: 'SOURCE_REJECTED',
      sourceApproval: { rejectReason: 'devices still deployed', approvedBy: APPROVER },
    });
  });

  it("lists an approver's pending requests on their inbox link, each opening its own request page", async () => {
    const later = await storeRequest('SOURCE', { approvers: [INBOX_APPROVER] });
    const sooner = await storeRequest('SOURCE', {
      approvers: [INBOX_APPROVER],
      expiresAt: Math.floor(Date.now() / 1000) + 2 * HOUR,
      reason: 'rack 9 retired',
    });
    await storeRequest('SOURCE', { approvers: [INBOX_APPROVER], status: 'APPROVED' });
    const signer = await signerOf('SOURCE');
    const inbox = signer.signInbox({
      approver: INBOX_APPROVER,
      expiresAt: Math.floor(Date.now() / 1000) + HOUR,
      nonce: ApprovalLinkSigner.newNonce(),
    });
    const shown = await page.goto(`${pageUrlOf('SOURCE')}/inbox?${inbox.toString()}`);
    expect(shown?.status()).toBe(200);
    expect(await page.locator('h1').innerText()).toBe('2 requests waiting for you');
    const rows = page.locator('tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).innerText()).toContain('rack 9 retired');
    expect(await rows.nth(0).innerText()).toContain('(in 1 hour)');
    expect(await rows.nth(1).innerText()).toContain('(in 23 hours)');
    expect(await bodyText()).toContain('CN=sensor-17.eu-fleet.example.com');
    await screenshot('inbox');

    await Promise.all([page.waitForLoadState('load'), rows.nth(0).locator('a.open-request').click()]);
    expect(await page.locator('h1').innerText()).toBe('Approve a certificate transfer');
    expect(new URL(page.url()).searchParams.get('r')).toBe(sooner.requestId);
    expect(await page.locator('#approve').count()).toBe(1);

    const decisionLinkOnInbox = new URL(await linkTo(later, INBOX_APPROVER));
    const refused = await page.goto(`${pageUrlOf('SOURCE')}/inbox?${decisionLinkOnInbox.searchParams.toString()}`);
    expect(refused?.status()).toBe(400);
  });
});
