import { DescribeCertificateCommand } from '@aws-sdk/client-iot';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ApprovalLinkSigner } from '../../lambdas/approvals/approval-link-signer';
import { approvalRequestId } from '../../lambdas/approvals/approval-request';
import { credentialsFor } from '../../local/sandbox-accounts';
import { approvalLinkFor } from './approval-links';
import { createCertificate, eventually, finishedExecution, startExecution, startSandboxFixture, type SandboxFixture } from './sandbox-fixture';

/** Debian's Chromium (`.ci/run` installs it); playwright-core downloads no browser. */
const CHROMIUM = '/usr/bin/chromium';
const APPROVER = 'source-approver-1@example.com';

describe('the approval page in headless Chromium', () => {
  let fixture: SandboxFixture;
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    fixture = await startSandboxFixture();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await fixture?.close();
  });
  beforeEach(async () => {
    page = await browser.newPage();
  });
  afterEach(() => page.close());

  async function requestApproval(): Promise<{ certificateId: string; executionArn: string; link: string; requestId: string }> {
    const { source, target } = fixture.sandbox.accounts;
    const { certificateId } = await createCertificate(fixture.iot(source));
    const executionArn = await startExecution(fixture.sfn(source), fixture.sandbox.stacks.CertflowSource?.outputs.OutboundStateMachineArn, {
      certificateId,
      targetAwsAccount: target,
      transferMessage: 'rack 7 sensors',
      requestedBy: 'requester@example.com',
    });
    const link = await eventually('the approval link', async () => approvalLinkFor(fixture.sandbox, APPROVER, certificateId));
    return { certificateId, executionArn, link, requestId: approvalRequestId(executionArn, 'SOURCE') };
  }

  const status = async (requestId: string) => (await fixture.approvalStore(fixture.sandbox.accounts.source, 'CertflowSource').get(requestId))?.status;

  it('shows the request on GET without deciding it, then approves on the button', async () => {
    const { certificateId, executionArn, link, requestId } = await requestApproval();
    const shown = await page.goto(link);
    expect(shown?.status()).toBe(200);
    const text = await page.locator('body').innerText();
    expect(text).toContain(certificateId);
    expect(text).toContain(fixture.sandbox.accounts.target);
    expect(text).toContain('rack 7 sensors');
    expect(text).toContain('requester@example.com');
    await page.reload();
    expect(await status(requestId)).toBe('PENDING');
    expect(await page.content()).not.toMatch(/taskToken|AAAA[A-Za-z0-9+/]{100,}/);

    await Promise.all([page.waitForLoadState('load'), page.locator('#approve').click()]);
    await page.waitForSelector('h1:has-text("Approved")');
    expect(await status(requestId)).toBe('APPROVED');
    // The approval let the workflow go on: the certificate is offered to the target.
    const targetIot = fixture.iot(fixture.sandbox.accounts.target);
    await eventually('the transfer to be offered', async () => {
      const offered = await targetIot.send(new DescribeCertificateCommand({ certificateId }));
      return offered.certificateDescription?.status === 'PENDING_TRANSFER' ? true : undefined;
    });
    expect((await fixture.sfn(fixture.sandbox.accounts.source).send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');
  });

  it('refuses a reused link: the decided request offers no buttons and a replayed POST is refused', async () => {
    const { link, requestId } = await requestApproval();
    await page.goto(link);
    await Promise.all([page.waitForLoadState('load'), page.locator('#approve').click()]);
    await page.waitForSelector('h1:has-text("Approved")');

    const again = await page.goto(link);
    expect(again?.status()).toBe(200);
    expect(await page.locator('#approve').count()).toBe(0);
    const url = new URL(link);
    const replay = await page.request.post(`${url.origin}${url.pathname}`, { form: { ...Object.fromEntries(url.searchParams), decision: 'REJECTED', rejectReason: 'changed my mind' } });
    expect(replay.status()).toBe(409);
    expect(await status(requestId)).toBe('APPROVED');
  });

  it('refuses an expired link and a forged link with a clear page', async () => {
    const { link, requestId } = await requestApproval();
    const url = new URL(link);

    const forged = new URL(link);
    forged.searchParams.set('a', 'mallory@example.com');
    const forgedAnswer = await page.goto(forged.toString());
    expect(forgedAnswer?.status()).toBe(403);
    expect(await page.locator('h1').innerText()).toBe('This link is not valid');

    const { source } = fixture.sandbox.accounts;
    const secrets = new SecretsManagerClient({ region: fixture.sandbox.region, endpoint: fixture.sandbox.endpoints.secretsmanager, credentials: credentialsFor(source) });
    const stack = fixture.sandbox.stacks.CertflowSource?.resources;
    const [secretId] = stack?.resourcesOfType('AWS::SecretsManager::Secret')[0] ?? [];
    const secretArn = stack && secretId ? stack.arn(secretId) : undefined;
    const key = (await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString ?? '';
    secrets.destroy();
    const expired = new ApprovalLinkSigner(Buffer.from(key, 'utf8')).sign({ requestId, approver: APPROVER, expiresAt: Math.floor(Date.now() / 1000) - 60, nonce: ApprovalLinkSigner.newNonce() });
    const expiredAnswer = await page.goto(`${url.origin}${url.pathname}?${expired.toString()}`);
    expect(expiredAnswer?.status()).toBe(410);
    expect(await page.locator('h1').innerText()).toBe('This request has expired');
    expect(await status(requestId)).toBe('PENDING');
  });

  it('lets the reject form decide with a reason, and the workflow ends as rejected', async () => {
    const { executionArn, link, requestId } = await requestApproval();
    await page.goto(link);
    await page.locator('#rejectReason').fill('devices still deployed');
    await Promise.all([page.waitForLoadState('load'), page.locator('#reject').click()]);
    await page.waitForSelector('h1:has-text("Rejected")');
    expect(await status(requestId)).toBe('REJECTED');
    const finished = await finishedExecution(fixture.sfn(fixture.sandbox.accounts.source), executionArn);
    expect(JSON.parse(finished.output ?? '{}')).toMatchObject({ outcome: 'SOURCE_REJECTED', sourceApproval: { rejectReason: 'devices still deployed', approvedBy: APPROVER } });
  });
});
