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
  IoTClient,
  ListAttachedPoliciesCommand,
} from '@aws-sdk/client-iot';
import { migrationIdOf, progressLine, runMigrationJob } from '../cli/migration-job';
import { startWorkflowExecution } from '../cli/start-request-client';
import { DynamoDbAuditTrail } from '../lambdas/audit-trail/audit-trail';
import { listCertificates } from '../lambdas/migration/certificate-listing';
import { ensureSynthesized, PROJECT_ROOT } from '../local/cloudformation/cloud-assembly';
import type { FaultSettings, IotOperation, IotRequestStats } from '../local/iot/iot-endpoint';
import { DEFAULT_QUOTAS } from '../local/iot/request-quotas';
import { ANY_FREE_PORTS, startSandbox, type Sandbox } from '../local/sandbox';
import { credentialsFor, principalCredentialsFor, sandboxSynthContext } from '../local/sandbox-accounts';
import { approveMigrationRequests } from '../local/sandbox-approver';
import { sandboxMigrationSide } from '../local/sandbox-migration-side';

/**
 * Migrates N certificates from the source account to the target account in the sandbox,
 * as deployed (schedules on, the target's poller included), with the IoT emulator
 * enforcing AWS's default per-Action quotas and the approvers answering at once. A mix of
 * certificates: every third ACTIVE, every tenth with a policy, every twentieth with a
 * typed thing. Prints the total time against the bound of the slowest Action (N / its
 * quota), each Action's rate against its quota, the ACTIVE certificates' downtime, what
 * was lost or duplicated, and the sandbox's peak memory.
 */
const POLICY = 'bench-device-policy';
const THING_TYPE = 'bench-sensor';
const REQUESTER = 'migration-bench@example.com';
/** Every Action a migration calls per certificate: the fault variant injects its faults into each. */
const MIGRATION_ACTIONS: IotOperation[] = [
  'ListCertificates',
  'ListOutgoingCertificates',
  'ListPolicies',
  'ListTargetsForPolicy',
  'GetPolicy',
  'DescribeCertificate',
  'ListAttachedPolicies',
  'ListPrincipalThings',
  'DescribeThing',
  'UpdateCertificate',
  'DetachPolicy',
  'DetachThingPrincipal',
  'TransferCertificate',
  'AcceptCertificateTransfer',
  'AttachPolicy',
  'DescribeThingType',
  'CreateThing',
  'AttachThingPrincipal',
];
/** Actions every certificate needs once each; the slowest quota among them bounds the migration. */
const PER_CERTIFICATE_ACTIONS: IotOperation[] = [
  'DescribeCertificate',
  'ListAttachedPolicies',
  'ListPrincipalThings',
  'TransferCertificate',
  'AcceptCertificateTransfer',
];

interface Seeded {
  certificateId: string;
  active: boolean;
  policy: boolean;
  thing: boolean;
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
  const sandbox = await startSandbox({ ports: ANY_FREE_PORTS, assemblyDir, iot: { keyAlgorithm: 'EC-P256' }, functionLogLevel: 'ERROR' });
  try {
    await benchmark(sandbox, count, faultRate);
  } finally {
    await sandbox.stop();
  }
}

async function seed(sandbox: Sandbox, count: number): Promise<Seeded[]> {
  const { source, target } = sandbox.accounts;
  const iot = (account: string) =>
    new IoTClient({ region: sandbox.region, endpoint: sandbox.endpoints.iot, credentials: credentialsFor(account), maxAttempts: 10 });
  const sourceIot = iot(source);
  // Seeding is set-up, not the migration: no quotas while it runs.
  sandbox.iot.setQuotas(false);
  const policyDocument = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] });
  for (const client of [sourceIot, iot(target)]) {
    await client.send(new CreatePolicyCommand({ policyName: POLICY, policyDocument }));
    await client.send(new CreateThingTypeCommand({ thingTypeName: THING_TYPE }));
  }
  console.log(`seeding ${count} certificates in account ${source} (every 3rd ACTIVE, 10th with a policy, 20th with a thing) ...`);
  const seeded: Seeded[] = [];
  for (let index = 0; index < count; index += 1) {
    const certificate = { active: index % 3 === 0, policy: index % 10 === 0, thing: index % 20 === 0 };
    const created = await sourceIot.send(new CreateKeysAndCertificateCommand({ setAsActive: certificate.active }));
    const certificateArn = created.certificateArn ?? '';
    if (certificate.policy) await sourceIot.send(new AttachPolicyCommand({ policyName: POLICY, target: certificateArn }));
    if (certificate.thing) {
      const thingName = `bench-device-${index}`;
      await sourceIot.send(
        new CreateThingCommand({ thingName, thingTypeName: THING_TYPE, attributePayload: { attributes: { site: 'bench' } } }),
      );
      await sourceIot.send(new AttachThingPrincipalCommand({ thingName, principal: certificateArn }));
    }
    seeded.push({ certificateId: created.certificateId ?? '', ...certificate });
  }
  sandbox.iot.setQuotas(undefined);
  return seeded;
}

async function benchmark(sandbox: Sandbox, count: number, faultRate: number): Promise<void> {
  const { source: sourceAccount, target: targetAccount } = sandbox.accounts;
  const seeded = await seed(sandbox, count);
  const certificateIds = seeded.map((certificate) => certificate.certificateId);
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
    /accepting/i.test(subject) ? { decision: 'APPROVED' } : { decision: 'APPROVED', consentToPrepare: true },
  );
  const environmentsNow = () => [...sandbox.functions.values()].reduce((sum, fn) => sum + fn.environments, 0);
  let peakRss = process.memoryUsage().rss;
  let peakEnvironments = 0;
  const peakEnvironmentsByFunction = new Map<string, number>();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    peakEnvironments = Math.max(peakEnvironments, environmentsNow());
    for (const fn of sandbox.functions.values()) {
      const name = fn.options.functionName;
      peakEnvironmentsByFunction.set(name, Math.max(peakEnvironmentsByFunction.get(name) ?? 0, fn.environments));
    }
  }, 1000);
  const apiUrl = sandbox.stacks.CertflowSource?.outputs.StartApiUrl ?? '';
  const credentials = principalCredentialsFor(`arn:aws:sts::${sourceAccount}:assumed-role/CertflowOperator/${REQUESTER}`);

  const started = Date.now();
  let lastPrinted = 0;
  const result = await runMigrationJob(
    {
      source: sandboxMigrationSide(sandbox, 'source'),
      start: async (name, input) =>
        (await startWorkflowExecution({ apiUrl, region: sandbox.region, credentials, workflow: 'migration', name, input })).executionArn,
      onProgress: (view) => {
        if (Date.now() - lastPrinted < 30_000) return;
        lastPrinted = Date.now();
        const environments = environmentsNow();
        const rss = Math.round(process.memoryUsage().rss / 1024 / 1024);
        console.log(
          `  ${Math.round((Date.now() - started) / 1000)}s  ${progressLine(view)}  (sandbox ${rss} MiB, ${environments} environments)`,
        );
      },
    },
    { manifest, targetAwsAccount: targetAccount, reason: 'benchmark' },
  );
  const elapsedSeconds = (Date.now() - started) / 1000;
  clearInterval(sampler);
  approver.stop();
  const stats = (await (await fetch(`${sandbox.endpoints.iot}/_certflow/stats`)).json()) as IotRequestStats;
  sandbox.iot.setFaults({});

  // Where every certificate ended: in the target, in its source status, with its policy; none left in the source or pending.
  const iot = (account: string) =>
    new IoTClient({ region: sandbox.region, endpoint: sandbox.endpoints.iot, credentials: credentialsFor(account), maxAttempts: 10 });
  sandbox.iot.setQuotas(false);
  const targetIot = iot(targetAccount);
  const targetCertificates = await listCertificates(targetIot);
  const sourceCertificates = await listCertificates(iot(sourceAccount));
  const landedAsBefore = seeded.filter(
    (certificate) => targetCertificates.get(certificate.certificateId)?.status === (certificate.active ? 'ACTIVE' : 'INACTIVE'),
  );
  let policiesLanded = 0;
  for (const certificate of seeded.filter((candidate) => candidate.policy)) {
    const arn = targetCertificates.get(certificate.certificateId)?.certificateArn;
    if (!arn) continue;
    const attached = await targetIot.send(new ListAttachedPoliciesCommand({ target: arn }));
    if (attached.policies?.some((policy) => policy.policyName === POLICY)) policiesLanded += 1;
  }
  const leftInSource = certificateIds.filter((id) => sourceCertificates.has(id)).length;
  const pending = certificateIds.filter(
    (id) => targetCertificates.get(id)?.status === 'PENDING_TRANSFER' || sourceCertificates.get(id)?.status === 'PENDING_TRANSFER',
  ).length;
  const duplicateAuditRows = await countDuplicateSuccessRows(sandbox, certificateIds);
  sandbox.iot.setQuotas(undefined);

  const quotaOf = (action: IotOperation) => DEFAULT_QUOTAS[action] ?? Infinity;
  const slowest = Math.min(...PER_CERTIFICATE_ACTIONS.map(quotaOf));
  const bound = count / slowest;
  const invocations = [...sandbox.functions.values()].reduce((sum, fn) => sum + fn.invocations, 0) - invocationsBefore;
  const transitions = sandbox.stepFunctions.stateTransitions - transitionsBefore;
  const outcomes: Record<string, number> = {};
  for (const row of result.rows) outcomes[row.outcome] = (outcomes[row.outcome] ?? 0) + 1;
  const downtime = result.downtimeSeconds;
  const format = (value: number) => value.toFixed(1);

  const rows: Array<[string, string]> = [
    [
      'certificates',
      `${count} (${seeded.filter((c) => c.active).length} ACTIVE, ${seeded.filter((c) => c.policy).length} with a policy, ${seeded.filter((c) => c.thing).length} with a thing)`,
    ],
    ['injected IoT faults', faultRate > 0 ? `${Math.round(faultRate * 100)}% of every Action the migration calls` : 'none'],
    ['run outcome', result.outcome],
    [
      'total time / bound',
      `${elapsedSeconds.toFixed(0)} s / ${bound.toFixed(0)} s = ${(elapsedSeconds / bound).toFixed(3)} (bound: N / the slowest per-certificate Action's quota, ${slowest}/s)`,
    ],
    [
      'downtime of the ACTIVE certificates (s)',
      downtime
        ? `p50 ${format(downtime.p50)} / p99 ${format(downtime.p99)} / max ${format(downtime.max)} (${downtime.count} certificates)`
        : 'none measured',
    ],
    ['throttled requests', String(stats.total.throttled)],
    ['faulted requests (each retried)', String(stats.total.faulted)],
    ['IoT requests, all Actions', String(stats.total.requests)],
    ['state transitions per certificate', (transitions / count).toFixed(3)],
    ['Lambda invocations per certificate', (invocations / count).toFixed(3)],
    ['peak memory (whole sandbox, one process)', `${Math.round(peakRss / 1024 / 1024)} MiB`],
    ['peak Lambda execution environments (worker threads)', String(peakEnvironments)],
    [
      'peak environments by function',
      [...peakEnvironmentsByFunction]
        .filter(([, peak]) => peak > 0)
        .sort(([, a], [, b]) => b - a)
        .map(([name, peak]) => `${name} ${peak}`)
        .join(', '),
    ],
    ['report outcomes', JSON.stringify(outcomes)],
    [
      'landed in their source status / with their policy',
      `${landedAsBefore.length} of ${count} / ${policiesLanded} of ${seeded.filter((c) => c.policy).length}`,
    ],
    ['left in the source / pending', `${leftInSource} / ${pending}`],
    ['duplicate success audit rows (same certificate and Action)', String(duplicateAuditRows)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  console.log(`\ncertflow account migration benchmark (migration ${migrationId})`);
  for (const [label, value] of rows) console.log(`  ${label.padEnd(width)}  ${value}`);
  console.log('\n  per Action (account: requests / s over the run ÷ quota, throttled, faulted)');
  for (const [account, actions] of Object.entries(stats.accounts)) {
    for (const [action, counts] of Object.entries(actions)) {
      if (!counts || counts.requests === 0) continue;
      const quota = quotaOf(action as IotOperation);
      const rate = counts.requests / elapsedSeconds;
      console.log(
        `    ${account} ${action.padEnd(26)} ${String(counts.requests).padStart(7)} req  ${rate.toFixed(2)}/s ÷ ${quota}/s = ${(rate / quota).toFixed(3)}  throttled ${counts.throttled}  faulted ${counts.faulted}`,
      );
    }
  }
  const lost = count - landedAsBefore.length;
  if (lost > 0 || pending > 0 || duplicateAuditRows > 0 || leftInSource > 0) {
    console.log(
      `\nFAILED: ${lost} certificates did not land as they were, ${pending} pending, ${leftInSource} left in the source, ${duplicateAuditRows} duplicate audit rows`,
    );
    process.exitCode = 1;
  }
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
      // Counted by row id: dynalite can leave a stale index entry for a lost write (see the README).
      const successes = new Set(
        (await trail.query('byCertificate', certificateId))
          .filter((row) => row.action === action && row.outcome === 'SUCCEEDED')
          .map((row) => row.rowId),
      );
      duplicates += Math.max(0, successes.size - 1);
    }
  }
  return duplicates;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
