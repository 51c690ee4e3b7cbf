import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  CreateThingTypeCommand,
  DescribeCertificateCommand,
  DescribeThingCommand,
  ListAttachedPoliciesCommand,
  ListOutgoingCertificatesCommand,
  ListPrincipalThingsCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  StartExecutionCommand,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import {
  migrationIdOf,
  MigrationRunFailed,
  runMigrationJob,
  type MigrationJobRequest,
  type MigrationJobResult,
} from '../../cli/migration-job';
import { listCertificates } from '../../lambdas/migration/certificate-listing';
import { MigrationProgress } from '../../lambdas/migration/migration-progress';
import type { FaultSettings } from '../../local/iot/fault-injection';
import { submitApproval, type ApproverDecision } from '../../local/sandbox-approver';
import { submitDecision } from './approval-links';
import { startWorkflowExecution } from '../../cli/start-request-client';
import { principalCredentialsFor } from '../../local/sandbox-accounts';
import { createCertificate, E2E_MIGRATION_QUOTAS, eventually, operatorArn } from './sandbox-fixture';
import { recordStartRequest } from './start-requests';
import { freePorts, SandboxClients, SpawnedSandbox } from './spawned-sandbox';

/**
 * The sandbox as it runs, SIGKILLed at points across a cutover transfer and a migration
 * and started again on the same data folder and ports: every run must still end as it
 * would have without the crash. The sandbox runs in a child process (test/e2e/sandbox-process.ts),
 * driven over HTTP with real SDK clients and the approval page, as a user would.
 *
 * Time runs 50 times faster (not the E2E 500): a restart takes about 6 s of real time,
 * which at the E2E scale would be 50 minutes of sandbox time, nearly the whole 60-minute
 * approval deadline (7.2 s), so a kill while an approval waits would expire it. At 0.02
 * the deadline is 72 s and the cutover timeout 72 s, well beyond a restart.
 */
const CRASH_TIME_SCALE = 0.02;
const SOURCE_APPROVER = 'source-approver-1@example.com';
const TARGET_APPROVER = 'target-approver-1@example.com';
const REQUESTER = 'requester@example.com';
/** Long enough for the test to see a step in flight and kill the sandbox in the middle of it. */
const WINDOW_MS = 1500;
/** Per IoT request while the migration's steps are slowed down: a batch of 10 takes 1.5 s or more, time to kill partway. */
const MIGRATION_STEP_LATENCY_MS = 150;

let dataDir: string;
let sandbox: SpawnedSandbox;
let clients: SandboxClients;
let sourceIot: IoTClient;
let targetIot: IoTClient;
let sourceSfn: SFNClient;
let targetSfn: SFNClient;
let source: string;
let target: string;

/** What each kill hit, printed at the end: when, and which executions finished only after the restart. */
const kills: Array<{ point: string; killedAt: number; downMs: number; note?: string }> = [];

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'certflow-crash-'));
  sandbox = new SpawnedSandbox(path.join(dataDir, 'sandbox'), {
    ports: await freePorts(),
    timeScale: CRASH_TIME_SCALE,
    iot: { quotas: E2E_MIGRATION_QUOTAS, keyAlgorithm: 'EC-P256' },
    schedules: true,
  });
  clients = new SandboxClients(await sandbox.start());
  source = clients.account('source');
  target = clients.account('target');
  sourceIot = clients.iot('source');
  targetIot = clients.iot('target');
  sourceSfn = clients.sfn('source');
  targetSfn = clients.sfn('target');
}, 180_000);

afterAll(async () => {
  clients?.destroy();
  await sandbox?.kill();
  if (kills.length > 0) {
    console.log(
      [
        `kills (sandbox starts took ${sandbox?.startDurations.join(', ')} ms):`,
        ...kills.map((kill) => `  ${kill.point}: down ${kill.downMs} ms${kill.note ? `; ${kill.note}` : ''}`),
      ].join('\n'),
    );
  }
  // Kept when CERTFLOW_KEEP_CRASH_DATA is set: the data folder and the sandbox's log (sandbox.log) for a post-mortem.
  if (dataDir && !process.env.CERTFLOW_KEEP_CRASH_DATA) rmSync(dataDir, { recursive: true, force: true });
});

/** SIGKILL now, start again on the same data, and note it with what was seen. */
async function crashAndRestart(point: string, seen?: string): Promise<void> {
  const killedAt = Date.now();
  await sandbox.crashAndRestart();
  kills.push({ point, killedAt, downMs: Date.now() - killedAt, note: seen });
}

/**
 * Polls `observed` as fast as the sandbox answers and kills the sandbox the moment it
 * says what it saw; resolves once the sandbox is up again. Fails when the point never comes.
 */
async function killWhen(point: string, observed: () => Promise<string | undefined>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const seen = await observed().catch(() => undefined);
    if (seen !== undefined) return crashAndRestart(point, seen);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`the kill point "${point}" was never observed within ${timeoutMs} ms`);
}

async function certificateIn(iot: IoTClient, certificateId: string) {
  try {
    return (await iot.send(new DescribeCertificateCommand({ certificateId }))).certificateDescription;
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

const policiesOf = async (iot: IoTClient, certificateArn: string) =>
  ((await iot.send(new ListAttachedPoliciesCommand({ target: certificateArn }))).policies ?? []).map((policy) => policy.policyName);
const thingsOf = async (iot: IoTClient, certificateArn: string) =>
  (await iot.send(new ListPrincipalThingsCommand({ principal: certificateArn }))).things ?? [];
const policyDocument = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] });

/** An ACTIVE device certificate with a policy and a typed thing; the target has the policy and the type. */
async function deviceCertificate() {
  const certificate = await createCertificate(sourceIot, true);
  const suffix = certificate.certificateId.slice(0, 8);
  const policyName = `device-${suffix}`;
  const thingName = `sensor-${suffix}`;
  await sourceIot.send(new CreatePolicyCommand({ policyName, policyDocument }));
  await sourceIot.send(new AttachPolicyCommand({ policyName, target: certificate.certificateArn }));
  for (const iot of [sourceIot, targetIot]) {
    await iot.send(new CreateThingTypeCommand({ thingTypeName: 'sensor' })).catch((error: unknown) => {
      if (!(error instanceof Error && error.name === 'ResourceAlreadyExistsException')) throw error;
    });
  }
  await sourceIot.send(new CreateThingCommand({ thingName, thingTypeName: 'sensor', attributePayload: { attributes: { floor: '3' } } }));
  await sourceIot.send(new AttachThingPrincipalCommand({ thingName, principal: certificate.certificateArn }));
  await targetIot.send(new CreatePolicyCommand({ policyName, policyDocument }));
  return { ...certificate, policyName, thingName, targetArn: certificate.certificateArn.replace(`:${source}:`, `:${target}:`) };
}

/** The newest approval link the SNS sink holds for the approver and certificate (read over HTTP). */
async function approvalLink(approver: string, certificateId: string): Promise<string | undefined> {
  const notification = (await clients.notifications())
    .filter(
      (candidate) =>
        candidate.attributes.approver === approver && candidate.message.includes(certificateId) && !/remind/i.test(candidate.subject ?? ''),
    )
    .pop();
  return notification ? /https?:\/\/\S+\/approval\?\S+/.exec(notification.message)?.[0] : undefined;
}

async function historyOf(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

const entered = (events: HistoryEvent[], state: string) => events.some((event) => event.stateEnteredEventDetails?.name === state);
const exited = (events: HistoryEvent[], state: string) => events.some((event) => event.stateExitedEventDetails?.name === state);

/** The target's review of the proposal about this certificate, once the receiver started it. */
async function reviewOf(certificateId: string): Promise<string | undefined> {
  const { executions } = await targetSfn.send(
    new ListExecutionsCommand({ stateMachineArn: clients.stateMachineArn('target', 'ProposalReviewStateMachineArn') }),
  );
  for (const execution of executions ?? []) {
    const { events } = await targetSfn.send(new GetExecutionHistoryCommand({ executionArn: execution.executionArn, maxResults: 5 }));
    if (JSON.stringify(events).includes(certificateId)) return execution.executionArn;
  }
  return undefined;
}

async function reviewsOf(certificateId: string): Promise<string[]> {
  const { executions } = await targetSfn.send(
    new ListExecutionsCommand({ stateMachineArn: clients.stateMachineArn('target', 'ProposalReviewStateMachineArn') }),
  );
  const found: string[] = [];
  for (const execution of executions ?? []) {
    const { events } = await targetSfn.send(new GetExecutionHistoryCommand({ executionArn: execution.executionArn, maxResults: 5 }));
    if (JSON.stringify(events).includes(certificateId)) found.push(execution.executionArn ?? '');
  }
  return found;
}

/** Waits across restarts for the execution to end; a lost execution fails here with ExecutionDoesNotExist. */
async function finished(sfn: SFNClient, executionArn: string, timeoutMs = 100_000) {
  return eventually(
    `execution ${executionArn} to finish`,
    async () => {
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      return described.status === 'RUNNING' ? undefined : described;
    },
    timeoutMs,
  );
}

const outcomeOf = (output: string | undefined) => (JSON.parse(output ?? '{}') as { outcome?: string }).outcome;

/** Every audit row of the account for the certificate, as `Action OUTCOME detail`, sorted: duplicates show as repeated lines. */
async function auditOf(side: 'source' | 'target', certificateId: string): Promise<string[]> {
  // One entry per row id: dynalite keeps a table and its indexes in separate writes, so a kill
  // between them can leave an index entry for a put that was lost and then made again (the same
  // row, the same id). Two rows with different ids for one change would still fail below.
  const rows = [...new Map((await clients.auditTrail(side).query('byCertificate', certificateId)).map((row) => [row.rowId, row])).values()];
  return rows
    .map((row) =>
      [row.action, row.outcome, row.policyName ?? row.thingName ?? row.certificateStatus ?? row.errorName ?? ''].join(' ').trim(),
    )
    .sort();
}

/** Certificates of the source account that are PENDING_TRANSFER (the whole account, not only this test's). */
async function pendingInSource(): Promise<string[]> {
  const listed = await listCertificates(sourceIot);
  const pending = [...listed].filter(([, certificate]) => certificate.status === 'PENDING_TRANSFER').map(([id]) => id);
  const outgoing = (await sourceIot.send(new ListOutgoingCertificatesCommand({}))).outgoingCertificates ?? [];
  return [...pending, ...outgoing.map((certificate) => `outgoing:${certificate.certificateId ?? ''}`)];
}

type CutoverKillPoint =
  | 'right after StartExecution answered'
  | 'right after the source approval POST answered'
  | 'while the proposal is in flight'
  | 'right after the target approval POST answered'
  | 'during the preparation (INACTIVE, policy still attached)'
  | 'after TransferCertificate (PENDING_TRANSFER), before the accept'
  | 'after the accept, before the landing'
  | 'during the landing (policy attached, thing not yet created)'
  | 'right after the landing report';

/** The IoT Action slowed down so that the test sees the step before it and kills the sandbox while it is in flight. */
const WIDENED: Partial<Record<CutoverKillPoint, FaultSettings>> = {
  'during the preparation (INACTIVE, policy still attached)': { DetachPolicy: { latencyMs: WINDOW_MS } },
  'after TransferCertificate (PENDING_TRANSFER), before the accept': { AcceptCertificateTransfer: { latencyMs: WINDOW_MS } },
  'after the accept, before the landing': { AttachPolicy: { latencyMs: WINDOW_MS } },
  'during the landing (policy attached, thing not yet created)': { CreateThing: { latencyMs: WINDOW_MS } },
};

/**
 * PRODUCT BUG (local/stepfunctions, the engine's debounced checkpoints; see the StartExecution case):
 * the engine writes an execution's progress up to 100 ms (more on a busy machine) after the
 * API shows it, so a kill right after the review reported the landing can resume it at
 * AnswerApproved or ReadOffer, states AWS never runs again once they completed. The re-run
 * ReadOffer then finds the proposal LANDED and fails the review with UnverifiedMessage
 * ("transfer proposal … is LANDED: no offer from the source is recorded"), while the
 * certificate did land and the source ended TRANSFERRED. It happened in 2 of 4 whole-file
 * runs. Until the engine writes before it answers, that point waits for the review's
 * checkpoint to be past these states; then drop the wait.
 */
const STATES_BEFORE_THE_REPORT = ['AnswerApproved', 'ReadOffer', 'OfferOrWithdrawal', 'AcceptCertificateTransfer', 'LandCertificate'];

/**
 * One cutover transfer of a device certificate (policy and typed thing, both present in the
 * target), both sides approving on the page, with one SIGKILL and restart at `point`; then
 * checks that it ended as an uninterrupted one does.
 */
async function cutoverCrashedAt(point: CutoverKillPoint): Promise<void> {
  const device = await deviceCertificate();
  const faults = WIDENED[point];
  if (faults) await clients.setIotFaults(faults);
  // Started as people start it: through the start API, by REQUESTER's role session.
  const outbound = (
    await startWorkflowExecution({
      apiUrl: clients.startApiUrl(),
      region: clients.region,
      credentials: principalCredentialsFor(operatorArn(clients.account('source'), REQUESTER)),
      workflow: 'transfer',
      input: { certificateId: device.certificateId, targetAwsAccount: target, transferMessage: 'fleet moves', reason: 'consolidation' },
    })
  ).executionArn;
  if (point === 'right after StartExecution answered') {
    await crashAndRestart(point);
    // An execution StartExecution acknowledged is there after the crash.
    expect((await sourceSfn.send(new DescribeExecutionCommand({ executionArn: outbound }))).status).toBe('RUNNING');
  }

  let reviewArn: string | undefined;
  const review = async () => (reviewArn ??= await reviewOf(device.certificateId));
  // The points seen by polling the sandbox's state, watched while the test plays the approvers.
  const seenIf = (condition: boolean, seen: string) => (condition ? seen : undefined);
  const watched: Partial<Record<CutoverKillPoint, () => Promise<string | undefined>>> = {
    'while the proposal is in flight': async () =>
      seenIf(
        entered(await historyOf(sourceSfn, outbound), 'ProposeToTarget'),
        `ProposeToTarget entered; review ${(await review()) ? 'started' : 'not started yet'}`,
      ),
    'during the preparation (INACTIVE, policy still attached)': async () =>
      seenIf((await certificateIn(sourceIot, device.certificateId))?.status === 'INACTIVE', 'source INACTIVE'),
    'after TransferCertificate (PENDING_TRANSFER), before the accept': async () =>
      seenIf((await certificateIn(sourceIot, device.certificateId))?.status === 'PENDING_TRANSFER', 'source PENDING_TRANSFER'),
    'after the accept, before the landing': async () =>
      seenIf((await certificateIn(targetIot, device.certificateId))?.status === 'ACTIVE', 'target ACTIVE'),
    'during the landing (policy attached, thing not yet created)': async () =>
      seenIf(
        (await policiesOf(targetIot, device.targetArn).catch((): Array<string | undefined> => [])).includes(device.policyName),
        'policy attached in the target',
      ),
    // Killed once the engine has also written the report down (see STATES_BEFORE_THE_REPORT).
    'right after the landing report': async () => {
      const arn = await review();
      if (arn === undefined || !exited(await historyOf(targetSfn, arn), 'ReportLanded')) return undefined;
      const checkpoint = sandbox.checkpointOf(arn);
      return seenIf(
        checkpoint !== undefined && !STATES_BEFORE_THE_REPORT.includes(checkpoint.resumesAt ?? ''),
        `ReportLanded exited; the review on disk ${checkpoint?.status ?? '?'} at ${checkpoint?.resumesAt ?? '(closed)'}`,
      );
    },
  };
  const watch = watched[point];
  const watcher = watch ? killWhen(point, watch) : undefined;
  // Kept from failing the run unobserved while the test awaits something else; awaited below.
  watcher?.catch(() => undefined);

  const sourceLink = await eventually('the source approval link', () => approvalLink(SOURCE_APPROVER, device.certificateId), 60_000);
  const sourceAnswer = await submitDecision(sourceLink, { decision: 'APPROVED', consentToPrepare: 'true' });
  expect(sourceAnswer.status).toBe(200);
  if (point === 'right after the source approval POST answered') await crashAndRestart(point);
  if (point === 'while the proposal is in flight') await watcher;

  const targetLink = await eventually('the target approval link', () => approvalLink(TARGET_APPROVER, device.certificateId), 60_000);
  const targetAnswer = await submitDecision(targetLink, { decision: 'APPROVED', setAsActive: 'true' });
  expect(targetAnswer.status).toBe(200);
  if (point === 'right after the target approval POST answered') await crashAndRestart(point);
  await watcher;

  // Every execution ends, as it would have without the crash.
  const outboundResult = await finished(sourceSfn, outbound);
  const reviewExecution = await eventually('the review', review);
  const reviewResult = await finished(targetSfn, reviewExecution);
  const killedAt = kills[kills.length - 1]?.killedAt ?? 0;
  const endedAfterKill = [outboundResult.stopDate, reviewResult.stopDate].map((date) =>
    date && date.getTime() > killedAt ? 'after' : 'before',
  );
  const kill = kills[kills.length - 1];
  if (kill)
    kill.note = `${kill.note ? `${kill.note}; ` : ''}outbound ended ${endedAfterKill[0] ?? '?'} the kill, review ${endedAfterKill[1] ?? '?'}`;
  expect([outboundResult.status, outcomeOf(outboundResult.output), outboundResult.error, outboundResult.cause]).toEqual([
    'SUCCEEDED',
    'TRANSFERRED',
    undefined,
    undefined,
  ]);
  expect([reviewResult.status, outcomeOf(reviewResult.output), reviewResult.error, reviewResult.cause]).toEqual([
    'SUCCEEDED',
    'LANDED',
    undefined,
    undefined,
  ]);
  expect(await reviewsOf(device.certificateId)).toEqual([reviewExecution]);

  // IoT: gone from the source, ACTIVE in the target with its policy and thing; nothing left pending.
  expect(await certificateIn(sourceIot, device.certificateId)).toBeUndefined();
  expect(await certificateIn(targetIot, device.certificateId)).toMatchObject({
    status: 'ACTIVE',
    ownedBy: target,
    previousOwnedBy: source,
  });
  expect(await policiesOf(targetIot, device.targetArn)).toEqual([device.policyName]);
  expect(await thingsOf(targetIot, device.targetArn)).toEqual([device.thingName]);
  expect(await targetIot.send(new DescribeThingCommand({ thingName: device.thingName }))).toMatchObject({
    thingTypeName: 'sensor',
    attributes: { floor: '3' },
  });
  expect(await pendingInSource()).toEqual([]);

  // Both decisions acknowledged on the page were kept.
  for (const [side, link, approver] of [
    ['source', sourceLink, SOURCE_APPROVER],
    ['target', targetLink, TARGET_APPROVER],
  ] as const) {
    const requestId = new URL(link).searchParams.get('r') ?? '';
    expect(await clients.approvalStore(side).get(requestId)).toMatchObject({ status: 'APPROVED', decidedBy: approver });
  }

  // The audit trails agree with IoT: one row per Action, certificate and subject, and no other.
  expect(await auditOf('source', device.certificateId)).toEqual(
    [
      'ApprovalGranted SUCCEEDED',
      'UpdateCertificate SUCCEEDED INACTIVE',
      `DetachPolicy SUCCEEDED ${device.policyName}`,
      `DetachThingPrincipal SUCCEEDED ${device.thingName}`,
      'TransferCertificate SUCCEEDED PENDING_TRANSFER',
    ].sort(),
  );
  expect(await auditOf('target', device.certificateId)).toEqual(
    [
      'ApprovalGranted SUCCEEDED',
      'AcceptCertificateTransfer SUCCEEDED ACTIVE',
      `AttachPolicy SUCCEEDED ${device.policyName}`,
      `CreateThing SUCCEEDED ${device.thingName}`,
      `AttachThingPrincipal SUCCEEDED ${device.thingName}`,
    ].sort(),
  );
  // The target's poller (schedules on) started no legacy review for the cutover's offer.
  const { executions: inbound } = await targetSfn.send(
    new ListExecutionsCommand({ stateMachineArn: clients.stateMachineArn('target', 'InboundStateMachineArn') }),
  );
  expect(inbound ?? []).toEqual([]);
}

describe('a cutover transfer survives a SIGKILL of the sandbox and a restart on the same data', () => {
  const points: CutoverKillPoint[] = [
    'right after the source approval POST answered',
    'while the proposal is in flight',
    'right after the target approval POST answered',
    'during the preparation (INACTIVE, policy still attached)',
    'after TransferCertificate (PENDING_TRANSFER), before the accept',
    'after the accept, before the landing',
    'during the landing (policy attached, thing not yet created)',
    'right after the landing report',
  ];
  it.each(points)('lands the certificate once when killed %s', (point) => cutoverCrashedAt(point), 150_000);

  // Found by this test: the engine once wrote a new execution 100 ms after StartExecution answered.
  it(
    'lands the certificate once when killed right after StartExecution answered',
    () => cutoverCrashedAt('right after StartExecution answered'),
    150_000,
  );
});

const MIGRATION_POLICY = 'crash-migration-policy';
const MIGRATION_THING_TYPE = 'crash-migration-sensor';
const MIGRATION_DEVICES = 8;
const MIGRATION_ACTIVE = 12;
const MIGRATION_INACTIVE = 10;
const MIGRATION_SIZE = MIGRATION_DEVICES + MIGRATION_ACTIVE + MIGRATION_INACTIVE;
/**
 * The IoT Actions slowed down while the source transfers: the devices (batch 0, the
 * manifest puts them first) detach their things slowly, so the plain batches are
 * transferred and counted while batch 0 is still at work.
 */
const TRANSFER_FAULTS: FaultSettings = {
  TransferCertificate: { latencyMs: MIGRATION_STEP_LATENCY_MS },
  DetachThingPrincipal: { latencyMs: 3 * MIGRATION_STEP_LATENCY_MS },
};
/** While the target lands: each accept, and each device's thing, takes its time. */
const LANDING_FAULTS: FaultSettings = {
  AcceptCertificateTransfer: { latencyMs: MIGRATION_STEP_LATENCY_MS },
  CreateThing: { latencyMs: 3 * MIGRATION_STEP_LATENCY_MS },
};

/**
 * Plays the migration's approvers over HTTP: answers each request naming the migration
 * once (again after a failed POST). The target's answer waits for `allowTarget`, so that
 * the test can set up the cutover's faults first.
 */
function approveMigration(migrationId: string) {
  const answered = new Map<string, 'source' | 'target'>();
  let stopped = false;
  let targetAllowed = false;
  let sourceAnswered: () => void = () => undefined;
  const sourceApproved = new Promise<void>((resolve) => (sourceAnswered = resolve));
  void (async () => {
    while (!stopped) {
      try {
        for (const notification of await clients.notifications()) {
          if (!notification.message.includes(migrationId) || /remind/i.test(notification.subject ?? '')) continue;
          const link = /https?:\/\/\S+\/approval\?\S+/.exec(notification.message)?.[0];
          const requestId = link ? new URL(link).searchParams.get('r') : null;
          if (!link || !requestId || answered.has(requestId)) continue;
          const side = /accepting/i.test(notification.subject ?? '') ? 'target' : 'source';
          if (side === 'target' && !targetAllowed) continue;
          const decision: ApproverDecision =
            side === 'target' ? { decision: 'APPROVED' } : { decision: 'APPROVED', consentToPrepare: true };
          if ((await submitApproval(link, decision)).status !== 200) continue;
          answered.set(requestId, side);
          if (side === 'source') sourceAnswered();
        }
      } catch {
        // The sandbox is down or restarting: look again.
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    answered,
    /** Resolves the moment the page acknowledged the source approvers' decision. */
    sourceApproved,
    allowTarget: () => (targetAllowed = true),
    stop: () => (stopped = true),
  };
}

/** The migration's certificates: devices (policy and typed thing) first, then ACTIVE and INACTIVE plain ones. */
async function seedMigration() {
  for (const iot of [sourceIot, targetIot]) {
    await iot.send(new CreatePolicyCommand({ policyName: MIGRATION_POLICY, policyDocument }));
    await iot.send(new CreateThingTypeCommand({ thingTypeName: MIGRATION_THING_TYPE }));
  }
  const devices = [];
  for (let index = 0; index < MIGRATION_DEVICES; index += 1) {
    const certificate = await createCertificate(sourceIot, true);
    const thingName = `crash-migration-device-${index}`;
    await sourceIot.send(new AttachPolicyCommand({ policyName: MIGRATION_POLICY, target: certificate.certificateArn }));
    await sourceIot.send(
      new CreateThingCommand({ thingName, thingTypeName: MIGRATION_THING_TYPE, attributePayload: { attributes: { line: '4' } } }),
    );
    await sourceIot.send(new AttachThingPrincipalCommand({ thingName, principal: certificate.certificateArn }));
    devices.push({ ...certificate, thingName, targetArn: certificate.certificateArn.replace(`:${source}:`, `:${target}:`) });
  }
  const active = await Promise.all(Array.from({ length: MIGRATION_ACTIVE }, () => createCertificate(sourceIot, true)));
  const inactive = await Promise.all(Array.from({ length: MIGRATION_INACTIVE }, () => createCertificate(sourceIot, false)));
  return { devices, active, inactive };
}

/** One SUCCEEDED row per row id, as `certificate Action subject` → how many. */
async function successCounts(side: 'source' | 'target', certificateIds: string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const certificateId of certificateIds) {
    // By row id, as auditOf does: a kill can leave dynalite a stale index entry of the same row.
    const rows = new Map((await clients.auditTrail(side).query('byCertificate', certificateId)).map((row) => [row.rowId, row]));
    for (const row of rows.values()) {
      if (row.outcome !== 'SUCCEEDED') continue;
      const key = `${row.certificateId} ${row.action} ${row.policyName ?? row.thingName ?? ''}`.trim();
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

describe('a pipelined migration survives SIGKILLs of the sandbox across its approval, cutover and landing', () => {
  it(`lands all ${MIGRATION_SIZE} certificates once, as they were, after four kills and restarts`, async () => {
    const seeded = await seedMigration();
    const certificateIds = [...seeded.devices, ...seeded.active, ...seeded.inactive].map((certificate) => certificate.certificateId);
    const request: MigrationJobRequest = {
      manifest: { kind: 'list', certificateIds },
      targetAwsAccount: target,
      reason: 'account consolidation',
    };
    const migrationId = migrationIdOf(request.manifest, target);
    const sourceSide = clients.migrationSide('source');
    const progress = new MigrationProgress(sourceSide.dynamodb, sourceSide.progressTableName);
    const runs: string[] = [];
    // Started as people start it: through the start API, by REQUESTER's role session.
    const start = async (name: string, input: Record<string, unknown>) => {
      const { executionArn } = await startWorkflowExecution({
        apiUrl: clients.startApiUrl(),
        region: clients.region,
        credentials: principalCredentialsFor(operatorArn(source, REQUESTER)),
        workflow: 'migration',
        name,
        input,
      });
      runs.push(executionArn);
      return executionArn;
    };
    const runName = () => runs[0]?.split(':').pop() ?? '';
    const progressNow = async () => progress.read(runName());
    const partway = (phase: { done: number; failed: number } | undefined) =>
      phase !== undefined && phase.done + phase.failed > 0 && phase.done + phase.failed < MIGRATION_SIZE;
    const acceptedInTarget = async () => {
      const listed = await listCertificates(targetIot);
      return certificateIds.filter((id) => ['ACTIVE', 'INACTIVE'].includes(listed.get(id)?.status ?? '')).length;
    };

    const approver = approveMigration(migrationId);
    const killer = (async () => {
      await approver.sourceApproved;
      await crashAndRestart('migration: right after the source approval POST answered');
      await clients.setIotFaults(TRANSFER_FAULTS);
      approver.allowTarget();
      await killWhen('migration: while batches are transferred', async () => {
        const { transfer } = await progressNow();
        return partway(transfer) ? `transfer done ${transfer?.done} of ${MIGRATION_SIZE}` : undefined;
      });
      // Faults end with the process: the restarted one is slowed down where the target lands.
      await clients.setIotFaults(LANDING_FAULTS);
      await killWhen('migration: while the target lands', async () => {
        const { land } = await progressNow();
        const accepted = await acceptedInTarget();
        return partway(land) || (accepted > 0 && accepted < MIGRATION_SIZE)
          ? `land done ${land?.done ?? 0}, ${accepted} of ${MIGRATION_SIZE} accepted in the target`
          : undefined;
      });
      await clients.setIotFaults(LANDING_FAULTS);
      await killWhen('migration: while the source waits for the last landing reports', async () => {
        const events = await historyOf(sourceSfn, runs[0] ?? '');
        const { land } = await progressNow();
        return entered(events, 'AwaitLandingReports') && !exited(events, 'AwaitLandingReports') && (land?.done ?? 0) < MIGRATION_SIZE
          ? `AwaitLandingReports entered; land done ${land?.done ?? 0} of ${MIGRATION_SIZE}`
          : undefined;
      });
    })();
    killer.catch(() => undefined);

    // The job runs in this process, as `certflow migrate` would: when the sandbox goes away under it, it is run again and re-attaches.
    let result: MigrationJobResult | undefined;
    let attempts = 0;
    try {
      while (!result) {
        attempts += 1;
        try {
          result = await runMigrationJob({ source: sourceSide, start, pollMs: 100 }, request);
        } catch (error) {
          if (error instanceof MigrationRunFailed || attempts > 30) throw error;
          await sandbox.whenUp();
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
      await killer;
    } finally {
      approver.stop();
      await clients.setIotFaults({}).catch(() => undefined);
    }

    // One run, never lost nor started again: it ended SUCCEEDED, LANDED, and so did the target's.
    expect(runs).toHaveLength(1);
    const sourceRun = await finished(sourceSfn, runs[0] ?? '');
    expect([sourceRun.status, outcomeOf(sourceRun.output), sourceRun.error]).toEqual(['SUCCEEDED', 'LANDED', undefined]);
    const targetRuns = (
      (await targetSfn.send(new ListExecutionsCommand({ stateMachineArn: clients.migrationSide('target').stateMachineArn }))).executions ??
      []
    ).filter((execution) => execution.name?.startsWith(`${migrationId}-in-`));
    expect(targetRuns.map((execution) => execution.status)).toEqual(['SUCCEEDED']);
    expect(result.outcome).toBe('LANDED');
    expect(result.rows.map((row) => row.certificateId).sort()).toEqual([...certificateIds].sort());
    expect(result.rows.filter((row) => row.outcome !== 'LANDED')).toEqual([]);
    // Each approval the page acknowledged is kept: one per side, APPROVED.
    expect([...approver.answered.values()].sort()).toEqual(['source', 'target']);
    for (const [requestId, side] of approver.answered)
      expect(await clients.approvalStore(side).get(requestId)).toMatchObject({ status: 'APPROVED' });

    // IoT: gone from the source, in the target as it was in the source, with the devices' policy and thing; nothing pending.
    const sourceNow = await listCertificates(sourceIot);
    const targetNow = await listCertificates(targetIot);
    for (const id of certificateIds) expect(sourceNow.has(id)).toBe(false);
    for (const { certificateId } of [...seeded.devices, ...seeded.active]) expect(targetNow.get(certificateId)?.status).toBe('ACTIVE');
    for (const { certificateId } of seeded.inactive) expect(targetNow.get(certificateId)?.status).toBe('INACTIVE');
    expect(await pendingInSource()).toEqual([]);
    expect([...targetNow].filter(([, listed]) => listed.status === 'PENDING_TRANSFER')).toEqual([]);
    for (const device of seeded.devices) {
      expect(await policiesOf(targetIot, device.targetArn)).toEqual([MIGRATION_POLICY]);
      expect(await thingsOf(targetIot, device.targetArn)).toEqual([device.thingName]);
      expect(await targetIot.send(new DescribeThingCommand({ thingName: device.thingName }))).toMatchObject({
        thingTypeName: MIGRATION_THING_TYPE,
        attributes: { line: '4' },
      });
    }

    // Exactly one success row per certificate, Action and subject on each side, and the ones the moves need.
    const sourceSuccesses = await successCounts('source', certificateIds);
    const targetSuccesses = await successCounts('target', certificateIds);
    expect([...sourceSuccesses].filter(([, count]) => count !== 1)).toEqual([]);
    expect([...targetSuccesses].filter(([, count]) => count !== 1)).toEqual([]);
    const expectedSource: string[] = [];
    const expectedTarget: string[] = [];
    for (const device of seeded.devices) {
      const id = device.certificateId;
      expectedSource.push(
        `${id} UpdateCertificate`,
        `${id} DetachPolicy ${MIGRATION_POLICY}`,
        `${id} DetachThingPrincipal ${device.thingName}`,
      );
      expectedTarget.push(
        `${id} AttachPolicy ${MIGRATION_POLICY}`,
        `${id} CreateThing ${device.thingName}`,
        `${id} AttachThingPrincipal ${device.thingName}`,
      );
    }
    for (const { certificateId } of seeded.active) expectedSource.push(`${certificateId} UpdateCertificate`);
    for (const id of certificateIds) {
      expectedSource.push(`${id} TransferCertificate`);
      expectedTarget.push(`${id} AcceptCertificateTransfer`);
    }
    expect([...sourceSuccesses.keys()].sort()).toEqual(expectedSource.sort());
    expect([...targetSuccesses.keys()].sort()).toEqual(expectedTarget.sort());
    // The poller ran through the migration (schedules on) and sent none of its offers to a single review.
    const { executions: inbound } = await targetSfn.send(
      new ListExecutionsCommand({ stateMachineArn: clients.stateMachineArn('target', 'InboundStateMachineArn') }),
    );
    expect((inbound ?? []).filter((execution) => certificateIds.some((id) => execution.name?.includes(id)))).toEqual([]);
  }, 300_000);
});

describe('a sandbox restarting on its data', () => {
  // Found by this test: the Step Functions endpoint listens, with the state machines loaded, before
  // the functions are deployed; an execution started in that window now waits for them.
  it('runs no execution started while it is still deploying the functions', async () => {
    // The start API is not served before its function is deployed: the start request is
    // recorded first, as the API would, and the execution started directly in the restart window.
    const stateMachineArn = clients.stateMachineArn('source', 'OutboundStateMachineArn');
    const executionName = `during-restart-${Date.now()}`;
    const input = await recordStartRequest(clients.startRequestStore(), {
      stateMachineArn,
      executionName,
      callerArn: operatorArn(clients.account('source'), REQUESTER),
      input: { certificateId: 'f'.repeat(64), targetAwsAccount: target, reason: 'started during the restart' },
    });
    await sandbox.kill();
    const starting = sandbox.start();
    let executionArn: string | undefined;
    while (!executionArn) {
      executionArn = await sourceSfn
        .send(new StartExecutionCommand({ stateMachineArn, name: executionName, input }))
        .then((started) => started.executionArn)
        .catch(async () => {
          await new Promise((resolve) => setTimeout(resolve, 10));
          return undefined;
        });
    }
    await starting;
    const result = await finished(sourceSfn, executionArn);
    expect(result.error).not.toBe('Lambda.ResourceNotFoundException');
  }, 120_000);
});
