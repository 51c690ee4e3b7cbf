import { getEventListeners } from 'node:events';
import { Readable } from 'node:stream';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { marshall } from '@aws-sdk/util-dynamodb';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  MigrationDetached,
  migrationIdOf,
  MigrationRunFailed,
  progressLine,
  runMigrationJob,
  stopMigration,
  type MigrationJobDeps,
  type MigrationJobRequest,
  type MigrationProgressView,
  type MigrationSide,
} from '../../cli/migration-job';
import { parseJsonManifest, type MigrationManifest } from '../../lambdas/migration/migration-manifest';
import { migrationKeys, runFiles } from '../../lambdas/migration/migration-objects';
import { MIGRATION_PROGRESS_KEY } from '../../lambdas/migration/migration-progress';
import type { MigrationReportRow } from '../../lambdas/migration/migration-report';
import { parseMigrationId } from '../../lambdas/migration/migration-requests';

const SOURCE_ACCOUNT = '111111111111';
const TARGET_ACCOUNT = '222222222222';
const START = 1_700_000_000_000;
const id = (n: number) => `${'c'.repeat(56)}${n.toString(16).padStart(8, '0')}`;

/** The source's deployment, its clients mocked: an in-memory bucket, and a workflow whose runs the test scripts. */
function fakeSource() {
  const sfn = new SFNClient({ region: 'us-east-1' });
  const s3 = new S3Client({ region: 'us-east-1' });
  const dynamodb = new DynamoDBClient({ region: 'us-east-1' });
  const side: MigrationSide = {
    accountId: SOURCE_ACCOUNT,
    sfn,
    s3,
    dynamodb,
    stateMachineArn: `arn:aws:states:us-east-1:${SOURCE_ACCOUNT}:stateMachine:CertflowSource-Migration`,
    bucketName: `certflow-migrations-${SOURCE_ACCOUNT}-us-east-1`,
    progressTableName: 'CertflowSource-MigrationProgress',
  };
  const bucket = new Map<string, string>();
  const s3Mock = mockClient(s3);
  s3Mock.on(PutObjectCommand).callsFake((input: { Key: string; Body: string }) => {
    bucket.set(input.Key, input.Body);
    return {};
  });
  s3Mock.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    const text = bucket.get(input.Key);
    if (text === undefined) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
    return { Body: sdkStreamMixin(Readable.from([Buffer.from(text, 'utf8')])) };
  });
  const sfnMock = mockClient(sfn);
  sfnMock.on(ListExecutionsCommand).resolves({ executions: [] });
  sfnMock.on(StopExecutionCommand).resolves({ stopDate: new Date() });
  const dynamoMock = mockClient(dynamodb);
  dynamoMock.on(GetItemCommand).resolves({});
  return { side, bucket, sfnMock, s3Mock, dynamoMock };
}

type FakeSource = ReturnType<typeof fakeSource>;

function executionArnOf(name: string): string {
  return `${source.side.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

const runNameOf = (arn: string) => arn.split(':').pop() ?? '';

const DOWNTIME = { count: 1, p50: 4, p99: 4, max: 4 };

/**
 * Scripts the run: RUNNING for `polls` looks, then SUCCEEDED after writing `rows` where
 * ReportCutover writes them; `clock` moves 10 s a look.
 */
function runSucceeds(
  fake: FakeSource,
  migrationId: string,
  rows: MigrationReportRow[],
  options: { polls?: number; clock?: { now: number } } = {},
) {
  let looks = 0;
  fake.sfnMock.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => {
    looks += 1;
    if (options.clock) options.clock.now += 10_000;
    if (looks <= (options.polls ?? 1)) return { executionArn: input.executionArn, status: 'RUNNING' };
    const outcomesKey = runFiles(migrationId, runNameOf(input.executionArn)).outcomes;
    fake.bucket.set(outcomesKey, JSON.stringify(rows));
    return {
      executionArn: input.executionArn,
      status: 'SUCCEEDED',
      output: JSON.stringify({ outcome: 'LANDED', result: { outcomesKey, counts: {}, downtimeSeconds: DOWNTIME } }),
    };
  });
}

let source: FakeSource;
let started: Array<{ name: string; input: Record<string, unknown> }>;

beforeEach(() => {
  source = fakeSource();
  started = [];
});

/** The start API as the CLI calls it: it answers the execution's ARN. */
async function start(name: string, input: Record<string, unknown>): Promise<string> {
  started.push({ name, input });
  return executionArnOf(name);
}

function deps(change: Partial<MigrationJobDeps> = {}): MigrationJobDeps {
  return { source: source.side, start, pollMs: 1, now: () => START, ...change };
}

const LIST: MigrationManifest = { kind: 'list', certificateIds: [id(1), id(2), id(3), id(4)] };

function jobRequest(change: Partial<MigrationJobRequest> = {}): MigrationJobRequest {
  return { manifest: LIST, targetAwsAccount: TARGET_ACCOUNT, reason: 'EU fleet', transferMessage: 'fleet move', ...change };
}

describe('runMigrationJob', () => {
  const migrationId = migrationIdOf(LIST, TARGET_ACCOUNT);
  const rows: MigrationReportRow[] = [
    {
      certificateId: id(1),
      outcome: 'LANDED',
      sourceOutcome: 'OFFERED',
      targetOutcome: 'LANDED',
      previousStatus: 'ACTIVE',
      downtimeSeconds: 4,
    },
    { certificateId: id(2), outcome: 'FAILED', sourceOutcome: 'FAILED', errorName: 'CertificateNotFound' },
  ];

  it('uploads the manifest, starts the source run through the start API and reports the run as it ended', async () => {
    runSucceeds(source, migrationId, rows);

    const result = await runMigrationJob(deps(), jobRequest());

    expect(started).toEqual([
      {
        name: `${migrationId}-out-${START}`,
        input: { migrationId, targetAwsAccount: TARGET_ACCOUNT, transferMessage: 'fleet move', reason: 'EU fleet' },
      },
    ]);
    // The start API records who asked: the input names no requester.
    expect(started[0]?.input).not.toHaveProperty('requestedBy');
    expect(source.sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(source.s3Mock).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: source.side.bucketName,
      Key: migrationKeys.manifest(migrationId),
    });
    expect(result).toEqual({ migrationId, sourceRun: `${migrationId}-out-${START}`, outcome: 'LANDED', rows, downtimeSeconds: DOWNTIME });
  });

  it('uploads a manifest the source plan reads back as the same manifest', async () => {
    runSucceeds(source, migrationId, []);
    const selector: MigrationManifest = { kind: 'selector', status: 'INACTIVE', caCertificateId: 'ca'.repeat(32) };
    const selectorId = migrationIdOf(selector, TARGET_ACCOUNT);
    runSucceeds(source, selectorId, []);
    await runMigrationJob(deps(), jobRequest());
    await runMigrationJob(deps(), jobRequest({ manifest: selector }));
    expect(parseJsonManifest(source.bucket.get(migrationKeys.manifest(migrationId)) ?? '').manifest).toEqual(LIST);
    expect(parseJsonManifest(source.bucket.get(migrationKeys.manifest(selectorId)) ?? '').manifest).toEqual(selector);
  });

  it('passes null for a message and reason not given, as the workflow input expects', async () => {
    runSucceeds(source, migrationId, []);
    await runMigrationJob(deps(), jobRequest({ reason: undefined, transferMessage: undefined }));
    expect(started[0]?.input).toEqual({ migrationId, targetAwsAccount: TARGET_ACCOUNT, transferMessage: null, reason: null });
  });

  it('names the migration with the given id instead of the derived one, and refuses an id that cannot name a run', async () => {
    runSucceeds(source, 'eu-fleet', []);
    expect(await runMigrationJob(deps(), jobRequest({ migrationId: 'eu-fleet' }))).toMatchObject({
      migrationId: 'eu-fleet',
      sourceRun: `eu-fleet-out-${START}`,
    });
    await expect(runMigrationJob(deps(), jobRequest({ migrationId: 'eu fleet' }))).rejects.toMatchObject({ name: 'ValidationError' });
  });

  it('re-attaches to a run of the migration still RUNNING instead of starting another', async () => {
    const runningName = `${migrationId}-out-1699999999999`;
    source.sfnMock.on(ListExecutionsCommand).resolves({
      executions: [
        { name: runningName, executionArn: executionArnOf(runningName), status: 'RUNNING', stateMachineArn: '', startDate: new Date() },
      ],
    });
    runSucceeds(source, migrationId, rows, { polls: 2 });

    const result = await runMigrationJob(deps(), jobRequest());

    expect(started).toEqual([]);
    expect(source.s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
    expect(source.sfnMock).toHaveReceivedCommandWith(ListExecutionsCommand, {
      stateMachineArn: source.side.stateMachineArn,
      statusFilter: 'RUNNING',
    });
    expect(source.sfnMock).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: executionArnOf(runningName) });
    expect(result).toMatchObject({ sourceRun: runningName, rows });
  });

  it('starts a new run when only other migrations are running, even one whose id starts with this one', async () => {
    const others = [`${migrationId}x-out-1699999999999`, `other-out-1699999999999`, `${migrationId}-out-17`];
    source.sfnMock.on(ListExecutionsCommand).resolves({
      executions: others.map((name) => ({
        name,
        executionArn: executionArnOf(name),
        status: 'RUNNING',
        stateMachineArn: '',
        startDate: new Date(),
      })),
    });
    runSucceeds(source, migrationId, []);
    await runMigrationJob(deps(), jobRequest());
    expect(started.map((start) => start.name)).toEqual([`${migrationId}-out-${START}`]);
  });

  it('fails with MigrationRunFailed, naming the error and cause, when the run ends FAILED', async () => {
    source.sfnMock.on(DescribeExecutionCommand).resolves({
      status: 'FAILED',
      error: 'UnverifiedRequest',
      cause: 'no start request recorded',
      executionArn: 'x',
      stateMachineArn: '',
      startDate: new Date(),
    });
    const job = runMigrationJob(deps(), jobRequest());
    await expect(job).rejects.toBeInstanceOf(MigrationRunFailed);
    await expect(runMigrationJob(deps(), jobRequest())).rejects.toThrow(
      `the source run ${migrationId}-out-${START} ended FAILED (UnverifiedRequest: no start request recorded): run the same migration again to resume`,
    );
  });

  it('fails with MigrationRunFailed when the run was stopped, and when a run succeeded without naming its outcomes file', async () => {
    source.sfnMock
      .on(DescribeExecutionCommand)
      .resolvesOnce({ status: 'ABORTED', executionArn: 'x', stateMachineArn: '', startDate: new Date() });
    await expect(runMigrationJob(deps(), jobRequest())).rejects.toThrow(/ended ABORTED/);
    source.sfnMock
      .on(DescribeExecutionCommand)
      .resolves({ status: 'SUCCEEDED', output: '{"outcome":"LANDED"}', executionArn: 'x', stateMachineArn: '', startDate: new Date() });
    await expect(runMigrationJob(deps(), jobRequest())).rejects.toThrow(`the source run ${migrationId}-out-${START} wrote no outcomes`);
  });

  it('stops following the run when aborted, with MigrationDetached, and leaves the run going', async () => {
    runSucceeds(source, migrationId, [], { polls: 1000 });
    const controller = new AbortController();
    let polls = 0;
    const job = runMigrationJob(
      deps({
        signal: controller.signal,
        onProgress: () => {
          polls += 1;
          if (polls === 3) controller.abort();
        },
      }),
      jobRequest(),
    );
    await expect(job).rejects.toBeInstanceOf(MigrationDetached);
    await expect(job).rejects.toThrow(`stopped following ${migrationId}-out-${START}; it goes on`);
    expect(source.sfnMock).not.toHaveReceivedCommand(StopExecutionCommand);
  });

  it('detaches promptly when aborted while it was looking at the run, not after a whole poll interval', async () => {
    runSucceeds(source, migrationId, [], { polls: 1000 });
    const controller = new AbortController();
    const startedAt = Date.now();
    const job = runMigrationJob(deps({ signal: controller.signal, pollMs: 30_000, onProgress: () => controller.abort() }), jobRequest());
    await expect(job).rejects.toBeInstanceOf(MigrationDetached);
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });

  it('leaves no abort listener behind on the signal however many times it polled', async () => {
    runSucceeds(source, migrationId, rows, { polls: 15 });
    const controller = new AbortController();
    await runMigrationJob(deps({ signal: controller.signal }), jobRequest());
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('shows planning, the wait for both approvals, then the transfers here and the landings there with their rates, then the report', async () => {
    const clock = { now: START };
    const counters = [
      {},
      { transferTotal: 100, landTotal: 100 },
      { transferTotal: 100, transferDone: 20, landTotal: 100, transferBatches: new Set(['a']) },
      { transferTotal: 100, transferDone: 58, transferFailed: 2, landTotal: 100, landDone: 9, landFailed: 1 },
    ];
    let reads = 0;
    source.dynamoMock.on(GetItemCommand).callsFake((input: { Key: Record<string, { S: string }> }) => {
      const item = counters[reads] ?? {};
      reads += 1;
      return { Item: marshall({ [MIGRATION_PROGRESS_KEY]: input.Key[MIGRATION_PROGRESS_KEY]?.S, ...item }) };
    });
    runSucceeds(source, migrationId, [], { polls: counters.length, clock });
    const views: MigrationProgressView[] = [];

    await runMigrationJob(deps({ now: () => clock.now, onProgress: (view) => views.push(view) }), jobRequest());

    const runName = `${migrationId}-out-${START}`;
    expect(source.dynamoMock).toHaveReceivedCommandWith(GetItemCommand, {
      TableName: source.side.progressTableName,
      Key: { [MIGRATION_PROGRESS_KEY]: { S: runName } },
    });
    expect(views).toEqual([
      { side: 'source', phase: 'plan', runName },
      { side: 'source', phase: 'approval', runName, progress: { total: 100, done: 0, failed: 0 } },
      { side: 'source', phase: 'transfer', runName, progress: { total: 100, done: 20, failed: 0 } },
      { side: 'target', phase: 'land', runName, progress: { total: 100, done: 0, failed: 0 } },
      { side: 'source', phase: 'transfer', runName, progress: { total: 100, done: 58, failed: 2 }, rate: 4, secondsLeft: 10 },
      { side: 'target', phase: 'land', runName, progress: { total: 100, done: 9, failed: 1 }, rate: 1, secondsLeft: 90 },
      { side: 'source', phase: 'report', runName },
    ]);
  });
});

describe('stopMigration', () => {
  const migrationId = 'eu-fleet';

  it("stops the migration's running source run, saying how to resume it", async () => {
    const runningName = `${migrationId}-out-1699999999999`;
    source.sfnMock.on(ListExecutionsCommand).resolves({
      executions: [
        {
          name: `${migrationId}2-out-1699999999999`,
          executionArn: executionArnOf('other'),
          status: 'RUNNING',
          stateMachineArn: '',
          startDate: new Date(),
        },
        { name: runningName, executionArn: executionArnOf(runningName), status: 'RUNNING', stateMachineArn: '', startDate: new Date() },
      ],
    });
    expect(await stopMigration(source.side, migrationId)).toBe(executionArnOf(runningName));
    expect(source.sfnMock).toHaveReceivedCommandTimes(StopExecutionCommand, 1);
    expect(source.sfnMock).toHaveReceivedCommandWith(StopExecutionCommand, {
      executionArn: executionArnOf(runningName),
      error: 'MigrationStopped',
      cause: 'stopped with certflow migrate --stop: run it again to resume',
    });
  });

  it('stops nothing when no run of the migration is going', async () => {
    expect(await stopMigration(source.side, migrationId)).toBeUndefined();
    expect(source.sfnMock).not.toHaveReceivedCommand(StopExecutionCommand);
  });

  it('refuses an id that cannot name a run', async () => {
    await expect(stopMigration(source.side, 'eu/fleet')).rejects.toMatchObject({ name: 'ValidationError' });
    expect(source.sfnMock).not.toHaveReceivedCommand(ListExecutionsCommand);
  });
});

describe('migrationIdOf', () => {
  it('gives the same manifest to the same account the same id, so running the job again resumes it', () => {
    expect(migrationIdOf({ kind: 'list', certificateIds: [id(1), id(2)] }, TARGET_ACCOUNT)).toBe(
      migrationIdOf({ kind: 'list', certificateIds: [id(1), id(2)] }, TARGET_ACCOUNT),
    );
  });

  it('gives another manifest or another target account another id', () => {
    const ids = new Set([
      migrationIdOf({ kind: 'list', certificateIds: [id(1), id(2)] }, TARGET_ACCOUNT),
      migrationIdOf({ kind: 'list', certificateIds: [id(1)] }, TARGET_ACCOUNT),
      migrationIdOf({ kind: 'list', certificateIds: [id(1), id(2)] }, '333333333333'),
      migrationIdOf({ kind: 'selector', status: 'INACTIVE' }, TARGET_ACCOUNT),
      migrationIdOf({ kind: 'selector', status: 'ACTIVE' }, TARGET_ACCOUNT),
    ]);
    expect(ids.size).toBe(5);
  });

  it('is a valid migration id whose execution names fit the 80 characters Step Functions allows', () => {
    const derived = migrationIdOf({ kind: 'selector', caCertificateId: 'ca'.repeat(32) }, TARGET_ACCOUNT);
    expect(parseMigrationId(derived)).toBe(derived);
    expect(`${derived}-out-${Date.now()}`.length).toBeLessThanOrEqual(80);
  });
});

describe('progressLine', () => {
  it('says what the job waits for before there is anything to count', () => {
    expect(progressLine({ side: 'source', phase: 'plan', runName: 'r' })).toBe('source plan: planning');
    expect(progressLine({ side: 'target', phase: 'report', runName: 'r' })).toBe('target report: writing the report');
    expect(progressLine({ side: 'source', phase: 'approval', runName: 'r', progress: { total: 12, done: 0, failed: 0 } })).toBe(
      "source approval: waiting for both accounts' approvers (12 certificates)",
    );
  });

  it('draws a bar of what is finished, with done, failed, remaining, the rate and the time left', () => {
    expect(
      progressLine(
        { side: 'source', phase: 'transfer', runName: 'r', progress: { total: 100, done: 40, failed: 10 }, rate: 5, secondsLeft: 10.2 },
        10,
      ),
    ).toBe('source transfer [#####.....] done 40 failed 10 remaining 50 | 5.0/s | 11s left');
  });

  it('shows a dash for a rate not known yet', () => {
    expect(progressLine({ side: 'target', phase: 'land', runName: 'r', progress: { total: 4, done: 0, failed: 0 } }, 4)).toBe(
      'target land [....] done 0 failed 0 remaining 4 | -/s | - left',
    );
  });

  it('draws a full bar for a phase with nothing in it', () => {
    expect(progressLine({ side: 'target', phase: 'land', runName: 'r', progress: { total: 0, done: 0, failed: 0 } }, 5)).toBe(
      'target land [#####] done 0 failed 0 remaining 0 | -/s | - left',
    );
  });
});
