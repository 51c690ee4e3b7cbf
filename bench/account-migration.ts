import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateKeysAndCertificateCommand, IoTClient } from '@aws-sdk/client-iot';
import { migrationIdOf, progressLine, runMigrationJob } from '../cli/migration-job';
import { listCertificates } from '../lambdas/migration/certificate-listing';
import { DynamoDbAuditTrail } from '../lambdas/audit-trail/audit-trail';
import { ensureSynthesized, PROJECT_ROOT } from '../local/cloudformation/cloud-assembly';
import { sandboxSynthContext } from '../local/sandbox-accounts';
import type { FaultSettings, IotOperation, IotRequestStats } from '../local/iot/iot-endpoint';
import { ANY_FREE_PORTS, startSandbox, type Sandbox } from '../local/sandbox';
import { credentialsFor } from '../local/sandbox-accounts';
import { approveMigrationRequests } from '../local/sandbox-approver';
import { sandboxMigrationSide } from '../local/sandbox-migration-side';

/**
 * Migrates N certificates from the source account to the target account in the
 * sandbox, through both approvals, with the IoT emulator enforcing AWS's default
 * quotas (10 requests per second per account for TransferCertificate,
 * AcceptCertificateTransfer, DescribeCertificate, ListCertificates, UpdateCertificate),
 * and prints how close the run came to the quota and what it cost.
 */
const QUOTA_PER_SECOND = 10;
/** Every Action a migration calls: the fault variant injects its faults into each. */
const MIGRATION_ACTIONS: IotOperation[] = [
  'ListCertificates',
  'ListOutgoingCertificates',
  'ListAttachedPolicies',
  'ListPrincipalThings',
  'DescribeCertificate',
  'UpdateCertificate',
  'DetachPolicy',
  'AttachPolicy',
  'TransferCertificate',
  'AcceptCertificateTransfer',
];

interface ActionTimeline {
  first?: number;
  last?: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { certificates: { type: 'string', default: '10000' }, 'fault-rate': { type: 'string', default: '0' } },
  });
  const count = Number(values.certificates);
  const faultRate = Number(values['fault-rate']);
  if (!Number.isInteger(count) || count < 1 || count > 100_000) throw new Error('--certificates: must be a whole number from 1 to 100000');
  if (!(faultRate >= 0 && faultRate < 1)) throw new Error('--fault-rate: must be a number from 0 to less than 1');

  const assemblyDir = path.join(PROJECT_ROOT, 'cdk.out.bench');
  ensureSynthesized(assemblyDir, (line) => console.log(line), sandboxSynthContext());
  const sandbox = await startSandbox({
    ports: ANY_FREE_PORTS,
    assemblyDir,
    schedules: false,
    iot: { keyAlgorithm: 'EC-P256' },
    functionLogLevel: 'ERROR',
  });
  try {
    await benchmark(sandbox, count, faultRate);
  } finally {
    await sandbox.stop();
  }
}

async function benchmark(sandbox: Sandbox, count: number, faultRate: number): Promise<void> {
  const { source: sourceAccount, target: targetAccount } = sandbox.accounts;
  const iot = (account: string) =>
    new IoTClient({ region: sandbox.region, endpoint: sandbox.endpoints.iot, credentials: credentialsFor(account), maxAttempts: 10 });
  const sourceIot = iot(sourceAccount);
  console.log(`seeding ${count} INACTIVE certificates in account ${sourceAccount} ...`);
  const certificateIds: string[] = [];
  for (let index = 0; index < count; index += 1) {
    certificateIds.push((await sourceIot.send(new CreateKeysAndCertificateCommand({ setAsActive: false }))).certificateId ?? '');
  }
  if (faultRate > 0) {
    const faults: FaultSettings = Object.fromEntries(
      MIGRATION_ACTIONS.map((action) => [action, { errorRate: faultRate, errorType: 'ServiceUnavailableException' as const }]),
    );
    sandbox.iot.setFaults(faults);
  }
  await fetch(`${sandbox.endpoints.iot}/_certflow/reset-stats`, { method: 'POST' });
  const invocationsBefore = [...sandbox.functions.values()].reduce((sum, fn) => sum + fn.invocations, 0);
  const transitionsBefore = sandbox.stepFunctions.stateTransitions;

  const manifest = { kind: 'list' as const, certificateIds };
  const migrationId = migrationIdOf(manifest, targetAccount);
  const approver = approveMigrationRequests(sandbox.notifications, migrationId, (subject) =>
    /accepting/i.test(subject) ? { decision: 'APPROVED', setAsActive: true } : { decision: 'APPROVED', consentToPrepare: true },
  );

  // Sampled once a second: when each Action first and last ran, and the process's peak memory.
  const timelines: Record<'transfer' | 'accept', ActionTimeline> = { transfer: {}, accept: {} };
  let stats = await iotStats(sandbox);
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    void iotStats(sandbox).then((latest) => {
      const now = Date.now();
      for (const [key, action, account] of [
        ['transfer', 'TransferCertificate', sourceAccount],
        ['accept', 'AcceptCertificateTransfer', targetAccount],
      ] as const) {
        const before = stats.accounts[account]?.[action]?.requests ?? 0;
        const after = latest.accounts[account]?.[action]?.requests ?? 0;
        if (after > before) {
          timelines[key].first ??= now - 1000;
          timelines[key].last = now;
        }
      }
      stats = latest;
    });
  }, 1000);

  const started = Date.now();
  let lastPrinted = 0;
  const result = await runMigrationJob(
    {
      source: sandboxMigrationSide(sandbox, 'source'),
      target: sandboxMigrationSide(sandbox, 'target'),
      onProgress: (view) => {
        if (Date.now() - lastPrinted < 30_000) return;
        lastPrinted = Date.now();
        console.log(`  ${Math.round((Date.now() - started) / 1000)}s  ${progressLine(view)}`);
      },
    },
    { manifest, targetAwsAccount: targetAccount, requestedBy: 'migration-bench@example.com', reason: 'benchmark' },
  );
  const elapsedSeconds = (Date.now() - started) / 1000;
  clearInterval(sampler);
  approver.stop();
  stats = await iotStats(sandbox);
  sandbox.iot.setFaults({});

  // Where every certificate ended: in the target, ACTIVE; none left in the source or pending.
  const targetCertificates = await listCertificates(iot(targetAccount));
  const sourceCertificates = await listCertificates(sourceIot);
  const arrived = certificateIds.filter((id) => targetCertificates.get(id)?.status === 'ACTIVE').length;
  const leftInSource = certificateIds.filter((id) => sourceCertificates.has(id)).length;
  const pending = certificateIds.filter(
    (id) => targetCertificates.get(id)?.status === 'PENDING_TRANSFER' || sourceCertificates.get(id)?.status === 'PENDING_TRANSFER',
  ).length;
  const duplicateAuditRows = await countDuplicateSuccessRows(sandbox, certificateIds);

  const counts = (account: string, action: IotOperation) => stats.accounts[account]?.[action] ?? { requests: 0, throttled: 0, faulted: 0 };
  const transfer = counts(sourceAccount, 'TransferCertificate');
  const accept = counts(targetAccount, 'AcceptCertificateTransfer');
  const rateOf = (done: number, timeline: ActionTimeline) =>
    timeline.first && timeline.last && timeline.last > timeline.first ? done / ((timeline.last - timeline.first) / 1000) : NaN;
  const transferRate = rateOf(transfer.requests, timelines.transfer);
  const acceptRate = rateOf(accept.requests, timelines.accept);
  const retries = transfer.requests - count + (accept.requests - count);
  const lowerBound = count / QUOTA_PER_SECOND + count / QUOTA_PER_SECOND;
  const invocations = [...sandbox.functions.values()].reduce((sum, fn) => sum + fn.invocations, 0) - invocationsBefore;
  const transitions = sandbox.stepFunctions.stateTransitions - transitionsBefore;
  const outcomes: Record<string, number> = {};
  for (const row of result.rows) outcomes[row.outcome] = (outcomes[row.outcome] ?? 0) + 1;

  const rows: Array<[string, string]> = [
    ['certificates', String(count)],
    ['injected IoT faults', faultRate > 0 ? `${Math.round(faultRate * 100)}% of every Action the migration calls` : 'none'],
    [
      'TransferCertificate rate / quota',
      `${transferRate.toFixed(2)}/s of ${QUOTA_PER_SECOND}/s = ${(transferRate / QUOTA_PER_SECOND).toFixed(3)} (requests incl. retries, first to last)`,
    ],
    [
      'AcceptCertificateTransfer rate / quota',
      `${acceptRate.toFixed(2)}/s of ${QUOTA_PER_SECOND}/s = ${(acceptRate / QUOTA_PER_SECOND).toFixed(3)}`,
    ],
    [
      'total time / lower bound',
      `${elapsedSeconds.toFixed(0)} s / ${lowerBound.toFixed(0)} s = ${(elapsedSeconds / lowerBound).toFixed(3)} (bound: N/quota to transfer + N/quota to accept)`,
    ],
    ['throttled requests', String(stats.total.throttled)],
    ['faulted requests', String(stats.total.faulted)],
    ['retries (Transfer + Accept requests beyond one each)', String(retries)],
    ['IoT requests, all Actions', String(stats.total.requests)],
    ['state transitions per certificate', (transitions / count).toFixed(3)],
    ['Lambda invocations per certificate', (invocations / count).toFixed(3)],
    ['peak memory (whole sandbox, one process)', `${Math.round(peakRss / 1024 / 1024)} MiB`],
    ['report outcomes', JSON.stringify(outcomes)],
    ['ACTIVE in the target / left in the source / pending', `${arrived} / ${leftInSource} / ${pending}`],
    ['duplicate success audit rows (same certificate and Action)', String(duplicateAuditRows)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  console.log(`\ncertflow account migration benchmark (migration ${migrationId})`);
  for (const [label, value] of rows) console.log(`  ${label.padEnd(width)}  ${value}`);
  const lost = count - arrived;
  if (lost > 0 || pending > 0 || duplicateAuditRows > 0) {
    console.log(`\nFAILED: ${lost} certificates did not arrive, ${pending} pending, ${duplicateAuditRows} duplicate audit rows`);
    process.exitCode = 1;
  }
}

async function iotStats(sandbox: Sandbox): Promise<IotRequestStats> {
  return (await (await fetch(`${sandbox.endpoints.iot}/_certflow/stats`)).json()) as IotRequestStats;
}

/** Successful TransferCertificate rows at the source and AcceptCertificateTransfer rows at the target beyond one per certificate. */
async function countDuplicateSuccessRows(sandbox: Sandbox, certificateIds: string[]): Promise<number> {
  let duplicates = 0;
  for (const [stackName, account, action] of [
    ['CertflowSource', sandbox.accounts.source, 'TransferCertificate'],
    ['CertflowTarget', sandbox.accounts.target, 'AcceptCertificateTransfer'],
  ] as const) {
    const trail = new DynamoDbAuditTrail(
      new DynamoDBClient({ region: sandbox.region, endpoint: sandbox.endpoints.dynamodb, credentials: credentialsFor(account) }),
      sandbox.stacks[stackName]?.outputs.AuditTableName ?? '',
    );
    for (const certificateId of certificateIds) {
      const successes = (await trail.query('byCertificate', certificateId)).filter(
        (row) => row.action === action && row.outcome === 'SUCCEEDED',
      );
      duplicates += Math.max(0, successes.length - 1);
    }
  }
  return duplicates;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
