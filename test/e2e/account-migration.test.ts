import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  AttachPolicyCommand,
  CreatePolicyCommand,
  ListAttachedPoliciesCommand,
  TransferCertificateCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import { migrationIdOf, MigrationStopped, runMigrationJob, type MigrationJobRequest } from '../../cli/migration-job';
import { listCertificates } from '../../lambdas/migration/certificate-listing';
import type { AuditRow } from '../../lambdas/audit-trail/audit-row';
import { APPROVAL_EXPIRED_REASON } from '../../lib/inbound-transfer-workflow';
import { approveMigrationRequests, type ApproverDecision } from '../../local/sandbox-approver';
import { sandboxMigrationSide } from '../../local/sandbox-migration-side';
import { createCertificate, E2E_MIGRATION_QUOTAS, eventually, startSandboxFixture, type SandboxFixture } from './sandbox-fixture';

const ELSEWHERE = '333333333333';
const PLAIN = 240;
const ACTIVE = 20;
const WITH_POLICY = 20;
const PENDING_ELSEWHERE = 20;
const MISSING = 20;

let fixture: SandboxFixture;
let sourceAccount: string;
let targetAccount: string;
let sourceIot: IoTClient;
let targetIot: IoTClient;

beforeAll(async () => {
  fixture = await startSandboxFixture({ iot: { quotas: E2E_MIGRATION_QUOTAS, keyAlgorithm: 'EC-P256' } });
  ({ source: sourceAccount, target: targetAccount } = fixture.sandbox.accounts);
  sourceIot = fixture.iot(sourceAccount, 10);
  targetIot = fixture.iot(targetAccount, 10);
}, 120_000);
afterAll(() => fixture?.close());

const side = (name: 'source' | 'target') => sandboxMigrationSide(fixture.sandbox, name);

/** Each certificate's status in the account, by id. */
async function statuses(iot: IoTClient): Promise<Map<string, string>> {
  return new Map([...(await listCertificates(iot))].map(([id, listed]) => [id, listed.status]));
}

async function auditRows(account: string, stackName: string, certificateIds: string[]): Promise<AuditRow[]> {
  const trail = fixture.auditTrail(account, stackName);
  return (await Promise.all(certificateIds.map((id) => trail.query('byCertificate', id)))).flat();
}

/** "Action OUTCOME" → how many rows. */
function tally(rows: AuditRow[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const row of rows) counts[`${row.action} ${row.outcome}`] = (counts[`${row.action} ${row.outcome}`] ?? 0) + 1;
  return counts;
}

function approveAll(migrationId: string, decisions: { source: ApproverDecision; target: ApproverDecision }) {
  return approveMigrationRequests(
    fixture.sandbox.notifications,
    migrationId,
    (subject) => (/accepting/i.test(subject) ? decisions.target : decisions.source),
    { pollMs: 50 },
  );
}

describe('account migrations in the sandbox', () => {
  it('migrates a few hundred certificates, stopped midway and resumed, each ending where it should with one audit row per Action outcome', async () => {
    const plain = await Promise.all(Array.from({ length: PLAIN }, () => createCertificate(sourceIot)));
    const active = await Promise.all(Array.from({ length: ACTIVE }, () => createCertificate(sourceIot, true)));
    const withPolicy = await Promise.all(Array.from({ length: WITH_POLICY }, () => createCertificate(sourceIot)));
    const policyName = 'migration-device-policy';
    await sourceIot.send(
      new CreatePolicyCommand({
        policyName,
        policyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] }),
      }),
    );
    for (const certificate of withPolicy) await sourceIot.send(new AttachPolicyCommand({ policyName, target: certificate.certificateArn }));
    const elsewhere = await Promise.all(Array.from({ length: PENDING_ELSEWHERE }, () => createCertificate(sourceIot)));
    for (const certificate of elsewhere)
      await sourceIot.send(new TransferCertificateCommand({ certificateId: certificate.certificateId, targetAwsAccount: ELSEWHERE }));
    const missing = Array.from({ length: MISSING }, () => randomBytes(32).toString('hex'));
    const ids = (list: Array<{ certificateId: string }>) => list.map((certificate) => certificate.certificateId);
    const everything = [...ids(plain), ...ids(active), ...ids(withPolicy), ...ids(elsewhere), ...missing];

    const request: MigrationJobRequest = {
      manifest: { kind: 'list', certificateIds: everything },
      targetAwsAccount: targetAccount,
      requestedBy: 'migration-job@example.com',
      reason: 'account consolidation',
    };
    const migrationId = migrationIdOf(request.manifest, targetAccount);
    // The source approvers do not consent to deactivating or detaching: those certificates must fail, the rest move.
    const approver = approveAll(migrationId, { source: { decision: 'APPROVED' }, target: { decision: 'APPROVED', setAsActive: true } });
    try {
      // First run: stopped once the first batches of transfers are done.
      const stop = new AbortController();
      await expect(
        runMigrationJob(
          {
            source: side('source'),
            target: side('target'),
            pollMs: 50,
            signal: stop.signal,
            onProgress: (view) => {
              if (view.phase === 'transfer' && (view.progress?.done ?? 0) >= 50) stop.abort();
            },
          },
          request,
        ),
      ).rejects.toBeInstanceOf(MigrationStopped);
      const afterStop = await statuses(sourceIot);
      const offeredBeforeStop = ids(plain).filter((id) => afterStop.get(id) === 'PENDING_TRANSFER').length;
      expect(offeredBeforeStop).toBeGreaterThanOrEqual(50);
      expect(offeredBeforeStop).toBeLessThan(PLAIN);

      // Second run: resumes, skipping what the first offered.
      const resumed = await runMigrationJob({ source: side('source'), target: side('target'), pollMs: 50 }, request);
      const byOutcome = (outcome: string) =>
        resumed.rows
          .filter((row) => row.outcome === outcome)
          .map((row) => row.certificateId)
          .sort();
      expect(byOutcome('TRANSFERRED')).toEqual(ids(plain).sort());
      // The batch running at the stop finishes its certificates after it: the resumed run finds at least those offered before.
      const alreadyOffered = resumed.rows.filter((row) => row.sourceOutcome === 'ALREADY_OFFERED').length;
      expect(alreadyOffered).toBeGreaterThanOrEqual(offeredBeforeStop);
      expect(alreadyOffered + resumed.rows.filter((row) => row.sourceOutcome === 'OFFERED').length).toBe(PLAIN);
      const failures = Object.fromEntries(
        resumed.rows.filter((row) => row.outcome === 'FAILED').map((row) => [row.certificateId, row.errorName]),
      );
      expect(Object.keys(failures)).toHaveLength(ACTIVE + WITH_POLICY + PENDING_ELSEWHERE + MISSING);
      for (const id of [...ids(active), ...ids(withPolicy)]) expect(failures[id]).toBe('ConsentRequired');
      for (const id of ids(elsewhere)) expect(failures[id]).toBe('PendingTransferElsewhere');
      for (const id of missing) expect(failures[id]).toBe('CertificateNotFound');

      // Where each certificate is now.
      const source = await statuses(sourceIot);
      const target = await statuses(targetIot);
      for (const id of ids(plain)) {
        expect(source.has(id)).toBe(false);
        expect(target.get(id)).toBe('ACTIVE');
      }
      for (const id of ids(active)) expect(source.get(id)).toBe('ACTIVE');
      for (const certificate of withPolicy) {
        expect(source.get(certificate.certificateId)).toBe('INACTIVE');
        const attached = await sourceIot.send(new ListAttachedPoliciesCommand({ target: certificate.certificateArn }));
        expect(attached.policies?.map((policy) => policy.policyName)).toEqual([policyName]);
      }
      for (const id of ids(elsewhere)) expect(source.get(id)).toBe('PENDING_TRANSFER');
      for (const id of [...ids(active), ...ids(withPolicy), ...ids(elsewhere), ...missing]) expect(target.has(id)).toBe(false);

      // Exactly one audit row per Action outcome: one transfer and one accept per moved certificate, nothing else.
      expect(tally(await auditRows(sourceAccount, 'CertflowSource', everything))).toEqual({ 'TransferCertificate SUCCEEDED': PLAIN });
      expect(tally(await auditRows(targetAccount, 'CertflowTarget', everything))).toEqual({ 'AcceptCertificateTransfer SUCCEEDED': PLAIN });

      // A third run skips every moved certificate: it asks the source approvers only about the
      // ones still waiting for their consent, and without it changes nothing.
      const notified = fixture.sandbox.notifications.list().length;
      const again = await runMigrationJob({ source: side('source'), target: side('target'), pollMs: 50 }, request);
      expect(again.targetRun).toBeUndefined();
      expect(again.rows.filter((row) => row.outcome === 'ALREADY_TRANSFERRED')).toHaveLength(PLAIN);
      expect(again.rows.filter((row) => row.errorName === 'ConsentRequired')).toHaveLength(ACTIVE + WITH_POLICY);
      const asked = fixture.sandbox.notifications.list().slice(notified);
      expect(asked.length).toBeGreaterThan(0);
      for (const notification of asked)
        expect(notification.subject).toBe(`certflow: approve moving ${ACTIVE + WITH_POLICY} certificates to ${targetAccount}`);
      expect(tally(await auditRows(sourceAccount, 'CertflowSource', everything))).toEqual({ 'TransferCertificate SUCCEEDED': PLAIN });
    } finally {
      approver.stop();
    }
  }, 180_000);

  it('sends every certificate back when the target approvers reject the batch, with their reason', async () => {
    const certificates = await Promise.all(Array.from({ length: 12 }, () => createCertificate(sourceIot)));
    const certificateIds = certificates.map((certificate) => certificate.certificateId);
    const request: MigrationJobRequest = {
      manifest: { kind: 'list', certificateIds },
      targetAwsAccount: targetAccount,
      requestedBy: 'migration-job@example.com',
    };
    const approver = approveAll(migrationIdOf(request.manifest, targetAccount), {
      source: { decision: 'APPROVED' },
      target: { decision: 'REJECTED', rejectReason: 'not expecting these' },
    });
    try {
      const result = await runMigrationJob({ source: side('source'), target: side('target'), pollMs: 50 }, request);
      expect(result.rows.map((row) => row.outcome)).toEqual(certificateIds.map(() => 'REJECTED'));
    } finally {
      approver.stop();
    }
    const source = await statuses(sourceIot);
    for (const id of certificateIds) expect(source.get(id)).toBe('INACTIVE');
    const targetRows = await auditRows(targetAccount, 'CertflowTarget', certificateIds);
    expect(tally(targetRows)).toEqual({ 'RejectCertificateTransfer SUCCEEDED': 12 });
    expect(new Set(targetRows.map((row) => row.message))).toEqual(new Set(['not expecting these']));
  }, 120_000);

  it('rejects every offer, rather than leave it pending, when the target approvers do not decide by the deadline', async () => {
    const certificates = await Promise.all(Array.from({ length: 8 }, () => createCertificate(sourceIot)));
    const certificateIds = certificates.map((certificate) => certificate.certificateId);
    const request: MigrationJobRequest = {
      manifest: { kind: 'list', certificateIds },
      targetAwsAccount: targetAccount,
      requestedBy: 'migration-job@example.com',
    };
    // Only the source approvers answer; the target's 60-minute deadline passes in 7.2 s of sandbox time.
    const approver = approveMigrationRequests(fixture.sandbox.notifications, migrationIdOf(request.manifest, targetAccount), (subject) =>
      /accepting/i.test(subject) ? undefined : { decision: 'APPROVED' },
    );
    try {
      const result = await runMigrationJob({ source: side('source'), target: side('target'), pollMs: 50 }, request);
      expect(result.rows.map((row) => row.outcome)).toEqual(certificateIds.map(() => 'REJECTED'));
    } finally {
      approver.stop();
    }
    const source = await statuses(sourceIot);
    for (const id of certificateIds) expect(source.get(id)).toBe('INACTIVE');
    const targetRows = await auditRows(targetAccount, 'CertflowTarget', certificateIds);
    expect(tally(targetRows)).toEqual({ 'RejectCertificateTransfer SUCCEEDED': 8 });
    expect(new Set(targetRows.map((row) => row.message))).toEqual(new Set([APPROVAL_EXPIRED_REASON]));
  }, 120_000);

  it('certflow migrate shows its progress, stops on Ctrl-C, resumes when run again and writes the report as CSV and JSON', async () => {
    const certificates = await Promise.all(Array.from({ length: 150 }, () => createCertificate(sourceIot)));
    const missing = randomBytes(32).toString('hex');
    const manifestFile = path.join(fixture.dataDir, 'certs.csv');
    writeFileSync(
      manifestFile,
      [
        'certificateId,device',
        ...certificates.map((certificate, index) => `${certificate.certificateId},device-${index}`),
        `${missing},gone`,
      ].join('\n'),
    );
    const report = path.join(fixture.dataDir, 'migration-report');
    const args = [
      'cli/certflow.js',
      'migrate',
      '--manifest',
      manifestFile,
      '--to',
      targetAccount,
      '--requested-by',
      'ops@example.com',
      '--report',
      report,
      '--sandbox-file',
      path.join(fixture.dataDir, 'sandbox.json'),
      '--json',
    ];
    const migrationId = migrationIdOf(
      { kind: 'list', certificateIds: [...certificates.map((certificate) => certificate.certificateId), missing] },
      targetAccount,
    );
    const approver = approveAll(migrationId, { source: { decision: 'APPROVED' }, target: { decision: 'APPROVED' } });
    const run = () => {
      const child = spawn(process.execPath, args, {
        cwd: path.join(__dirname, '..', '..'),
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      });
      const output = { stdout: '', stderr: '' };
      child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      return { child, output, exited };
    };
    try {
      const first = run();
      await eventually(
        'the first offers',
        async () => {
          const source = await statuses(sourceIot);
          return certificates.some((certificate) => source.get(certificate.certificateId) === 'PENDING_TRANSFER') ? true : undefined;
        },
        60_000,
      );
      first.child.kill('SIGINT');
      expect(await first.exited).toBe(130);
      expect(first.output.stderr).toMatch(/source (plan|inspect|approval|transfer)/);
      expect(first.output.stderr).toMatch(/stopped the source run .*: run the same migration again to resume/);

      const second = run();
      // One certificate of the manifest does not exist: the run ends 1, its summary still on stdout.
      expect(await second.exited).toBe(1);
      const summary = JSON.parse(second.output.stdout) as { counts: Record<string, number>; report: string[] };
      expect(summary.counts).toEqual({ TRANSFERRED: 150, FAILED: 1 });
      expect(summary.report).toEqual([`${report}.csv`, `${report}.json`]);
      const csv = readFileSync(`${report}.csv`, 'utf8').trim().split('\n');
      expect(csv[0]).toBe('certificateId,outcome,sourceOutcome,targetOutcome,previousStatus,errorName,errorMessage');
      expect(csv).toHaveLength(152);
      expect(csv).toContainEqual(`${missing},FAILED,FAILED,,,CertificateNotFound,the certificate is not in this account`);
      const json = JSON.parse(readFileSync(`${report}.json`, 'utf8')) as {
        migrationId: string;
        total: number;
        counts: Record<string, number>;
        certificates: unknown[];
      };
      expect(json).toMatchObject({ migrationId, total: 151, counts: { TRANSFERRED: 150, FAILED: 1 } });
      const target = await statuses(targetIot);
      for (const certificate of certificates) expect(target.get(certificate.certificateId)).toBe('INACTIVE');
      expect(
        tally(
          await auditRows(
            targetAccount,
            'CertflowTarget',
            certificates.map((certificate) => certificate.certificateId),
          ),
        ),
      ).toEqual({ 'AcceptCertificateTransfer SUCCEEDED': 150 });
    } finally {
      approver.stop();
    }
  }, 180_000);
});
