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
  migrationIdOf,
  MigrationRunFailed,
  MigrationStopped,
  progressLine,
  runMigrationJob,
  type MigrationJobDeps,
  type MigrationJobRequest,
  type MigrationProgressView,
  type MigrationSide,
} from '../../cli/migration-job';
import type { CertificateOutcome } from '../../lambdas/migration/certificate-outcome';
import { parseJsonManifest, type MigrationManifest } from '../../lambdas/migration/migration-manifest';
import { migrationKeys, runFiles } from '../../lambdas/migration/migration-objects';
import { MIGRATION_PROGRESS_KEY } from '../../lambdas/migration/migration-progress';
import { parseMigrationId } from '../../lambdas/migration/migration-requests';

const SOURCE_ACCOUNT = '111111111111';
const TARGET_ACCOUNT = '222222222222';
const START = 1_700_000_000_000;
const id = (n: number) => `${'c'.repeat(56)}${n.toString(16).padStart(8, '0')}`;

/** One side's deployment, its clients mocked: an in-memory bucket, and a workflow whose runs the test scripts. */
function fakeSide(accountId: string, stack: string) {
  const sfn = new SFNClient({ region: 'us-east-1' });
  const s3 = new S3Client({ region: 'us-east-1' });
  const dynamodb = new DynamoDBClient({ region: 'us-east-1' });
  const side: MigrationSide = {
    accountId,
    sfn,
    s3,
    dynamodb,
    stateMachineArn: `arn:aws:states:us-east-1:${accountId}:stateMachine:${stack}-Migration`,
    bucketName: `${stack.toLowerCase()}-migration-files`,
    progressTableName: `${stack}-MigrationProgress`,
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
  sfnMock
    .on(StartExecutionCommand)
    .callsFake((input: { name: string }) => ({ executionArn: executionArnOf(side, input.name), startDate: new Date() }));
  sfnMock.on(StopExecutionCommand).resolves({ stopDate: new Date() });
  const dynamoMock = mockClient(dynamodb);
  dynamoMock.on(GetItemCommand).resolves({});
  return { side, bucket, sfnMock, s3Mock, dynamoMock };
}

type FakeSide = ReturnType<typeof fakeSide>;

function executionArnOf(side: MigrationSide, name: string): string {
  return `${side.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

const runNameOf = (arn: string) => arn.split(':').pop() ?? '';

/**
 * Scripts the side's run: RUNNING for `polls` looks, then SUCCEEDED after writing
 * `outcomes` where the Finish step writes them; `clock` moves 10 s a look.
 */
function runSucceeds(
  fake: FakeSide,
  migrationId: string,
  outcomes: CertificateOutcome[],
  options: { polls?: number; clock?: { now: number } } = {},
) {
  let looks = 0;
  fake.sfnMock.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => {
    looks += 1;
    if (options.clock) options.clock.now += 10_000;
    if (looks <= (options.polls ?? 1)) return { executionArn: input.executionArn, status: 'RUNNING' };
    const outcomesKey = runFiles(migrationId, runNameOf(input.executionArn)).outcomes;
    fake.bucket.set(outcomesKey, JSON.stringify(outcomes));
    return {
      executionArn: input.executionArn,
      status: 'SUCCEEDED',
      output: JSON.stringify({ outcome: 'OFFERED', result: { outcomesKey, counts: {} } }),
    };
  });
}

let source: FakeSide;
let target: FakeSide;

beforeEach(() => {
  source = fakeSide(SOURCE_ACCOUNT, 'CertflowSource');
  target = fakeSide(TARGET_ACCOUNT, 'CertflowTarget');
});

function deps(change: Partial<MigrationJobDeps> = {}): MigrationJobDeps {
  return { source: source.side, target: target.side, pollMs: 1, now: () => START, ...change };
}

const LIST: MigrationManifest = { kind: 'list', certificateIds: [id(1), id(2), id(3), id(4)] };

function jobRequest(change: Partial<MigrationJobRequest> = {}): MigrationJobRequest {
  return {
    manifest: LIST,
    targetAwsAccount: TARGET_ACCOUNT,
    requestedBy: 'alice@example.com',
    reason: 'EU fleet',
    transferMessage: 'fleet move',
    ...change,
  };
}

function startInput(fake: FakeSide): unknown {
  const call = fake.sfnMock.commandCalls(StartExecutionCommand)[0];
  return JSON.parse(call?.args[0].input.input ?? 'null') as unknown;
}

describe('runMigrationJob', () => {
  const migrationId = migrationIdOf(LIST, TARGET_ACCOUNT);
  const sourceOutcomes: CertificateOutcome[] = [
    { certificateId: id(1), outcome: 'OFFERED', previousStatus: 'INACTIVE' },
    { certificateId: id(2), outcome: 'ALREADY_OFFERED', previousStatus: 'PENDING_TRANSFER' },
    { certificateId: id(3), outcome: 'FAILED', errorName: 'ConsentRequired', errorMessage: 'ACTIVE', previousStatus: 'ACTIVE' },
    { certificateId: id(4), outcome: 'ALREADY_TRANSFERRED' },
  ];
  const targetOutcomes: CertificateOutcome[] = [
    { certificateId: id(1), outcome: 'ACCEPTED', previousStatus: 'PENDING_TRANSFER' },
    {
      certificateId: id(2),
      outcome: 'FAILED',
      errorName: 'TransferAlreadyCompletedException',
      errorMessage: 'cancelled',
      previousStatus: 'PENDING_TRANSFER',
    },
  ];

  it('uploads the manifest, runs the source workflow, hands the target what was offered, runs the target workflow and reports both sides', async () => {
    runSucceeds(source, migrationId, sourceOutcomes);
    runSucceeds(target, migrationId, targetOutcomes);
    const result = await runMigrationJob(deps(), jobRequest());

    expect(JSON.parse(source.bucket.get(migrationKeys.manifest(migrationId)) ?? 'null')).toEqual({ certificateIds: LIST.certificateIds });
    expect(source.sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: source.side.stateMachineArn,
      name: `${migrationId}-out-${START}`,
    });
    expect(startInput(source)).toEqual({
      migrationId,
      targetAwsAccount: TARGET_ACCOUNT,
      transferMessage: 'fleet move',
      requestedBy: 'alice@example.com',
      reason: 'EU fleet',
    });

    expect(JSON.parse(target.bucket.get(migrationKeys.offers(migrationId)) ?? 'null')).toEqual({
      sourceAwsAccount: SOURCE_ACCOUNT,
      certificateIds: [id(1), id(2)],
    });
    expect(target.sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: target.side.stateMachineArn,
      name: `${migrationId}-in-${START}`,
    });
    expect(startInput(target)).toEqual({ migrationId, requestedBy: 'alice@example.com', reason: 'EU fleet' });

    expect(result).toEqual({
      migrationId,
      sourceRun: `${migrationId}-out-${START}`,
      targetRun: `${migrationId}-in-${START}`,
      rows: [
        { certificateId: id(1), outcome: 'TRANSFERRED', sourceOutcome: 'OFFERED', targetOutcome: 'ACCEPTED', previousStatus: 'INACTIVE' },
        {
          certificateId: id(2),
          outcome: 'FAILED',
          sourceOutcome: 'ALREADY_OFFERED',
          targetOutcome: 'FAILED',
          previousStatus: 'PENDING_TRANSFER',
          errorName: 'TransferAlreadyCompletedException',
          errorMessage: 'cancelled',
        },
        {
          certificateId: id(3),
          outcome: 'FAILED',
          sourceOutcome: 'FAILED',
          previousStatus: 'ACTIVE',
          errorName: 'ConsentRequired',
          errorMessage: 'ACTIVE',
        },
        { certificateId: id(4), outcome: 'ALREADY_TRANSFERRED', sourceOutcome: 'ALREADY_TRANSFERRED' },
      ],
    });
  });

  it('uploads a manifest the source plan reads back as the same manifest', async () => {
    runSucceeds(source, migrationIdOf({ kind: 'selector', status: 'INACTIVE', caCertificateId: 'ca'.repeat(32) }, TARGET_ACCOUNT), []);
    const selector: MigrationManifest = { kind: 'selector', status: 'INACTIVE', caCertificateId: 'ca'.repeat(32) };
    const { migrationId: selectorMigration } = await runMigrationJob(deps(), jobRequest({ manifest: selector }));
    const uploaded = source.bucket.get(migrationKeys.manifest(selectorMigration)) ?? '';
    expect(JSON.parse(uploaded)).toEqual({ selector: { status: 'INACTIVE', caCertificateId: 'ca'.repeat(32) } });
    expect(parseJsonManifest(uploaded).manifest).toEqual(selector);
  });

  it('passes null for a message and reason not given, as the workflow input expects', async () => {
    runSucceeds(source, migrationId, []);
    await runMigrationJob(deps(), jobRequest({ transferMessage: undefined, reason: undefined }));
    expect(startInput(source)).toMatchObject({ transferMessage: null, reason: null });
  });

  it('does not run the target side when nothing was offered', async () => {
    runSucceeds(source, migrationId, [sourceOutcomes[2] as CertificateOutcome, sourceOutcomes[3] as CertificateOutcome]);
    const result = await runMigrationJob(deps(), jobRequest());
    expect(target.sfnMock.calls()).toHaveLength(0);
    expect(target.bucket.size).toBe(0);
    expect(result.targetRun).toBeUndefined();
    expect(result.rows.map((row) => row.outcome)).toEqual(['FAILED', 'ALREADY_TRANSFERRED']);
  });

  it('names the migration with the given id instead of the derived one', async () => {
    runSucceeds(source, 'eu-fleet-2026_11', []);
    const result = await runMigrationJob(deps(), jobRequest({ migrationId: 'eu-fleet-2026_11' }));
    expect(result.migrationId).toBe('eu-fleet-2026_11');
    expect(source.bucket.has('migrations/eu-fleet-2026_11/manifest.json')).toBe(true);
    expect(source.sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, { name: `eu-fleet-2026_11-out-${START}` });
  });

  it('rejoins a running execution of the same migration instead of starting another', async () => {
    const running = `${migrationId}-out-${START - 60_000}`;
    source.sfnMock.on(ListExecutionsCommand).resolves({
      executions: [
        {
          name: `m-someothermigration00000-out-${START}`,
          executionArn: executionArnOf(source.side, `m-someothermigration00000-out-${START}`),
          stateMachineArn: source.side.stateMachineArn,
          status: 'RUNNING',
          startDate: new Date(),
        },
        {
          name: running,
          executionArn: executionArnOf(source.side, running),
          stateMachineArn: source.side.stateMachineArn,
          status: 'RUNNING',
          startDate: new Date(),
        },
      ],
    });
    runSucceeds(source, migrationId, []);
    const result = await runMigrationJob(deps(), jobRequest());
    expect(source.sfnMock).toHaveReceivedCommandWith(ListExecutionsCommand, {
      stateMachineArn: source.side.stateMachineArn,
      statusFilter: 'RUNNING',
    });
    expect(source.sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(source.sfnMock).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: executionArnOf(source.side, running) });
    expect(result.sourceRun).toBe(running);
  });

  it('starts a new run when only other migrations are running', async () => {
    source.sfnMock.on(ListExecutionsCommand).resolves({
      executions: [
        {
          name: `m-someothermigration00000-out-${START}`,
          executionArn: executionArnOf(source.side, `m-someothermigration00000-out-${START}`),
          stateMachineArn: source.side.stateMachineArn,
          status: 'RUNNING',
          startDate: new Date(),
        },
      ],
    });
    runSucceeds(source, migrationId, []);
    await runMigrationJob(deps(), jobRequest());
    expect(source.sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });

  it('fails with MigrationRunFailed, naming the error and cause, when the run ends FAILED', async () => {
    source.sfnMock
      .on(DescribeExecutionCommand)
      .resolves({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold', cause: 'too many batches failed' });
    const job = runMigrationJob(deps(), jobRequest());
    await expect(job).rejects.toBeInstanceOf(MigrationRunFailed);
    await expect(job).rejects.toThrow(
      `the source run ${migrationId}-out-${START} ended FAILED (States.ExceedToleratedFailureThreshold: too many batches failed): run the same migration again to resume`,
    );
    expect(target.sfnMock.calls()).toHaveLength(0);
  });

  it('fails with MigrationRunFailed when the target run is aborted by someone else', async () => {
    runSucceeds(source, migrationId, sourceOutcomes);
    target.sfnMock.on(DescribeExecutionCommand).resolves({ status: 'ABORTED' });
    await expect(runMigrationJob(deps(), jobRequest())).rejects.toThrow(
      `the target run ${migrationId}-in-${START} ended ABORTED: run the same migration again to resume`,
    );
  });

  it('fails when a run succeeded without naming its outcomes file', async () => {
    source.sfnMock.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', output: JSON.stringify({ outcome: 'OFFERED' }) });
    await expect(runMigrationJob(deps(), jobRequest())).rejects.toThrow(
      new MigrationRunFailed(`the source run ${migrationId}-out-${START} wrote no outcomes`),
    );
  });

  it('stops the running execution and throws MigrationStopped when aborted', async () => {
    runSucceeds(source, migrationId, [], { polls: 1000 });
    const controller = new AbortController();
    const job = runMigrationJob(
      deps({ signal: controller.signal, pollMs: 60_000, onProgress: () => setTimeout(() => controller.abort(), 10) }),
      jobRequest(),
    );
    await expect(job).rejects.toBeInstanceOf(MigrationStopped);
    await expect(job).rejects.toThrow(`stopped the source run ${migrationId}-out-${START}: run the same migration again to resume`);
    expect(source.sfnMock).toHaveReceivedCommandWith(StopExecutionCommand, {
      executionArn: executionArnOf(source.side, `${migrationId}-out-${START}`),
      error: 'MigrationStopped',
    });
    expect(target.sfnMock.calls()).toHaveLength(0);
  });

  it('stops promptly when aborted while it was looking at the run, not after a whole poll interval', async () => {
    runSucceeds(source, migrationId, [], { polls: 1000 });
    const controller = new AbortController();
    const started = Date.now();
    const job = runMigrationJob(deps({ signal: controller.signal, pollMs: 30_000, onProgress: () => controller.abort() }), jobRequest());
    await expect(job).rejects.toBeInstanceOf(MigrationStopped);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('stops the target run when aborted during the target side', async () => {
    runSucceeds(source, migrationId, sourceOutcomes);
    runSucceeds(target, migrationId, [], { polls: 1000 });
    const controller = new AbortController();
    const job = runMigrationJob(
      deps({ signal: controller.signal, onProgress: (view) => view.side === 'target' && controller.abort() }),
      jobRequest(),
    );
    await expect(job).rejects.toThrow(`stopped the target run ${migrationId}-in-${START}`);
    expect(target.sfnMock).toHaveReceivedCommandWith(StopExecutionCommand, {
      executionArn: executionArnOf(target.side, `${migrationId}-in-${START}`),
    });
    expect(source.sfnMock).not.toHaveReceivedCommand(StopExecutionCommand);
  });

  it('leaves no abort listener behind on the signal however many times it polled', async () => {
    runSucceeds(source, migrationId, sourceOutcomes, { polls: 15 });
    runSucceeds(target, migrationId, targetOutcomes, { polls: 15 });
    const controller = new AbortController();
    await runMigrationJob(deps({ signal: controller.signal }), jobRequest());
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('shows planning, then the inspection with its rate and time left, then the wait for approval, then the transfers', async () => {
    const clock = { now: START };
    const counters = [
      {},
      { inspectTotal: 100 },
      { inspectTotal: 100, inspectDone: 40, inspectFailed: 10, inspectBatches: new Set(['a+50']) },
      { inspectTotal: 100, inspectDone: 90, inspectFailed: 10, transferTotal: 90 },
      { inspectTotal: 100, inspectDone: 90, inspectFailed: 10, transferTotal: 90, transferDone: 30 },
      { inspectTotal: 100, inspectDone: 90, inspectFailed: 10, transferTotal: 90, transferDone: 58, transferFailed: 2 },
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
      { side: 'source', phase: 'inspect', runName, progress: { total: 100, done: 0, failed: 0 } },
      { side: 'source', phase: 'inspect', runName, progress: { total: 100, done: 40, failed: 10 }, rate: 5, secondsLeft: 10 },
      { side: 'source', phase: 'approval', runName, progress: { total: 90, done: 0, failed: 0 } },
      { side: 'source', phase: 'transfer', runName, progress: { total: 90, done: 30, failed: 0 } },
      { side: 'source', phase: 'transfer', runName, progress: { total: 90, done: 58, failed: 2 }, rate: 3, secondsLeft: 10 },
      { side: 'source', phase: 'report', runName },
    ]);
  });

  it('shows the target side waiting for its approvers, then answering', async () => {
    runSucceeds(source, migrationId, sourceOutcomes);
    const clock = { now: START };
    runSucceeds(target, migrationId, targetOutcomes, { polls: 2, clock });
    target.dynamoMock
      .on(GetItemCommand)
      .resolvesOnce({ Item: marshall({ answerTotal: 2 }) })
      .resolves({ Item: marshall({ answerTotal: 2, answerDone: 1 }) });
    const views: MigrationProgressView[] = [];
    await runMigrationJob(deps({ now: () => clock.now, onProgress: (view) => views.push(view) }), jobRequest());
    expect(views.filter((view) => view.side === 'target').map((view) => [view.phase, view.progress])).toEqual([
      ['approval', { total: 2, done: 0, failed: 0 }],
      ['answer', { total: 2, done: 1, failed: 0 }],
      ['report', undefined],
    ]);
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
    expect(progressLine({ side: 'target', phase: 'approval', runName: 'r', progress: { total: 12, done: 0, failed: 0 } })).toBe(
      'target approval: waiting for the target approvers (12 certificates)',
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
    expect(progressLine({ side: 'source', phase: 'inspect', runName: 'r', progress: { total: 4, done: 0, failed: 0 } }, 4)).toBe(
      'source inspect [....] done 0 failed 0 remaining 4 | -/s | - left',
    );
  });

  it('draws a full bar for a phase with nothing in it', () => {
    expect(progressLine({ side: 'target', phase: 'answer', runName: 'r', progress: { total: 0, done: 0, failed: 0 } }, 5)).toBe(
      'target answer [#####] done 0 failed 0 remaining 0 | -/s | - left',
    );
  });
});
