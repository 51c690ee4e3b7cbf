import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  CreateThingTypeCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import { DescribeExecutionCommand, ListExecutionsCommand, type DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import type { SandboxDescriptor } from '../../cli/cli-target';
import { migrationIdOf } from '../../cli/migration-job';
import { listCertificates } from '../../lambdas/migration/certificate-listing';
import type { MigrationReportRow } from '../../lambdas/migration/migration-report';
import { PROJECT_ROOT } from '../../local/cloudformation/cloud-assembly';
import { principalCredentialsFor } from '../../local/sandbox-accounts';
import { approveMigrationRequests } from '../../local/sandbox-approver';
import {
  createCertificate,
  E2E_MIGRATION_QUOTAS,
  eventually,
  operatorArn,
  startSandboxFixture,
  type SandboxFixture,
} from './sandbox-fixture';

/**
 * `certflow migrate` is only a client: once it started the source run, the migration goes
 * on between the two accounts without it. These tests SIGKILL the CLI process (nothing
 * flushed, no handler) and stop a run with `--stop`, then run the same command again.
 *
 * Time runs 50 times faster (not the E2E 500): each CLI process takes a few seconds to
 * start, and at 0.02 the 60-minute approval deadline is 72 s.
 */
const TIME_SCALE = 0.02;
const REQUESTER = 'migration-operator@example.com';
const POLICY = 'killed-job-device-policy';
const THING_TYPE = 'killed-job-sensor';
const policyDocument = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] });

interface CliRun {
  child: ChildProcess;
  output: { stdout: string; stderr: string };
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

interface MigrationReportFile {
  migrationId: string;
  sourceRun: string;
  outcome: string;
  total: number;
  certificates: MigrationReportRow[];
}

let fixture: SandboxFixture;
let source: string;
let target: string;
let sourceIot: IoTClient;
let targetIot: IoTClient;
/** The sandbox descriptor the CLI runs with: the source's calls are REQUESTER's role session, so the start API names REQUESTER. */
let operatorSandboxFile: string;

beforeAll(async () => {
  fixture = await startSandboxFixture({
    timeScale: TIME_SCALE,
    schedules: true,
    iot: { quotas: E2E_MIGRATION_QUOTAS, keyAlgorithm: 'EC-P256' },
  });
  ({ source, target } = fixture.sandbox.accounts);
  sourceIot = fixture.iot(source, 10);
  targetIot = fixture.iot(target, 10);
  // The target's landing checks that the policy is there; the thing type is needed to create the things.
  for (const iot of [sourceIot, targetIot]) {
    await iot.send(new CreatePolicyCommand({ policyName: POLICY, policyDocument }));
    await iot.send(new CreateThingTypeCommand({ thingTypeName: THING_TYPE }));
  }
  const descriptor = JSON.parse(readFileSync(path.join(fixture.dataDir, 'sandbox.json'), 'utf8')) as SandboxDescriptor;
  descriptor.credentials.source = principalCredentialsFor(operatorArn(source, REQUESTER));
  operatorSandboxFile = path.join(fixture.dataDir, 'operator-sandbox.json');
  writeFileSync(operatorSandboxFile, JSON.stringify(descriptor));
}, 180_000);
afterAll(() => fixture?.close());

/** The real `certflow` process, as certflow-cli.test.ts runs it, pointed at the sandbox by its descriptor file. */
function certflow(...args: string[]): CliRun {
  const child = spawn(process.execPath, ['cli/certflow.js', ...args, '--sandbox-file', operatorSandboxFile], {
    cwd: PROJECT_ROOT,
    env: process.env,
  });
  const output = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output, exited };
}

/** A manifest CSV of fresh certificates: ACTIVE devices with the policy and a typed thing, ACTIVE and INACTIVE plain ones. */
async function seedManifest(name: string, counts: { devices: number; active: number; inactive: number }) {
  const ids: string[] = [];
  for (let index = 0; index < counts.devices; index += 1) {
    const certificate = await createCertificate(sourceIot, true);
    const thingName = `${name}-device-${index}`;
    await sourceIot.send(new AttachPolicyCommand({ policyName: POLICY, target: certificate.certificateArn }));
    await sourceIot.send(new CreateThingCommand({ thingName, thingTypeName: THING_TYPE }));
    await sourceIot.send(new AttachThingPrincipalCommand({ thingName, principal: certificate.certificateArn }));
    ids.push(certificate.certificateId);
  }
  const active = await Promise.all(Array.from({ length: counts.active }, () => createCertificate(sourceIot, true)));
  const inactive = await Promise.all(Array.from({ length: counts.inactive }, () => createCertificate(sourceIot, false)));
  ids.push(...active.map((certificate) => certificate.certificateId));
  const activeIds = new Set(ids);
  ids.push(...inactive.map((certificate) => certificate.certificateId));
  const manifest = path.join(fixture.dataDir, `${name}.csv`);
  writeFileSync(manifest, `${ids.join('\n')}\n`);
  return { manifest, ids, activeIds, migrationId: migrationIdOf({ kind: 'list', certificateIds: ids }, target) };
}

function approvers(migrationId: string) {
  return approveMigrationRequests(
    fixture.sandbox.notifications,
    migrationId,
    (subject) => (/accepting/i.test(subject) ? { decision: 'APPROVED' } : { decision: 'APPROVED', consentToPrepare: true }),
    { pollMs: 50 },
  );
}

/** The migration's source runs (`<id>-out-<ms>`), oldest first. */
async function sourceRuns(migrationId: string) {
  const { executions } = await fixture
    .sfn(source)
    .send(new ListExecutionsCommand({ stateMachineArn: fixture.sandbox.stacks.CertflowSource?.outputs.MigrationStateMachineArn }));
  return (executions ?? [])
    .filter((execution) => execution.name?.startsWith(`${migrationId}-out-`))
    .sort((a, b) => (a.name ?? '').localeCompare(b.name ?? ''));
}

async function ended(executionArn: string, timeoutMs = 150_000): Promise<DescribeExecutionCommandOutput> {
  return eventually(
    `${executionArn} to end`,
    async () => {
      const described = await fixture.sfn(source).send(new DescribeExecutionCommand({ executionArn }));
      return described.status === 'RUNNING' ? undefined : described;
    },
    timeoutMs,
  );
}

const outcomeOf = (described: DescribeExecutionCommandOutput) => (JSON.parse(described.output ?? '{}') as { outcome?: string }).outcome;
const readReport = (report: string) => JSON.parse(readFileSync(`${report}.json`, 'utf8')) as MigrationReportFile;

/** Every certificate of the manifest is gone from the source and in the target as it was (ACTIVE or INACTIVE). */
async function expectLanded(ids: string[], activeIds: Set<string>): Promise<void> {
  const inSource = await listCertificates(sourceIot);
  const inTarget = await listCertificates(targetIot);
  expect(ids.filter((id) => inSource.has(id))).toEqual([]);
  expect(ids.map((id) => inTarget.get(id)?.status)).toEqual(ids.map((id) => (activeIds.has(id) ? 'ACTIVE' : 'INACTIVE')));
}

describe('certflow migrate is a client of a migration that runs in AWS', () => {
  it('finishes the migration without any client after the CLI is SIGKILLed, and the same command then reports it', async () => {
    const { manifest, ids, activeIds, migrationId } = await seedManifest('killed', { devices: 4, active: 6, inactive: 5 });
    const report = path.join(fixture.dataDir, 'killed-report');
    const args = ['migrate', '--manifest', manifest, '--to', target, '--reason', 'the job is killed', '--report', report];
    const approver = approvers(migrationId);
    try {
      const first = certflow(...args);
      // Under way: the source approvers have answered the run this process started.
      await eventually(
        'the source approval',
        async () => (approver.answered.some((subject) => !/accepting/i.test(subject)) ? true : undefined),
        60_000,
      );
      first.child.kill('SIGKILL');
      expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });

      // No client process from here on: the run goes on between the accounts and lands everything.
      const [run, ...others] = await sourceRuns(migrationId);
      expect(others).toEqual([]);
      const finished = await ended(run?.executionArn ?? '');
      expect([finished.status, outcomeOf(finished), finished.error]).toEqual(['SUCCEEDED', 'LANDED', undefined]);
      await expectLanded(ids, activeIds);

      const again = certflow(...args);
      const { code } = await again.exited;
      expect([code, again.output.stderr]).toEqual([0, expect.any(String)]);
      const written = readReport(report);
      expect(written.certificates.map((row) => row.certificateId).sort()).toEqual([...ids].sort());
      // Every certificate is reported in the target...
      expect(written.certificates.filter((row) => !['LANDED', 'ALREADY_TRANSFERRED'].includes(row.outcome))).toEqual([]);
      // The run is over: the same command reports it (its outcome, its downtimes) rather than starting another.
      expect({ outcome: written.outcome, sourceRun: written.sourceRun }).toEqual({ outcome: 'LANDED', sourceRun: run?.name });
      expect(new Set(written.certificates.map((row) => row.outcome))).toEqual(new Set(['LANDED']));
    } finally {
      approver.stop();
    }
  }, 240_000);

  it('re-attaches to the running migration when the same command runs again after the CLI was SIGKILLed', async () => {
    const { manifest, ids, activeIds, migrationId } = await seedManifest('reattached', { devices: 2, active: 4, inactive: 4 });
    const report = path.join(fixture.dataDir, 'reattached-report');
    const args = ['migrate', '--manifest', manifest, '--to', target, '--reason', 'the job is killed and run again', '--report', report];
    const approver = approvers(migrationId);
    try {
      const first = certflow(...args);
      await eventually(
        'the source approval',
        async () => (approver.answered.some((subject) => !/accepting/i.test(subject)) ? true : undefined),
        60_000,
      );
      first.child.kill('SIGKILL');
      expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });

      const again = certflow(...args);
      const { code } = await again.exited;
      expect([code, again.output.stderr]).toEqual([0, expect.any(String)]);
      // The run the killed process started, followed to its end: no second run.
      const runs = await sourceRuns(migrationId);
      expect(runs.map((execution) => execution.status)).toEqual(['SUCCEEDED']);
      const written = readReport(report);
      expect({ outcome: written.outcome, sourceRun: written.sourceRun }).toEqual({ outcome: 'LANDED', sourceRun: runs[0]?.name });
      expect(written.certificates.filter((row) => row.outcome !== 'LANDED')).toEqual([]);
      expect(written.certificates.map((row) => row.certificateId).sort()).toEqual([...ids].sort());
    } finally {
      approver.stop();
    }
    await expectLanded(ids, activeIds);
  }, 240_000);

  it('stops the running source run with --stop (ABORTED), and the same command resumes the migration to LANDED', async () => {
    const { manifest, ids, activeIds, migrationId } = await seedManifest('stopped', { devices: 2, active: 4, inactive: 4 });
    const report = path.join(fixture.dataDir, 'stopped-report');
    const args = ['migrate', '--manifest', manifest, '--to', target, '--reason', 'stopped and resumed', '--report', report];
    const following = certflow(...args);
    // Running and waiting for the source approvers (nobody answers yet): nothing has changed in either account.
    const run = await eventually(
      'the source approval request',
      async () => {
        const [running] = await sourceRuns(migrationId);
        const requested = fixture.sandbox.notifications.list().some((notification) => notification.message.includes(migrationId));
        return running?.status === 'RUNNING' && requested ? running : undefined;
      },
      60_000,
    );

    const stop = certflow(...args, '--stop', '--json');
    expect((await stop.exited).code).toBe(0);
    expect(JSON.parse(stop.output.stdout)).toEqual({ migrationId, stopped: run.executionArn });
    const stopped = await ended(run.executionArn ?? '');
    expect([stopped.status, stopped.error]).toEqual(['ABORTED', 'MigrationStopped']);
    // The process that followed the run says it ended and how to go on; it exits 1.
    expect((await following.exited).code).toBe(1);
    expect(following.output.stderr).toMatch(/ended ABORTED .*run the same migration again to resume/);
    // Nothing moved.
    const inSource = await listCertificates(sourceIot);
    expect(ids.map((id) => inSource.get(id)?.status)).toEqual(ids.map((id) => (activeIds.has(id) ? 'ACTIVE' : 'INACTIVE')));

    const approver = approvers(migrationId);
    try {
      const resumed = certflow(...args);
      const { code } = await resumed.exited;
      expect([code, resumed.output.stderr]).toEqual([0, expect.any(String)]);
      const written = readReport(report);
      expect(written.outcome).toBe('LANDED');
      expect(written.certificates.filter((row) => row.outcome !== 'LANDED')).toEqual([]);
      expect(written.certificates.map((row) => row.certificateId).sort()).toEqual([...ids].sort());
      // A new run resumed it: the stopped one stays ABORTED.
      const runs = await sourceRuns(migrationId);
      expect(runs.map((execution) => [execution.name, execution.status])).toEqual([
        [run.name, 'ABORTED'],
        [written.sourceRun, 'SUCCEEDED'],
      ]);
    } finally {
      approver.stop();
    }
    await expectLanded(ids, activeIds);
  }, 240_000);
});
