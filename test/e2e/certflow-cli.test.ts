import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { DescribeCertificateCommand } from '@aws-sdk/client-iot';
import { GetExecutionHistoryCommand, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import type { PendingEntry, PendingLinks } from '../../cli/approval-requests-view';
import type { ShownAuditRow } from '../../cli/audit-view';
import type { ExecutionView } from '../../cli/execution-view';
import { PROJECT_ROOT } from '../../local/cloudformation/cloud-assembly';
import { principalCredentialsFor } from '../../local/sandbox-accounts';
import type { SandboxDescriptor } from '../../cli/cli-target';
import { createCertificate, eventually, operatorArn, startSandboxFixture, type SandboxFixture } from './sandbox-fixture';

interface Run {
  child: ChildProcess;
  output: { stdout: string; stderr: string };
  exited: Promise<number | null>;
}

const REQUESTER = 'requester@example.com';

/**
 * The real `certflow` process against a sandbox whose clock runs 50 times faster: the
 * 60-minute approval deadline is 72 s, long enough for a few CLI processes to decide.
 */
describe('the certflow command against the sandbox', () => {
  let fixture: SandboxFixture;
  let source: string;
  let target: string;
  let operatorSandboxFile: string;
  beforeAll(async () => {
    fixture = await startSandboxFixture({ timeScale: 0.02 });
    ({ source, target } = fixture.sandbox.accounts);
    // The CLI as REQUESTER would run it: the source account's keys of their role session, so that
    // the start API derives REQUESTER from the caller (every other call is the source account's, as before).
    const descriptor = JSON.parse(readFileSync(path.join(fixture.dataDir, 'sandbox.json'), 'utf8')) as SandboxDescriptor;
    descriptor.credentials.source = principalCredentialsFor(operatorArn(source, REQUESTER));
    operatorSandboxFile = path.join(fixture.dataDir, 'operator-sandbox.json');
    writeFileSync(operatorSandboxFile, JSON.stringify(descriptor));
  }, 180_000);
  afterAll(() => fixture?.close());

  function start(...args: string[]): Run {
    const sandboxFile = args.includes('--sandbox-file') ? [] : ['--sandbox-file', operatorSandboxFile];
    const child = spawn(process.execPath, ['cli/certflow.js', ...args, ...sandboxFile], { cwd: PROJECT_ROOT, env: process.env });
    const output = { stdout: '', stderr: '' };
    child.stdout?.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, output, exited };
  }

  async function certflow(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const run = start(...args);
    const code = await run.exited;
    return { code, ...run.output };
  }

  const json = async <T>(...args: string[]): Promise<T> => {
    const { code, stdout, stderr } = await certflow(...args, '--json');
    if (code !== 0) throw new Error(`certflow ${args.join(' ')} exited ${code}: ${stderr}`);
    return JSON.parse(stdout) as T;
  };

  /** The approver's link to the certificate's pending request, as `certflow links` lists it. */
  const linkFor = (side: 'source' | 'target', approver: string, certificateId: string) =>
    eventually(
      `${approver}'s link`,
      async () => {
        const requests = await json<PendingLinks[]>('links', '--side', side, '--approver', approver);
        return requests.find((request) => request.certificateId === certificateId)?.links[0]?.link;
      },
      30_000,
    );

  const offered = (certificateId: string) =>
    eventually('the offer', async () => {
      const described = await fixture.iot(target).send(new DescribeCertificateCommand({ certificateId }));
      return described.certificateDescription?.status === 'PENDING_TRANSFER' ? true : undefined;
    });

  /** The target's scheduled poller, run now: it starts the inbound review. */
  /** The target's review of the proposal about this certificate (the receiver started it). */
  async function proposalReviewOf(certificateId: string): Promise<string> {
    const targetSfn = fixture.sfn(target);
    const stateMachineArn = fixture.sandbox.stacks.CertflowTarget?.outputs.ProposalReviewStateMachineArn;
    return eventually('the proposal review', async () => {
      for (const execution of (await targetSfn.send(new ListExecutionsCommand({ stateMachineArn }))).executions ?? []) {
        const history = await targetSfn.send(new GetExecutionHistoryCommand({ executionArn: execution.executionArn, maxResults: 30 }));
        if (JSON.stringify(history.events).includes(certificateId)) return execution.executionArn;
      }
      return undefined;
    });
  }

  it('exits 1 for a transfer the workflow refuses at once, and status shows its error and cause', async () => {
    const missing = await certflow('transfer', '--certificate-id', randomBytes(32).toString('hex'), '--to', target, '--json');
    expect(missing.code).toBe(1);
    const failed = JSON.parse(missing.stdout) as ExecutionView;
    expect(failed).toMatchObject({ status: 'FAILED', error: expect.any(String) });
    expect(missing.stderr).toMatch(/^certflow: the execution ended FAILED: /);

    const { certificateId } = await createCertificate(fixture.iot(source));
    const toItself = await certflow('transfer', '--certificate-id', certificateId, '--to', source);
    expect(toItself.code).toBe(1);
    expect(toItself.stdout).toMatch(/^status +FAILED$/m);

    const shown = await certflow('status', failed.executionArn);
    expect(shown.code).toBe(1);
    expect(shown.stdout).toMatch(/^error +\S+/m);
    expect(shown.stdout).toMatch(/^cause +\S+/m);
    expect(shown.stdout).not.toMatch(/^cause +\{/m);
  }, 60_000);

  it('follows a transfer with --wait to TRANSFERRED (exit 0); links, pending, refused links, status and audit tell who decided', async () => {
    const { certificateId } = await createCertificate(fixture.iot(source));
    const waiting = start('transfer', '--certificate-id', certificateId, '--to', target, '--message', 'from the CLI', '--wait', '--json');

    const link = await linkFor('source', 'source-approver-1@example.com', certificateId);
    const pending = await json<PendingEntry[]>('pending', '--side', 'source');
    expect(pending).toContainEqual(
      expect.objectContaining({
        certificateId,
        state: 'waiting for approval',
        approval: expect.objectContaining({
          status: 'PENDING',
          waitingFor: ['source-approver-1@example.com', 'source-approver-2@example.com'],
        }),
      }),
    );

    const forged = link.replace(/([?&]s=)[^&]+/, '$1AAAA');
    const refused = await certflow('approve', forged);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('the approval page refused (HTTP 403): This link is not valid');
    const tooLong = await certflow('reject', link, '--reason', 'r'.repeat(129));
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toMatch(/^certflow: --reason: /);

    const approved = await certflow('approve', link);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toMatch(/^page +Approved \(HTTP 200\)$/m);
    const again = await certflow('approve', link);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('(HTTP 409): Already decided');

    // No offer yet: the target reviews the proposal first.
    const targetLink = await linkFor('target', 'target-approver-1@example.com', certificateId);
    expect((await fixture.iot(source).send(new DescribeCertificateCommand({ certificateId }))).certificateDescription?.status).toBe(
      'INACTIVE',
    );
    const reviewArn = await proposalReviewOf(certificateId);
    expect((await certflow('approve', targetLink, '--set-as-active')).code).toBe(0);

    expect(await waiting.exited).toBe(0);
    const followed = JSON.parse(waiting.output.stdout) as ExecutionView;
    expect(followed).toMatchObject({ status: 'SUCCEEDED', outcome: 'TRANSFERRED' });
    expect(followed.decisions).toContainEqual(
      expect.objectContaining({ step: 'sourceApproval', decision: 'APPROVED', by: 'source-approver-1@example.com' }),
    );

    // The review's ARN names the target account: status finds it without --side.
    const review = await eventually('the review to end', async () => {
      const shown = await certflow('status', reviewArn);
      return /^status +SUCCEEDED$/m.test(shown.stdout) ? shown : undefined;
    });
    expect(review.code).toBe(0);
    expect(review.stdout).toMatch(/^outcome +LANDED$/m);
    expect(review.stdout).toMatch(/^approval +APPROVED by target-approver-1@example.com.*set ACTIVE$/m);

    const trail = await certflow('audit', '--certificate-id', certificateId);
    expect(trail.code).toBe(0);
    expect(trail.stdout).toMatch(/^RECORDED AT +SIDE +ACTION +OUTCOME +BY +DETAIL$/m);
    expect(trail.stdout).toMatch(
      / source +TransferCertificate +SUCCEEDED +source-approver-1@example.com +PENDING_TRANSFER, "from the CLI"$/m,
    );
    expect(trail.stdout).toMatch(/ target +AcceptCertificateTransfer +SUCCEEDED +target-approver-1@example.com/m);
    const byApprover = await json<ShownAuditRow[]>('audit', '--approved-by', 'source-approver-1@example.com');
    expect(byApprover.filter((row) => row.certificateId === certificateId).map((row) => row.action)).toContain('TransferCertificate');
    const byExecution = await json<ShownAuditRow[]>('audit', '--execution', followed.executionArn);
    expect(byExecution.length).toBeGreaterThan(0);
    expect(new Set(byExecution.map((row) => row.executionId))).toEqual(new Set([followed.executionArn]));
    const byRequester = await json<ShownAuditRow[]>('audit', '--requested-by', REQUESTER, '--side', 'source');
    expect(byRequester.some((row) => row.certificateId === certificateId)).toBe(true);
  }, 150_000);

  it('ends transfer --wait with 1 when the source approvers reject, naming who and why; status shows it too', async () => {
    const { certificateId } = await createCertificate(fixture.iot(source));
    const waiting = start('transfer', '--certificate-id', certificateId, '--to', target, '--wait');
    const link = await linkFor('source', 'source-approver-2@example.com', certificateId);
    expect((await certflow('reject', link, '--reason', 'not this week')).code).toBe(0);
    expect(await waiting.exited).toBe(1);
    expect(waiting.output.stderr).toContain(
      'certflow: the transfer ended SOURCE_REJECTED: rejected by source-approver-2@example.com (not this week)',
    );
    const executionArn = /^execution +(\S+)$/m.exec(waiting.output.stdout)?.[1] ?? '';
    const shown = await certflow('status', executionArn);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^source approval +REJECTED by source-approver-2@example.com/m);
    expect(shown.stdout).toMatch(/^ {2}why +not this week$/m);
  }, 90_000);

  it('refuses approving without the consent a certificate needing preparation (exit 1), approves with it, and cancels', async () => {
    const { certificateId } = await createCertificate(fixture.iot(source), true);
    // A plain offer, so the certificate is offered (and can be cancelled) right after the source approval.
    const started = await certflow('transfer', '--certificate-id', certificateId, '--to', target, '--plain-offer');
    expect(started.code).toBe(0);
    expect(started.stdout).toMatch(/^status +RUNNING \(RequestSourceApproval\)$/m);
    const link = await linkFor('source', 'source-approver-1@example.com', certificateId);

    const notAllowed = await certflow('cancel', '--certificate-id', certificateId, '--by', 'someone-else@example.com');
    expect(notAllowed.code).toBe(1);
    expect(notAllowed.stderr).toContain('cannot cancel the approval request: not-allowed');

    const withoutConsent = await certflow('approve', link);
    expect(withoutConsent.code).toBe(1);
    expect(withoutConsent.stderr).toMatch(/\(HTTP 400\): .*consentToPrepare: must be true to approve/);
    expect((await certflow('approve', link, '--consent-to-prepare')).code).toBe(0);

    await offered(certificateId);
    const cancelled = await certflow('cancel', '--certificate-id', certificateId, '--by', REQUESTER, '--json');
    expect(cancelled.code).toBe(0);
    expect(JSON.parse(cancelled.stdout)).toMatchObject({ cancelled: 'transfer' });
  }, 90_000);

  it('exits 130 on Ctrl-C: transfer --wait and migrate stop following, the work goes on; migrate --stop stops the run', async () => {
    const { certificateId } = await createCertificate(fixture.iot(source));
    const waiting = start('transfer', '--certificate-id', certificateId, '--to', target, '--wait');
    await eventually('the first state', async () => (/RequestSourceApproval/.test(waiting.output.stderr) ? true : undefined));
    waiting.child.kill('SIGINT');
    expect(await waiting.exited).toBe(130);
    expect(waiting.output.stderr).toContain('the transfer goes on: certflow status');
    expect((await certflow('cancel', '--certificate-id', certificateId, '--by', REQUESTER)).code).toBe(0);

    const manifest = path.join(fixture.dataDir, 'one.csv');
    writeFileSync(manifest, `${(await createCertificate(fixture.iot(source))).certificateId}\n`);
    const migrating = start('migrate', '--manifest', manifest, '--to', target, '--report', path.join(fixture.dataDir, 'report'));
    await eventually(
      'the source run',
      async () => (/source (plan|approval|transfer)/.test(migrating.output.stderr) ? true : undefined),
      45_000,
    );
    // While it runs, status shows the migration run's counters.
    const run = await eventually('the migration run', async () =>
      (await json<PendingEntry[]>('pending', '--side', 'source')).find((entry) => entry.migrationId !== undefined),
    );
    const counted = await eventually('its counters', async () => {
      const shown = await json<ExecutionView>('status', run.executionArn);
      return shown.progress ? shown : undefined;
    });
    expect(counted).toMatchObject({
      status: 'RUNNING',
      stateMachineName: 'CertflowSource-Migration',
      progress: { transfer: { total: 1 } },
    });
    migrating.child.kill('SIGINT');
    expect(await migrating.exited).toBe(130);
    expect(migrating.output.stderr).toContain('stopped following; the migration goes on');
    expect((await json<ExecutionView>('status', run.executionArn)).status).toBe('RUNNING');
    const stopped = await certflow('migrate', '--manifest', manifest, '--to', target, '--stop', '--json');
    expect(stopped.code).toBe(0);
    expect(JSON.parse(stopped.stdout)).toMatchObject({ stopped: run.executionArn });
    // status exits 1 for a run that did not succeed, and says how it ended.
    const afterStop = await certflow('status', run.executionArn);
    expect(afterStop.code).toBe(1);
    expect(afterStop.stderr).toContain('ended ABORTED: MigrationStopped');
  }, 120_000);

  it('exits 2 for bad usage: an unknown option, a missing manifest, a bad certificate id', async () => {
    const unknown = await certflow('pending', '--colour');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("certflow: unknown option '--colour'");
    const noManifest = await certflow('migrate', '--manifest', 'nope.csv', '--to', target);
    expect(noManifest.code).toBe(2);
    expect(noManifest.stderr).toContain('certflow: --manifest: nope.csv does not exist');
    const badId = await certflow('transfer', '--certificate-id', 'abc', '--to', target);
    expect(badId.code).toBe(2);
    expect(badId.stderr).toBe('certflow: certificateId: must be exactly 64 characters long (got 3)\n');
  }, 30_000);

  it('exits 1 and asks whether the sandbox runs when its endpoints do not answer', async () => {
    const stopped = path.join(fixture.dataDir, 'stopped-sandbox.json');
    const descriptor = JSON.parse(readFileSync(path.join(fixture.dataDir, 'sandbox.json'), 'utf8')) as {
      endpoints: Record<string, string>;
    };
    for (const service of Object.keys(descriptor.endpoints)) descriptor.endpoints[service] = 'http://127.0.0.1:1';
    writeFileSync(stopped, JSON.stringify(descriptor));
    const run = start('pending', '--sandbox-file', stopped);
    expect(await run.exited).toBe(1);
    expect(run.output.stderr).toBe('certflow: cannot reach 127.0.0.1:1: is the sandbox running (`npm start`)?\n');
  }, 30_000);
});
