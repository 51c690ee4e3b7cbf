import { generateKeyPairSync } from 'node:crypto';
import {
  DescribeCertificateCommand,
  GetRegistrationCodeCommand,
  ListCertificatesByCACommand,
  RegisterCACertificateCommand,
  RegisterCertificateCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import { migrationIdOf, runMigrationJob, type MigrationJobRequest, type MigrationJobResult } from '../../cli/migration-job';
import { listCertificates } from '../../lambdas/migration/certificate-listing';
import { parseJsonManifest } from '../../lambdas/migration/migration-manifest';
import { migrationReportCsv } from '../../lambdas/migration/migration-report';
import { LocalCertificateAuthority } from '../../local/iot/x509-certificates';
import { approveMigrationRequests } from '../../local/sandbox-approver';
import { sandboxMigrationSide } from '../../local/sandbox-migration-side';
import {
  createCertificate,
  E2E_MIGRATION_QUOTAS,
  operatorArn,
  startSandboxFixture,
  startThroughApi,
  type SandboxFixture,
} from './sandbox-fixture';

/** The CA's device certificates, registered INACTIVE (RegisterCertificate's default) ... */
const INACTIVE_UNDER_CA = 7;
/** ... and ACTIVE: these need the source approvers' consent to be deactivated. */
const ACTIVE_UNDER_CA = 3;

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

function devicePublicKey(): string {
  return generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'sec1', format: 'pem' },
  }).publicKey;
}

/** A customer CA registered in DEFAULT mode, proven with a verification certificate made from the account's registration code. */
async function registerCa(iot: IoTClient, commonName: string): Promise<{ ca: LocalCertificateAuthority; caCertificateId: string }> {
  const ca = await LocalCertificateAuthority.create(new Date(), commonName);
  const { registrationCode } = await iot.send(new GetRegistrationCodeCommand({}));
  const verification = ca.issue(devicePublicKey(), new Date(), registrationCode ?? '');
  const registered = await iot.send(
    new RegisterCACertificateCommand({
      caCertificate: ca.material.certificatePem,
      verificationCertificate: verification.certificatePem,
      setAsActive: true,
    }),
  );
  return { ca, caCertificateId: registered.certificateId ?? '' };
}

/** Device certificates the CA signed, registered in the account with the given status. */
async function registerDevices(
  iot: IoTClient,
  ca: LocalCertificateAuthority,
  count: number,
  status: 'ACTIVE' | 'INACTIVE',
): Promise<string[]> {
  const ids: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const device = ca.issue(devicePublicKey(), new Date());
    await iot.send(new RegisterCertificateCommand({ certificatePem: device.certificatePem, status }));
    ids.push(device.certificateId);
  }
  return ids;
}

async function statuses(iot: IoTClient): Promise<Map<string, string>> {
  return new Map([...(await listCertificates(iot))].map(([id, listed]) => [id, listed.status]));
}

/** Per certificate: "Action OUTCOME" → how many rows. */
async function auditTallies(account: string, stackName: string, certificateIds: string[]): Promise<Record<string, Record<string, number>>> {
  const trail = fixture.auditTrail(account, stackName);
  const tallies: Record<string, Record<string, number>> = {};
  for (const id of certificateIds) {
    const counts: Record<string, number> = {};
    for (const row of await trail.query('byCertificate', id))
      counts[`${row.action} ${row.outcome}`] = (counts[`${row.action} ${row.outcome}`] ?? 0) + 1;
    tallies[id] = counts;
  }
  return tallies;
}

const each = <Value>(ids: string[], value: Value): Record<string, Value> => Object.fromEntries(ids.map((id) => [id, value]));

describe('a CA selector migration in the sandbox', () => {
  it("moves exactly the CA's certificates, with one transfer and one accept audited for each, and leaves every other certificate where it was", async () => {
    const fleet = await registerCa(sourceIot, 'Fleet Root CA');
    const inactive = await registerDevices(sourceIot, fleet.ca, INACTIVE_UNDER_CA, 'INACTIVE');
    const active = await registerDevices(sourceIot, fleet.ca, ACTIVE_UNDER_CA, 'ACTIVE');
    const underCa = [...inactive, ...active];
    // Not under the CA: certificates of Amazon's CA, and of another registered CA of the same account.
    const amazonIssued = (
      await Promise.all([createCertificate(sourceIot), createCertificate(sourceIot, true), createCertificate(sourceIot)])
    ).map((created) => created.certificateId);
    const otherCa = await registerCa(sourceIot, 'Other Root CA');
    const otherCaIssued = await registerDevices(sourceIot, otherCa.ca, 2, 'INACTIVE');
    const others = [...amazonIssued, ...otherCaIssued];
    const before = await statuses(sourceIot);
    // The emulator lists the CA's certificates, and only them, as the selector will.
    const listedByCa = await sourceIot.send(new ListCertificatesByCACommand({ caCertificateId: fleet.caCertificateId }));
    expect(listedByCa.certificates?.map((certificate) => certificate.certificateId).sort()).toEqual([...underCa].sort());

    // The manifest as the README writes it.
    const { manifest } = parseJsonManifest(JSON.stringify({ selector: { caCertificateId: fleet.caCertificateId } }));
    const request: MigrationJobRequest = {
      manifest,
      targetAwsAccount: targetAccount,
      reason: 'move the fleet CA',
    };
    const approver = approveMigrationRequests(
      fixture.sandbox.notifications,
      migrationIdOf(manifest, targetAccount),
      (subject) =>
        /accepting/i.test(subject) ? { decision: 'APPROVED', setAsActive: true } : { decision: 'APPROVED', consentToPrepare: true },
      { pollMs: 50 },
    );
    let result: MigrationJobResult;
    try {
      result = await runMigrationJob(
        {
          source: sandboxMigrationSide(fixture.sandbox, 'source'),
          start: (name, input) =>
            startThroughApi(fixture.sandbox, operatorArn(sourceAccount, 'migration-job@example.com'), 'migration', input, name),
          pollMs: 50,
        },
        request,
      );
    } finally {
      approver.stop();
    }
    // Both sides were asked, once each.
    expect(approver.answered).toHaveLength(2);

    // The report names each of the CA's certificates, moved, with the status it had, and nothing else.
    expect(
      Object.fromEntries(
        result.rows.map((row) => [row.certificateId, [row.outcome, row.sourceOutcome, row.targetOutcome, row.previousStatus]]),
      ),
    ).toEqual({
      ...each(inactive, ['LANDED', 'OFFERED', 'LANDED', 'INACTIVE']),
      ...each(active, ['LANDED', 'OFFERED', 'LANDED', 'ACTIVE']),
    });
    const csv = migrationReportCsv(result.rows).trim().split('\n');
    expect(
      csv
        .slice(1)
        .map((line) => line.split(',')[0])
        .sort(),
    ).toEqual([...underCa].sort());

    // The CA's certificates are the target's now, each in the status it had in the source; the others did not move or change.
    const source = await statuses(sourceIot);
    const target = await statuses(targetIot);
    for (const id of underCa) {
      expect(source.has(id)).toBe(false);
      expect(target.get(id)).toBe(before.get(id));
    }
    for (const id of underCa.slice(0, 1)) {
      const described = await targetIot.send(new DescribeCertificateCommand({ certificateId: id }));
      expect(described.certificateDescription).toMatchObject({ ownedBy: targetAccount, previousOwnedBy: sourceAccount });
    }
    expect(Object.fromEntries(others.map((id) => [id, source.get(id)]))).toEqual(
      Object.fromEntries(others.map((id) => [id, before.get(id)])),
    );
    for (const id of others) expect(target.has(id)).toBe(false);

    // One TransferCertificate and one AcceptCertificateTransfer SUCCEEDED row per moved certificate;
    // the source deactivated the ACTIVE ones first; nothing is recorded for the others.
    expect(await auditTallies(sourceAccount, 'CertflowSource', underCa)).toEqual({
      ...each(inactive, { 'TransferCertificate SUCCEEDED': 1 }),
      ...each(active, { 'UpdateCertificate SUCCEEDED': 1, 'TransferCertificate SUCCEEDED': 1 }),
    });
    expect(await auditTallies(targetAccount, 'CertflowTarget', underCa)).toEqual(
      each(underCa, { 'AcceptCertificateTransfer SUCCEEDED': 1 }),
    );
    expect(await auditTallies(sourceAccount, 'CertflowSource', others)).toEqual(each(others, {}));
    expect(await auditTallies(targetAccount, 'CertflowTarget', others)).toEqual(each(others, {}));
  }, 180_000);
});
