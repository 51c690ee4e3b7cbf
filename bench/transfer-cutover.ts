import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  CreateThingTypeCommand,
  DescribeCertificateCommand,
  DescribeThingCommand,
  IoTClient,
  ListAttachedPoliciesCommand,
  ListPrincipalThingsCommand,
} from '@aws-sdk/client-iot';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { startWorkflowExecution, type StartWorkflowExecutionOptions } from '../cli/start-request-client';
import { DynamoDbAuditTrail } from '../lambdas/audit-trail/audit-trail';
import type { AuditRow } from '../lambdas/audit-trail/audit-row';
import { ensureSynthesized, PROJECT_ROOT } from '../local/cloudformation/cloud-assembly';
import type { IotRequestStats } from '../local/iot/iot-endpoint';
import { IOT_OPERATIONS } from '../local/iot/iot-operations';
import { ANY_FREE_PORTS, startSandbox, type Sandbox } from '../local/sandbox';
import { credentialsFor, principalCredentialsFor, sandboxSynthContext } from '../local/sandbox-accounts';
import { submitApproval } from '../local/sandbox-approver';

/**
 * Single cross-account transfers (the cutover) of ACTIVE certificates with a policy and a
 * typed thing, as production runs them: real time, the IoT emulator enforcing AWS's
 * default quotas, the poller and reminder sweep on, state on disk. Each transfer is
 * approved on both sides through the approval page as soon as its link appears; the
 * bench prints the downtime, the time from the second approval to landed, and what a
 * transfer costs in state transitions, Lambda invocations and IoT requests.
 *
 * Percentiles are nearest-rank: with 20 transfers p99 is the slowest one. Exits 1 when a
 * transfer did not end TRANSFERRED / LANDED whole, or the poller reviewed a cutover's offer;
 * a missed goal is printed, not failed (the sandbox shares its cores with the machine).
 *
 *   npm run bench:transfer -- [--certificates 20] [--concurrency 20] [--schedules-every-ms 0]
 *                             [--iot-latency-ms 0] [--keep-data]
 */
/** The role session that requests every transfer: the start API records it as the requester. */
const requesterArn = (sourceAccount: string) => `arn:aws:sts::${sourceAccount}:assumed-role/CertflowOperator/bench@example.com`;
const THING_TYPE = 'bench-sensor';
const POLICY_DOCUMENT = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] });
const LINK_POLL_MS = 25;
const EXECUTION_POLL_MS = 250;
/** While waiting for a link, whether the transfer has ended without one is checked every this many polls. */
const OUTBOUND_CHECK_EVERY_POLLS = 20;
/** A transfer that has not ended by then is reported as not ended (approvals are immediate; the cutover takes seconds). */
const TRANSFER_TIMEOUT_MS = 10 * 60_000;
const GOALS = { downtimeP99Seconds: 10, secondApprovalToLandedP99Seconds: 15 };
/** The rows of a cutover in which every Action succeeded at its first attempt, source then target: "side Action". */
const CLEAN_AUDIT_ROWS = [
  'source ApprovalGranted',
  'source UpdateCertificate',
  'source DetachPolicy',
  'source DetachThingPrincipal',
  'source TransferCertificate',
  'target ApprovalGranted',
  'target AcceptCertificateTransfer',
  'target AttachPolicy',
  'target CreateThing',
  'target AttachThingPrincipal',
];

interface BenchSettings {
  count: number;
  concurrency: number;
  /** 0: the schedules run as deployed; otherwise each scheduled function runs this often while the transfers run. */
  schedulesEveryMs: number;
  iotLatencyMs: number;
}

class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
}

/** The approval page did not take the decision, or there was nothing left to approve. */
class ApprovalNotTaken extends Error {
  override readonly name = 'ApprovalNotTaken';
}

/** A wait the bench gave up on: what it waited for. */
class BenchTimeout extends Error {
  override readonly name = 'BenchTimeout';
}

/** Where and as whom the bench asks the start API for each transfer. */
type TransferRequester = Pick<StartWorkflowExecutionOptions, 'apiUrl' | 'region' | 'credentials'>;

interface SeededDevice {
  certificateId: string;
  certificateArn: string;
  targetCertificateArn: string;
  policyName: string;
  thingName: string;
}

/** What the approver and the clock saw of one transfer, before the histories are read. */
interface TransferRun {
  device: SeededDevice;
  outboundArn: string;
  startedAt: number;
  sourceApprovedAt?: number;
  /** When the target approval page's POST answered: the second approval. */
  targetApprovedAt?: number;
  error?: string;
}

interface ExecutionFacts {
  arn: string;
  status: string;
  startedAt: number;
  stoppedAt?: number;
  output: { outcome?: string; downtimeSeconds?: number | null };
  history: HistoryEvent[];
}

/** One transfer, measured. */
interface TransferMeasurement {
  run: TransferRun;
  outbound: ExecutionFacts;
  review?: ExecutionFacts;
  downtimeSeconds?: number;
  reviewDowntimeSeconds?: number;
  auditDowntimeSeconds?: number;
  secondApprovalToLandedSeconds?: number;
  secondApprovalToReportLandedSeconds?: number;
  secondApprovalToSourceEndSeconds?: number;
  stateTransitions: number;
  /** Time within the downtime window, by the step that held it (see attributeWindow). */
  downtimeBySteps: Map<string, number>;
  secondApprovalBySteps: Map<string, number>;
  auditRows: AuditRow[];
  /** Rows beyond the clean cutover's, as "side Action OUTCOME" (a FAILED attempt, a repeat). */
  unusualAuditRows: string[];
  problems: string[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      concurrency: { type: 'string', default: '20' },
      certificates: { type: 'string', default: '20' },
      // The schedules run every 5 minutes from the start, so a run of seconds sees none: this runs them that often during the transfers.
      'schedules-every-ms': { type: 'string', default: '0' },
      // The emulator answers in about a millisecond; AWS IoT's control plane takes tens.
      'iot-latency-ms': { type: 'string', default: '0' },
      'keep-data': { type: 'boolean', default: false },
    },
  });
  const count = Number(values.certificates);
  const concurrency = Number(values.concurrency);
  const schedulesEveryMs = Number(values['schedules-every-ms']);
  const iotLatencyMs = Number(values['iot-latency-ms']);
  if (!Number.isInteger(count) || count < 1 || count > 1000)
    throw new BenchUsageError('--certificates: must be a whole number from 1 to 1000');
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new BenchUsageError('--concurrency: must be a whole number of at least 1');
  if (!Number.isInteger(schedulesEveryMs) || (schedulesEveryMs !== 0 && schedulesEveryMs < 50))
    throw new BenchUsageError('--schedules-every-ms: 0 (as deployed) or a whole number of at least 50');
  if (!Number.isInteger(iotLatencyMs) || iotLatencyMs < 0)
    throw new BenchUsageError('--iot-latency-ms: must be a whole number of at least 0');
  const settings: BenchSettings = { count, concurrency: Math.min(concurrency, count), schedulesEveryMs, iotLatencyMs };

  const assemblyDir = path.join(PROJECT_ROOT, 'cdk.out.bench');
  ensureSynthesized(assemblyDir, (line) => console.log(line), sandboxSynthContext());
  const dataDir = mkdtempSync(path.join(tmpdir(), 'certflow-bench-transfer-'));
  const functionLog = path.join(dataDir, 'functions.log');
  const functionLogStream = createWriteStream(functionLog);
  // As `npm start` runs: real time, default quotas, schedules on, durable state. EC keys only make seeding faster.
  const sandbox = await startSandbox({
    ports: ANY_FREE_PORTS,
    assemblyDir,
    dataDir,
    timeScale: 1,
    schedules: true,
    iot: { keyAlgorithm: 'EC-P256' },
    functionLogLevel: 'WARN',
    functionLogStream,
  });
  let failed = true;
  try {
    failed = await benchmark(sandbox, settings);
  } finally {
    await sandbox.stop();
    functionLogStream.end();
    if (failed || values['keep-data']) console.log(`\nstate and function logs kept in ${dataDir} (functions.log)`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
  if (failed) process.exitCode = 1;
}

async function benchmark(sandbox: Sandbox, settings: BenchSettings): Promise<boolean> {
  const { count, concurrency } = settings;
  const { source: sourceAccount, target: targetAccount } = sandbox.accounts;
  const base = (account: string) => ({ region: sandbox.region, credentials: credentialsFor(account) });
  const iot = (account: string) => new IoTClient({ ...base(account), endpoint: sandbox.endpoints.iot, maxAttempts: 10 });
  const sfn = (account: string) => new SFNClient({ ...base(account), endpoint: sandbox.endpoints.stepfunctions });
  const sourceIot = iot(sourceAccount);
  const targetIot = iot(targetAccount);
  const sourceSfn = sfn(sourceAccount);
  const targetSfn = sfn(targetAccount);
  // The outbound workflow fails UnverifiedRequest unless the start API recorded its start, so the bench starts through it.
  const startApiUrl = sandbox.stacks.CertflowSource?.outputs.StartApiUrl;
  if (!startApiUrl) throw new Error('CertflowSource has no StartApiUrl output');
  const requester: TransferRequester = {
    apiUrl: startApiUrl,
    region: sandbox.region,
    credentials: principalCredentialsFor(requesterArn(sourceAccount)),
  };

  console.log(`seeding ${count} ACTIVE certificates with a policy and a ${THING_TYPE} thing in account ${sourceAccount} ...`);
  const devices = await seedDevices(sourceIot, targetIot, count, sourceAccount, targetAccount);

  if (settings.iotLatencyMs > 0) {
    sandbox.iot.setFaults(Object.fromEntries(IOT_OPERATIONS.map((operation) => [operation, { latencyMs: settings.iotLatencyMs }])));
  }
  const inboundReviewsBefore = await executionCount(targetSfn, sandbox.stacks.CertflowTarget?.outputs.InboundStateMachineArn);
  const iotBefore = sandbox.iot.stats();
  const invocationsBefore = invocationsByFunction(sandbox);
  const transitionsBefore = sandbox.stepFunctions.stateTransitions;
  const scheduledFunctions = new Set(sandbox.schedules.map((schedule) => schedule.functionArn));

  console.log(`running ${count} transfers, ${concurrency} at a time ...`);
  const started = Date.now();
  const runs: TransferRun[] = [];
  const schedules = settings.schedulesEveryMs > 0 ? runSchedulesEvery(sandbox, settings.schedulesEveryMs) : undefined;
  const queue = [...devices];
  const worker = async (): Promise<void> => {
    for (let device = queue.shift(); device; device = queue.shift()) {
      const run = await runTransfer(sandbox, sourceSfn, requester, device, targetAccount);
      runs.push(run);
      console.log(
        `  ${((Date.now() - started) / 1000).toFixed(1)}s  ${runs.length}/${count} ended${run.error ? `: ${device.certificateId.slice(0, 8)} ${run.error}` : ''}`,
      );
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedSeconds = (Date.now() - started) / 1000;
  await schedules?.stop();
  sandbox.iot.setFaults({});

  // The sandbox's own counters, taken before the bench's checks add IoT requests of their own.
  const iotRequests = diffIotStats(iotBefore, sandbox.iot.stats());
  const invocations = diffInvocations(invocationsBefore, invocationsByFunction(sandbox));
  const transitions = sandbox.stepFunctions.stateTransitions - transitionsBefore;
  const inboundReviews =
    (await executionCount(targetSfn, sandbox.stacks.CertflowTarget?.outputs.InboundStateMachineArn)) - inboundReviewsBefore;

  const sourceTrail = auditTrail(sandbox, sourceAccount, 'CertflowSource');
  const targetTrail = auditTrail(sandbox, targetAccount, 'CertflowTarget');
  const measurements: TransferMeasurement[] = [];
  for (const run of runs) {
    measurements.push(
      await measureTransfer(run, {
        sourceSfn,
        targetSfn,
        sourceTrail,
        targetTrail,
        sourceIot: iot(sourceAccount),
        targetIot,
        targetAccount,
      }),
    );
  }

  printReport({
    sandbox,
    settings,
    elapsedSeconds,
    measurements,
    iotRequests,
    invocations,
    transitions,
    scheduledFunctions,
    inboundReviews,
  });
  const failures = measurements.filter((measurement) => measurement.problems.length > 0);
  for (const failure of failures) console.log(`FAILED ${failure.run.device.certificateId}: ${failure.problems.join('; ')}`);
  if (failures.length > 0)
    console.log(
      `\nFAILED: ${failures.length} of ${count} transfers did not end TRANSFERRED/LANDED with their policy and thing in the target`,
    );
  // The cutover's offers belong to proposals: the poller must leave them to the proposal review.
  if (inboundReviews > 0) console.log(`\nFAILED: the poller started ${inboundReviews} single inbound reviews for the cutover's offers`);
  for (const client of [sourceIot, targetIot, sourceSfn, targetSfn]) client.destroy();
  return failures.length > 0;
}

/** Certificates as a fleet has them: ACTIVE, their own policy (also in the target), a typed thing with an attribute. */
async function seedDevices(
  sourceIot: IoTClient,
  targetIot: IoTClient,
  count: number,
  sourceAccount: string,
  targetAccount: string,
): Promise<SeededDevice[]> {
  for (const client of [sourceIot, targetIot]) {
    await client.send(new CreateThingTypeCommand({ thingTypeName: THING_TYPE, thingTypeProperties: { searchableAttributes: ['floor'] } }));
  }
  const devices: SeededDevice[] = [];
  for (let index = 0; index < count; index += 1) {
    const created = await sourceIot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    const certificateId = created.certificateId ?? '';
    const certificateArn = created.certificateArn ?? '';
    const suffix = `${String(index).padStart(3, '0')}-${certificateId.slice(0, 8)}`;
    const device: SeededDevice = {
      certificateId,
      certificateArn,
      targetCertificateArn: certificateArn.replace(`:${sourceAccount}:`, `:${targetAccount}:`),
      policyName: `bench-device-${suffix}`,
      thingName: `bench-sensor-${suffix}`,
    };
    await sourceIot.send(new CreatePolicyCommand({ policyName: device.policyName, policyDocument: POLICY_DOCUMENT }));
    await targetIot.send(new CreatePolicyCommand({ policyName: device.policyName, policyDocument: POLICY_DOCUMENT }));
    await sourceIot.send(new AttachPolicyCommand({ policyName: device.policyName, target: certificateArn }));
    await sourceIot.send(
      new CreateThingCommand({
        thingName: device.thingName,
        thingTypeName: THING_TYPE,
        attributePayload: { attributes: { floor: String(index % 7) } },
      }),
    );
    await sourceIot.send(new AttachThingPrincipalCommand({ thingName: device.thingName, principal: certificateArn }));
    devices.push(device);
  }
  return devices;
}

/** One transfer as its requester and approvers play it: start, approve on the source, approve on the target, wait for the end. */
async function runTransfer(
  sandbox: Sandbox,
  sourceSfn: SFNClient,
  requester: TransferRequester,
  device: SeededDevice,
  targetAccount: string,
): Promise<TransferRun> {
  const startedAt = Date.now();
  const started = await startWorkflowExecution({
    ...requester,
    workflow: 'transfer',
    input: { certificateId: device.certificateId, targetAwsAccount: targetAccount, reason: 'transfer benchmark' },
  });
  const run: TransferRun = { device, outboundArn: started.executionArn, startedAt };
  try {
    const deadline = startedAt + TRANSFER_TIMEOUT_MS;
    const outboundEnded = async () => {
      const described = await sourceSfn.send(new DescribeExecutionCommand({ executionArn: run.outboundArn }));
      return described.status === 'RUNNING' ? undefined : described.status;
    };
    await approveOnce(sandbox, 'source', device.certificateId, { decision: 'APPROVED', consentToPrepare: true }, deadline, outboundEnded);
    run.sourceApprovedAt = Date.now();
    await approveOnce(sandbox, 'target', device.certificateId, { decision: 'APPROVED', setAsActive: true }, deadline, outboundEnded);
    run.targetApprovedAt = Date.now();
    await executionEnd(sourceSfn, run.outboundArn, deadline);
  } catch (error) {
    run.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
  return run;
}

/**
 * Waits for the first approval request of that side about the certificate, opens the
 * page (GET) and submits its approve form (POST), as an approver in a browser does.
 */
async function approveOnce(
  sandbox: Sandbox,
  side: 'source' | 'target',
  certificateId: string,
  decision: Parameters<typeof submitApproval>[1],
  deadline: number,
  /** The outbound execution's status once it is no longer RUNNING: a link will not come then. */
  outboundEnded: () => Promise<string | undefined>,
): Promise<void> {
  const account = sandbox.accounts[side];
  for (let poll = 1; ; poll += 1) {
    const notification = sandbox.notifications
      .list()
      .find(
        (candidate) =>
          candidate.topicArn.split(':')[4] === account &&
          candidate.message.includes(certificateId) &&
          !/remind/i.test(candidate.subject ?? '') &&
          /\/approval\?/.test(candidate.message),
      );
    const link = notification && /https?:\/\/\S+\/approval\?\S+/.exec(notification.message)?.[0];
    if (link) {
      const page = await fetch(link);
      await page.text();
      if (page.status !== 200) throw new ApprovalNotTaken(`the ${side} approval page answered ${page.status}`);
      const answer = await submitApproval(link, decision);
      if (answer.status !== 200) throw new ApprovalNotTaken(`the ${side} approval POST answered ${answer.status}`);
      return;
    }
    if (Date.now() > deadline) throw new BenchTimeout(`no ${side} approval link for ${certificateId}`);
    const ended = poll % OUTBOUND_CHECK_EVERY_POLLS === 0 ? await outboundEnded() : undefined;
    if (ended) throw new ApprovalNotTaken(`the outbound execution ended ${ended} before a ${side} approval link appeared`);
    await sleep(LINK_POLL_MS);
  }
}

async function executionEnd(sfn: SFNClient, executionArn: string, deadline: number): Promise<void> {
  for (;;) {
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (described.status !== 'RUNNING') return;
    if (Date.now() > deadline) throw new BenchTimeout(`execution ${executionArn} still RUNNING`);
    await sleep(EXECUTION_POLL_MS);
  }
}

async function executionFacts(sfn: SFNClient, executionArn: string): Promise<ExecutionFacts> {
  const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  const history: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }));
    history.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return {
    arn: executionArn,
    status: described.status ?? 'UNKNOWN',
    startedAt: described.startDate?.getTime() ?? NaN,
    stoppedAt: described.stopDate?.getTime(),
    output: JSON.parse(described.output ?? '{}') as ExecutionFacts['output'],
    history,
  };
}

interface MeasureDeps {
  sourceSfn: SFNClient;
  targetSfn: SFNClient;
  sourceTrail: DynamoDbAuditTrail;
  targetTrail: DynamoDbAuditTrail;
  sourceIot: IoTClient;
  targetIot: IoTClient;
  targetAccount: string;
}

async function measureTransfer(run: TransferRun, deps: MeasureDeps): Promise<TransferMeasurement> {
  const { device } = run;
  const problems: string[] = run.error ? [run.error] : [];
  const outbound = await executionFacts(deps.sourceSfn, run.outboundArn);
  const sourceRows = await deps.sourceTrail.query('byCertificate', device.certificateId);
  const targetRows = await deps.targetTrail.query('byCertificate', device.certificateId);
  const reviewArn = targetRows.find((row) => row.action === 'ApprovalGranted' && row.executionId)?.executionId;
  // The review reports the landing before its last states run: it may still be RUNNING when the source has ended.
  if (reviewArn) await executionEnd(deps.targetSfn, reviewArn, Date.now() + 60_000).catch(() => undefined);
  const review = reviewArn ? await executionFacts(deps.targetSfn, reviewArn) : undefined;

  if (outbound.output.outcome !== 'TRANSFERRED') problems.push(`source ended ${outbound.status} ${outbound.output.outcome ?? ''}`.trim());
  if (!review) problems.push('no target review found (no ApprovalGranted row in the target)');
  else if (review.output.outcome !== 'LANDED') problems.push(`target review ended ${review.status} ${review.output.outcome ?? ''}`.trim());
  problems.push(...(await landingProblems(device, deps)));

  const deactivated = latestRow(
    sourceRows,
    (row) => row.action === 'UpdateCertificate' && row.outcome === 'SUCCEEDED' && row.certificateStatus === 'INACTIVE',
  );
  const landed = latestRow(targetRows, (row) => row.action === 'AttachThingPrincipal' && row.outcome === 'SUCCEEDED');
  const deactivatedAt = deactivated ? Date.parse(deactivated.recordedAt) : undefined;
  const landedAt = landed ? Date.parse(landed.recordedAt) : undefined;
  const downtimeSeconds = outbound.output.downtimeSeconds ?? undefined;
  const reviewDowntimeSeconds = review?.output.downtimeSeconds ?? undefined;
  if (downtimeSeconds !== undefined && reviewDowntimeSeconds !== undefined && downtimeSeconds !== reviewDowntimeSeconds) {
    problems.push(`downtime differs: source ${downtimeSeconds} s, target review ${reviewDowntimeSeconds} s`);
  }
  const reportLanded = review ? stateInterval(review.history, 'ReportLanded') : undefined;
  const secondsFrom = (from: number | undefined, to: number | undefined) =>
    from !== undefined && to !== undefined ? (to - from) / 1000 : undefined;
  const intervals = [...stateIntervals(outbound.history, 'source'), ...(review ? stateIntervals(review.history, 'target') : [])];
  return {
    run,
    outbound,
    review,
    downtimeSeconds,
    reviewDowntimeSeconds,
    auditDowntimeSeconds: secondsFrom(deactivatedAt, landedAt),
    secondApprovalToLandedSeconds: review?.output.outcome === 'LANDED' ? secondsFrom(run.targetApprovedAt, review.stoppedAt) : undefined,
    secondApprovalToReportLandedSeconds: secondsFrom(run.targetApprovedAt, reportLanded?.exited),
    secondApprovalToSourceEndSeconds: secondsFrom(run.targetApprovedAt, outbound.stoppedAt),
    stateTransitions: countStateEntries(outbound.history) + (review ? countStateEntries(review.history) : 0),
    downtimeBySteps:
      deactivatedAt !== undefined && landedAt !== undefined ? attributeWindow(intervals, deactivatedAt, landedAt) : new Map(),
    secondApprovalBySteps:
      run.targetApprovedAt !== undefined && review?.stoppedAt !== undefined
        ? attributeWindow(intervals, run.targetApprovedAt, review.stoppedAt)
        : new Map(),
    auditRows: [...sourceRows, ...targetRows],
    unusualAuditRows: unusualRows([
      ...sourceRows.map((row) => ({ side: 'source', row })),
      ...targetRows.map((row) => ({ side: 'target', row })),
    ]),
    problems,
  };
}

/** The certificate ACTIVE in the target with its policy and its thing (type and attribute), and gone from the source. */
async function landingProblems(device: SeededDevice, deps: MeasureDeps): Promise<string[]> {
  const problems: string[] = [];
  const described = await deps.targetIot
    .send(new DescribeCertificateCommand({ certificateId: device.certificateId }))
    .catch(() => undefined);
  if (described?.certificateDescription?.status !== 'ACTIVE')
    problems.push(`target certificate ${described?.certificateDescription?.status ?? 'missing'}`);
  const policies =
    (await deps.targetIot.send(new ListAttachedPoliciesCommand({ target: device.targetCertificateArn })).catch(() => undefined))
      ?.policies ?? [];
  if (!policies.some((policy) => policy.policyName === device.policyName))
    problems.push(`policy ${device.policyName} not attached in the target`);
  const things =
    (await deps.targetIot.send(new ListPrincipalThingsCommand({ principal: device.targetCertificateArn })).catch(() => undefined))
      ?.things ?? [];
  if (!things.includes(device.thingName)) problems.push(`thing ${device.thingName} not attached in the target`);
  const thing = await deps.targetIot.send(new DescribeThingCommand({ thingName: device.thingName })).catch(() => undefined);
  if (thing?.thingTypeName !== THING_TYPE || thing.attributes?.floor === undefined)
    problems.push(`thing ${device.thingName} in the target lacks its type or attribute`);
  const inSource = await deps.sourceIot.send(new DescribeCertificateCommand({ certificateId: device.certificateId })).then(
    () => true,
    () => false,
  );
  if (inSource) problems.push('certificate still in the source');
  return problems;
}

function unusualRows(rows: Array<{ side: string; row: AuditRow }>): string[] {
  const expected = [...CLEAN_AUDIT_ROWS];
  const unusual: string[] = [];
  for (const { side, row } of rows) {
    const index = row.outcome === 'SUCCEEDED' ? expected.indexOf(`${side} ${row.action}`) : -1;
    if (index >= 0) expected.splice(index, 1);
    else unusual.push(`${side} ${row.action} ${row.outcome}${row.errorName ? ` ${row.errorName}` : ''}`);
  }
  return [...unusual, ...expected.map((missing) => `${missing} missing`)];
}

function latestRow(rows: AuditRow[], matches: (row: AuditRow) => boolean): AuditRow | undefined {
  return rows
    .filter(matches)
    .sort((a, b) => a.recordedAt.localeCompare(b.recordedAt))
    .pop();
}

interface StateInterval {
  label: string;
  entered: number;
  exited?: number;
}

function stateIntervals(history: HistoryEvent[], side: string): StateInterval[] {
  const intervals: StateInterval[] = [];
  const open = new Map<string, StateInterval>();
  for (const event of history) {
    const type = event.type ?? '';
    const timestamp = event.timestamp?.getTime() ?? NaN;
    if (type.endsWith('StateEntered')) {
      const name = event.stateEnteredEventDetails?.name ?? '?';
      const interval = { label: `${side} ${name}`, entered: timestamp };
      intervals.push(interval);
      open.set(name, interval);
    } else if (type.endsWith('StateExited')) {
      const interval = open.get(event.stateExitedEventDetails?.name ?? '?');
      if (interval) interval.exited = timestamp;
    }
  }
  return intervals;
}

function stateInterval(history: HistoryEvent[], name: string): StateInterval | undefined {
  return stateIntervals(history, '').find((interval) => interval.label === ` ${name}`);
}

function countStateEntries(history: HistoryEvent[]): number {
  return history.filter((event) => (event.type ?? '').endsWith('StateEntered')).length;
}

/**
 * Splits [from, to] among the states of both executions: each instant goes to the most
 * recently entered state still running then. A state waiting for a callback (the
 * source's OfferToTarget, the target's AnswerApproved) so keeps the time only until the
 * other side enters a step: what it holds is the message's trip. Instants no state
 * covers (between two states) go to "between steps".
 */
function attributeWindow(intervals: StateInterval[], from: number, to: number): Map<string, number> {
  const boundaries = [from, to, ...intervals.flatMap((interval) => [interval.entered, interval.exited ?? to])].filter(
    (time) => time >= from && time <= to,
  );
  const sorted = [...new Set(boundaries)].sort((a, b) => a - b);
  const byStep = new Map<string, number>();
  for (let index = 1; index < sorted.length; index += 1) {
    const start = sorted[index - 1] ?? from;
    const end = sorted[index] ?? to;
    let holder: StateInterval | undefined;
    for (const interval of intervals) {
      if (interval.entered <= start && (interval.exited ?? to) >= end && (!holder || interval.entered > holder.entered)) holder = interval;
    }
    const label = holder?.label ?? 'between steps';
    byStep.set(label, (byStep.get(label) ?? 0) + (end - start));
  }
  return byStep;
}

function auditTrail(sandbox: Sandbox, account: string, stackName: string): DynamoDbAuditTrail {
  const tableName = sandbox.stacks[stackName]?.outputs.AuditTableName;
  if (!tableName) throw new Error(`${stackName} has no AuditTableName output`);
  return new DynamoDbAuditTrail(
    new DynamoDBClient({ region: sandbox.region, endpoint: sandbox.endpoints.dynamodb, credentials: credentialsFor(account) }),
    tableName,
  );
}

function invocationsByFunction(sandbox: Sandbox): Map<string, number> {
  return new Map([...sandbox.functions].map(([arn, fn]) => [arn, fn.invocations]));
}

function diffInvocations(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  return new Map(
    [...after].map(([arn, total]) => [arn, total - (before.get(arn) ?? 0)]).filter(([, delta]) => Number(delta) > 0) as Array<
      [string, number]
    >,
  );
}

/** Requests and throttles per "account Action" between two snapshots. */
function diffIotStats(before: IotRequestStats, after: IotRequestStats): Map<string, { requests: number; throttled: number }> {
  const rows = new Map<string, { requests: number; throttled: number }>();
  for (const [account, actions] of Object.entries(after.accounts)) {
    for (const [action, counts] of Object.entries(actions)) {
      const earlier = before.accounts[account]?.[action as keyof typeof actions];
      const requests = counts.requests - (earlier?.requests ?? 0);
      const throttled = counts.throttled - (earlier?.throttled ?? 0);
      if (requests > 0) rows.set(`${account} ${action}`, { requests, throttled });
    }
  }
  return rows;
}

/** Nearest-rank percentile. */
function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)] ?? NaN;
}

function distribution(values: Array<number | undefined>): string {
  const known = values.filter((value): value is number => value !== undefined && Number.isFinite(value));
  if (known.length === 0) return '-';
  const missing = values.length - known.length;
  return `${percentile(known, 0.5).toFixed(2)} / ${percentile(known, 0.99).toFixed(2)} / ${Math.max(...known).toFixed(2)}${missing > 0 ? `  (${missing} missing)` : ''}`;
}

interface Report {
  sandbox: Sandbox;
  settings: BenchSettings;
  elapsedSeconds: number;
  measurements: TransferMeasurement[];
  iotRequests: Map<string, { requests: number; throttled: number }>;
  invocations: Map<string, number>;
  transitions: number;
  scheduledFunctions: Set<string>;
  inboundReviews: number;
}

function printReport(report: Report): void {
  const { sandbox, measurements, settings } = report;
  const { count } = settings;
  const nameOf = (arn: string) => sandbox.functions.get(arn)?.options.functionName ?? arn;
  const totalInvocations = [...report.invocations.values()].reduce((sum, value) => sum + value, 0);
  const scheduledInvocations = [...report.invocations]
    .filter(([arn]) => report.scheduledFunctions.has(arn))
    .reduce((sum, [, value]) => sum + value, 0);
  const historyTransitions = measurements.reduce((sum, measurement) => sum + measurement.stateTransitions, 0);
  const throttled = [...report.iotRequests.values()].reduce((sum, counts) => sum + counts.throttled, 0);
  const iotTotal = [...report.iotRequests.values()].reduce((sum, counts) => sum + counts.requests, 0);
  const downtime = measurements.map((measurement) => measurement.downtimeSeconds);
  const secondToLanded = measurements.map((measurement) => measurement.secondApprovalToLandedSeconds);
  const downtimeP99 = percentile(
    downtime.filter((value): value is number => value !== undefined),
    0.99,
  );
  const landedP99 = percentile(
    secondToLanded.filter((value): value is number => value !== undefined),
    0.99,
  );
  const goal = (value: number, limit: number) => (value <= limit ? `met (≤ ${limit} s)` : `MISSED (> ${limit} s)`);

  const rows: Array<[string, string]> = [
    ['transfers / at a time', `${count} / ${settings.concurrency}`],
    ['IoT latency added per request', `${settings.iotLatencyMs} ms`],
    ['wall time, first start to last end', `${report.elapsedSeconds.toFixed(1)} s`],
    ['downtime, execution output (s)    p50 / p99 / max', distribution(downtime)],
    [
      'downtime, audit rows (s)          p50 / p99 / max',
      distribution(measurements.map((measurement) => measurement.auditDowntimeSeconds)),
    ],
    ['2nd approval → review LANDED (s)  p50 / p99 / max', distribution(secondToLanded)],
    [
      '2nd approval → ReportLanded done  p50 / p99 / max',
      distribution(measurements.map((measurement) => measurement.secondApprovalToReportLandedSeconds)),
    ],
    [
      '2nd approval → source ended (s)   p50 / p99 / max',
      distribution(measurements.map((measurement) => measurement.secondApprovalToSourceEndSeconds)),
    ],
    [
      'start → source approved (s)       p50 / p99 / max',
      distribution(measurements.map(({ run }) => (run.sourceApprovedAt ? (run.sourceApprovedAt - run.startedAt) / 1000 : undefined))),
    ],
    [
      'source approved → target approved p50 / p99 / max',
      distribution(
        measurements.map(({ run }) =>
          run.sourceApprovedAt && run.targetApprovedAt ? (run.targetApprovedAt - run.sourceApprovedAt) / 1000 : undefined,
        ),
      ),
    ],
    ['goal: downtime p99', goal(downtimeP99, GOALS.downtimeP99Seconds)],
    ['goal: 2nd approval → landed p99', goal(landedP99, GOALS.secondApprovalToLandedP99Seconds)],
    [
      'state transitions per transfer',
      `${(historyTransitions / count).toFixed(2)} (histories, both workflows); engine counter ${(report.transitions / count).toFixed(2)}`,
    ],
    [
      'Lambda invocations per transfer',
      `${((totalInvocations - scheduledInvocations) / count).toFixed(2)} (all functions, receivers and approval page included; scheduled runs excluded)`,
    ],
    [
      'scheduled runs (poller, reminder sweep)',
      `${scheduledInvocations} during the run (${settings.schedulesEveryMs > 0 ? `each every ${settings.schedulesEveryMs} ms during the transfers` : `as deployed, every ${sandbox.schedules.map((schedule) => `${schedule.intervalMs / 60_000} min`).join(', ')}`})`,
    ],
    ['single inbound reviews the poller started', String(report.inboundReviews)],
    ['audit rows per transfer (source + target)', auditRowSummary(measurements)],
    ['IoT requests, all Actions / per transfer', `${iotTotal} / ${(iotTotal / count).toFixed(2)}`],
    ['throttled IoT requests', String(throttled)],
    [
      'ended TRANSFERRED + LANDED, landed whole',
      `${measurements.filter((measurement) => measurement.problems.length === 0).length} of ${count}`,
    ],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  console.log('\ncertflow cutover benchmark (single transfers, time scale 1, default IoT quotas, schedules on, durable state)');
  for (const [label, value] of rows) console.log(`  ${label.padEnd(width)}  ${value}`);

  console.log('\n  IoT requests by account and Action (throttled)');
  for (const [action, counts] of [...report.iotRequests].sort(([a], [b]) => a.localeCompare(b))) {
    console.log(`    ${action.padEnd(44)} ${String(counts.requests).padStart(5)}  (${counts.throttled})`);
  }
  console.log('\n  Lambda invocations by function (per transfer)');
  for (const [arn, value] of [...report.invocations].sort(([, a], [, b]) => b - a)) {
    const scheduled = report.scheduledFunctions.has(arn) ? '  [scheduled]' : '';
    console.log(`    ${nameOf(arn).padEnd(60)} ${String(value).padStart(5)}  (${(value / count).toFixed(2)})${scheduled}`);
  }
  printSteps(
    'Downtime by step, p50 / max ms (the step holding each instant; source deactivated → target thing attached)',
    measurements.map((measurement) => measurement.downtimeBySteps),
  );
  printSteps(
    '2nd approval → review LANDED by step, p50 / max ms',
    measurements.map((measurement) => measurement.secondApprovalBySteps),
  );
}

function printSteps(title: string, windows: Array<Map<string, number>>): void {
  const labels = new Map<string, number[]>();
  for (const window of windows) for (const [label, ms] of window) labels.set(label, [...(labels.get(label) ?? []), ms]);
  // Steps missing from a window held none of it: counted as 0 there.
  const summaries = [...labels].map(([label, values]) => {
    const all = [...values, ...Array<number>(windows.length - values.length).fill(0)];
    return { label, p50: percentile(all, 0.5), max: Math.max(...all), mean: all.reduce((sum, value) => sum + value, 0) / all.length };
  });
  const meanTotal = summaries.reduce((sum, summary) => sum + summary.mean, 0);
  console.log(`\n  ${title}`);
  for (const summary of summaries.sort((a, b) => b.mean - a.mean)) {
    if (summary.max < 1) continue;
    const share = meanTotal > 0 ? `${Math.round((summary.mean / meanTotal) * 100)}%` : '-';
    console.log(
      `    ${summary.label.padEnd(46)} ${summary.p50.toFixed(0).padStart(6)} / ${summary.max.toFixed(0).padStart(6)}   ${share.padStart(4)} of the mean`,
    );
  }
}

/** Each scheduled function, run back to back with `everyMs` between the starts, until stopped (then the runs in flight end). */
function runSchedulesEvery(sandbox: Sandbox, everyMs: number): { stop(): Promise<void> } {
  let stopped = false;
  const loops = sandbox.schedules.map(async (schedule) => {
    while (!stopped) {
      const startedAt = Date.now();
      await sandbox.scheduleRunner
        .runOnce(schedule)
        .catch((error: unknown) =>
          console.log(`  schedule ${schedule.ruleName}: ${error instanceof Error ? error.message : String(error)}`),
        );
      await sleep(Math.max(0, everyMs - (Date.now() - startedAt)));
    }
  });
  return {
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

async function executionCount(sfn: SFNClient, stateMachineArn: string | undefined): Promise<number> {
  if (!stateMachineArn) throw new Error('CertflowTarget has no InboundStateMachineArn output');
  let count = 0;
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1000, nextToken }));
    count += page.executions?.length ?? 0;
    nextToken = page.nextToken;
  } while (nextToken);
  return count;
}

/** How many rows a transfer left, and how many transfers left other rows than a clean cutover does (FAILED attempts, repeats). */
function auditRowSummary(measurements: TransferMeasurement[]): string {
  const rows = measurements.map((measurement) => measurement.auditRows.length);
  const unusual = measurements.filter((measurement) => measurement.unusualAuditRows.length > 0);
  const examples = [...new Set(unusual.flatMap((measurement) => measurement.unusualAuditRows))].slice(0, 4).join(', ');
  return `${Math.min(...rows)}-${Math.max(...rows)}; ${unusual.length} transfers whose rows differ from the clean ${CLEAN_AUDIT_ROWS.length}${examples ? ` (${examples})` : ''}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = error instanceof BenchUsageError ? 2 : 1;
});
