import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  CreateThingTypeCommand,
  DescribeThingCommand,
  ListAttachedPoliciesCommand,
  ListPrincipalThingsCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { migrationIdOf, runMigrationJob } from '../../cli/migration-job';
import type { AuditRow } from '../../lambdas/audit-trail/audit-row';
import { listCertificates } from '../../lambdas/migration/certificate-listing';
import { approveMigrationRequests, type ApproverDecision } from '../../local/sandbox-approver';
import { sandboxMigrationSide } from '../../local/sandbox-migration-side';
import {
  createCertificate,
  E2E_MIGRATION_QUOTAS,
  operatorArn,
  startSandboxFixture,
  startThroughApi,
  type SandboxFixture,
} from './sandbox-fixture';

const POLICY = 'pipelined-device-policy';
const THING_TYPE = 'pipelined-sensor';

let fixture: SandboxFixture;
let sourceAccount: string;
let targetAccount: string;
let sourceIot: IoTClient;
let targetIot: IoTClient;

beforeAll(async () => {
  // Everything on: the schedules (the target's poller among them) run as deployed.
  fixture = await startSandboxFixture({ schedules: true, iot: { quotas: E2E_MIGRATION_QUOTAS, keyAlgorithm: 'EC-P256' } });
  ({ source: sourceAccount, target: targetAccount } = fixture.sandbox.accounts);
  sourceIot = fixture.iot(sourceAccount, 10);
  targetIot = fixture.iot(targetAccount, 10);
  const policyDocument = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] });
  for (const iot of [sourceIot, targetIot]) {
    await iot.send(new CreatePolicyCommand({ policyName: POLICY, policyDocument }));
    await iot.send(new CreateThingTypeCommand({ thingTypeName: THING_TYPE }));
  }
}, 180_000);
afterAll(() => fixture?.close());

async function statuses(iot: IoTClient): Promise<Map<string, string>> {
  return new Map([...(await listCertificates(iot))].map(([id, listed]) => [id, listed.status]));
}

async function auditRows(account: string, stackName: string, certificateIds: string[]): Promise<AuditRow[]> {
  const trail = fixture.auditTrail(account, stackName);
  return (await Promise.all(certificateIds.map((id) => trail.query('byCertificate', id)))).flat();
}

/** Seeds ACTIVE certificates with a policy and a typed thing, ACTIVE plain ones and INACTIVE plain ones. */
async function seed(prefix: string, counts: { withLanding: number; active: number; inactive: number }) {
  const withLanding = [];
  for (let index = 0; index < counts.withLanding; index += 1) {
    const certificate = await createCertificate(sourceIot, true);
    await sourceIot.send(new AttachPolicyCommand({ policyName: POLICY, target: certificate.certificateArn }));
    const thingName = `${prefix}-device-${index}`;
    await sourceIot.send(
      new CreateThingCommand({ thingName, thingTypeName: THING_TYPE, attributePayload: { attributes: { site: 'plant-7' } } }),
    );
    await sourceIot.send(new AttachThingPrincipalCommand({ thingName, principal: certificate.certificateArn }));
    withLanding.push({ ...certificate, thingName });
  }
  const active = await Promise.all(Array.from({ length: counts.active }, () => createCertificate(sourceIot, true)));
  const inactive = await Promise.all(Array.from({ length: counts.inactive }, () => createCertificate(sourceIot, false)));
  return { withLanding, active, inactive };
}

function approvers(migrationId: string, target: ApproverDecision) {
  return approveMigrationRequests(
    fixture.sandbox.notifications,
    migrationId,
    (subject) => (/accepting/i.test(subject) ? target : { decision: 'APPROVED', consentToPrepare: true }),
    { pollMs: 50 },
  );
}

function start(name: string, input: Record<string, unknown>): Promise<string> {
  return startThroughApi(fixture.sandbox, operatorArn(sourceAccount, 'ops@example.com'), 'migration', input, name);
}

describe('pipelined migrations in the sandbox, everything on', () => {
  it('lands ACTIVE, INACTIVE, policy and thing certificates in the target after both approvals, with their downtime and one success row per Action', async () => {
    const seeded = await seed('landing', { withLanding: 8, active: 12, inactive: 40 });
    const all = [...seeded.withLanding, ...seeded.active, ...seeded.inactive].map((certificate) => certificate.certificateId);
    const manifest = { kind: 'list' as const, certificateIds: all };
    const approver = approvers(migrationIdOf(manifest, targetAccount), { decision: 'APPROVED' });
    try {
      const result = await runMigrationJob(
        { source: sandboxMigrationSide(fixture.sandbox, 'source'), start, pollMs: 200 },
        { manifest, targetAwsAccount: targetAccount, reason: 'e2e pipelined' },
      );
      expect(result.outcome).toBe('LANDED');
      expect(result.rows).toHaveLength(all.length);
      expect(result.rows.filter((row) => row.outcome !== 'LANDED')).toEqual([]);
      // Every ACTIVE certificate has a measured downtime; INACTIVE ones have none.
      expect(result.downtimeSeconds?.count).toBe(seeded.withLanding.length + seeded.active.length);
      const rows = new Map(result.rows.map((row) => [row.certificateId, row]));
      for (const { certificateId } of seeded.inactive) expect(rows.get(certificateId)?.downtimeSeconds).toBeUndefined();
      for (const { certificateId } of seeded.active) expect(rows.get(certificateId)?.downtimeSeconds).toBeGreaterThan(0);
    } finally {
      approver.stop();
    }

    const inTarget = await statuses(targetIot);
    const inSource = await statuses(sourceIot);
    for (const { certificateId } of [...seeded.withLanding, ...seeded.active]) expect(inTarget.get(certificateId)).toBe('ACTIVE');
    for (const { certificateId } of seeded.inactive) expect(inTarget.get(certificateId)).toBe('INACTIVE');
    for (const id of all) expect(inSource.has(id)).toBe(false);
    for (const { certificateArn: sourceArn, thingName } of seeded.withLanding) {
      const certificateArn = sourceArn.replace(`:${sourceAccount}:`, `:${targetAccount}:`);
      const policies = await targetIot.send(new ListAttachedPoliciesCommand({ target: certificateArn }));
      expect(policies.policies?.map((policy) => policy.policyName)).toEqual([POLICY]);
      const things = await targetIot.send(new ListPrincipalThingsCommand({ principal: certificateArn }));
      expect(things.things).toEqual([thingName]);
      const thing = await targetIot.send(new DescribeThingCommand({ thingName }));
      expect(thing.thingTypeName).toBe(THING_TYPE);
      expect(thing.attributes).toEqual({ site: 'plant-7' });
    }

    // One success row per certificate and Action on each side; and the poller started no single review.
    const successes = (rows: AuditRow[]) => {
      const counts = new Map<string, number>();
      for (const row of rows.filter((candidate) => candidate.outcome === 'SUCCEEDED'))
        counts.set(
          `${row.certificateId} ${row.action} ${row.policyName ?? row.thingName ?? ''}`,
          (counts.get(`${row.certificateId} ${row.action} ${row.policyName ?? row.thingName ?? ''}`) ?? 0) + 1,
        );
      return [...counts.values()];
    };
    const sourceRows = await auditRows(sourceAccount, 'CertflowSource', all);
    const targetRows = await auditRows(targetAccount, 'CertflowTarget', all);
    expect(successes(sourceRows).every((count) => count === 1)).toBe(true);
    expect(successes(targetRows).every((count) => count === 1)).toBe(true);
    expect(sourceRows.filter((row) => row.action === 'TransferCertificate' && row.outcome === 'SUCCEEDED')).toHaveLength(all.length);
    expect(targetRows.filter((row) => row.action === 'AcceptCertificateTransfer' && row.outcome === 'SUCCEEDED')).toHaveLength(all.length);
    const reviews = await fixture
      .sfn(targetAccount)
      .send(new ListExecutionsCommand({ stateMachineArn: fixture.sandbox.stacks.CertflowTarget?.outputs.InboundStateMachineArn ?? '' }));
    expect(reviews.executions ?? []).toEqual([]);
  }, 240_000);

  it('changes nothing in either account when the target approvers reject the migration', async () => {
    const seeded = await seed('rejected', { withLanding: 2, active: 3, inactive: 5 });
    const all = [...seeded.withLanding, ...seeded.active, ...seeded.inactive].map((certificate) => certificate.certificateId);
    const before = await statuses(sourceIot);
    const manifest = { kind: 'list' as const, certificateIds: all };
    const approver = approvers(migrationIdOf(manifest, targetAccount), { decision: 'REJECTED', rejectReason: 'not this quarter' });
    try {
      const result = await runMigrationJob(
        { source: sandboxMigrationSide(fixture.sandbox, 'source'), start, pollMs: 200 },
        { manifest, targetAwsAccount: targetAccount, reason: 'e2e rejected' },
      );
      expect(result.outcome).toBe('TARGET_REJECTED');
      expect(new Set(result.rows.map((row) => row.outcome))).toEqual(new Set(['TARGET_REJECTED']));
    } finally {
      approver.stop();
    }
    const after = await statuses(sourceIot);
    for (const id of all) expect(after.get(id)).toBe(before.get(id));
    for (const { certificateArn } of seeded.withLanding) {
      const policies = await sourceIot.send(new ListAttachedPoliciesCommand({ target: certificateArn }));
      expect(policies.policies?.map((policy) => policy.policyName)).toEqual([POLICY]);
    }
    const changes = (await auditRows(sourceAccount, 'CertflowSource', all)).filter((row) =>
      ['UpdateCertificate', 'DetachPolicy', 'DetachThingPrincipal', 'TransferCertificate'].includes(row.action),
    );
    expect(changes).toEqual([]);
  }, 240_000);
});
