import {
  IoTClient,
  ListCertificatesByCACommand,
  ListCertificatesCommand,
  ListOutgoingCertificatesCommand,
  ListPoliciesCommand,
  ListTargetsForPolicyCommand,
  type Certificate,
} from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { AuditRow, AuditedAction } from '../../../lambdas/audit-trail/audit-row';
import type { CertificateOutcome } from '../../../lambdas/migration/certificate-outcome';
import { migrationKeys, runFiles } from '../../../lambdas/migration/migration-objects';
import {
  planOutboundMigration,
  type CertificateToMove,
  type OutboundMigrationRequest,
} from '../../../lambdas/migration/plan-outbound-migration';
import { InMemoryAuditTrail } from '../audit-trail/in-memory-audit-trail';
import {
  certificateArnOf,
  certificateIdOf,
  EXECUTION_ID,
  freshRunName,
  iotError,
  InMemoryMigrationObjects,
  MIGRATION_ID,
  OTHER_ACCOUNT,
  progressTableFixture,
  SOURCE_ACCOUNT,
  TARGET_ACCOUNT,
  type ProgressTableFixture,
} from './migration-fixtures';

const iot = mockClient(IoTClient);
let table: ProgressTableFixture;

beforeAll(async () => {
  table = await progressTableFixture();
});
afterAll(() => table.close());
beforeEach(() => {
  iot.reset();
  iot.on(ListOutgoingCertificatesCommand).resolves({ outgoingCertificates: [] });
  iot.on(ListPoliciesCommand).resolves({ policies: [] });
});

const CA_ID = 'ca'.repeat(32);
const BATCH_SIZE = 2;

function listed(n: number, status: string): Certificate {
  return {
    certificateId: certificateIdOf(n),
    certificateArn: certificateArnOf(certificateIdOf(n)),
    status: status as Certificate['status'],
  };
}

function request(runName = freshRunName()): OutboundMigrationRequest {
  return {
    migrationId: MIGRATION_ID,
    runName,
    executionId: EXECUTION_ID,
    targetAwsAccount: TARGET_ACCOUNT,
    transferMessage: 'fleet move',
    requestedBy: 'alice',
    requestedByArn: null,
    reason: null,
  };
}

function transferRow(n: number, targetAwsAccount: string): AuditRow {
  return {
    rowId: `${certificateIdOf(n)}#TransferCertificate#earlier`,
    certificateId: certificateIdOf(n),
    action: 'TransferCertificate',
    outcome: 'SUCCEEDED',
    sourceAwsAccount: SOURCE_ACCOUNT,
    targetAwsAccount,
    invocationId: 'earlier-run',
    recordedAt: '2026-11-20T10:00:00.000Z',
  };
}

/** Plans a migration of `manifest` (as the job uploads it) against the listed certificates; in the bucket of an earlier run when given. */
async function plan(
  manifest: unknown,
  certificates: Certificate[],
  auditTrail = new InMemoryAuditTrail(),
  runName = freshRunName(),
  objects = new InMemoryMigrationObjects(),
) {
  await objects.writeJson(migrationKeys.manifest(MIGRATION_ID), manifest);
  iot.on(ListCertificatesCommand).resolves({ certificates });
  const result = await planOutboundMigration(
    { iot: new IoTClient({}), objects, auditTrail, progress: table.progress, batchSize: BATCH_SIZE },
    request(runName),
  );
  const files = runFiles(MIGRATION_ID, runName);
  return {
    ...result,
    objects,
    runName,
    toMove: objects.json(files.transferItems) as CertificateToMove[],
    settled: objects.json(files.plannedOutcomes) as CertificateOutcome[],
  };
}

const ids = (...numbers: number[]) => ({ certificateIds: numbers.map(certificateIdOf) });

/** An audit trail whose lookups take a moment, counting how many are under way at once. */
class SlowAuditTrail extends InMemoryAuditTrail {
  readonly lookedUp: string[] = [];
  mostAtOnce = 0;
  private underWay = 0;

  override async latestSuccess(certificateId: string, action: AuditedAction): Promise<AuditRow | undefined> {
    this.lookedUp.push(certificateId);
    this.underWay += 1;
    this.mostAtOnce = Math.max(this.mostAtOnce, this.underWay);
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.underWay -= 1;
    return super.latestSuccess(certificateId, action);
  }
}

describe('planOutboundMigration', () => {
  it('lists ACTIVE and INACTIVE certificates to move, with their ARN, status, policies and place in the list', async () => {
    const { toMove, settled } = await plan(ids(1, 2), [listed(1, 'ACTIVE'), listed(2, 'INACTIVE'), listed(3, 'INACTIVE')]);
    expect(toMove).toEqual([
      {
        certificateId: certificateIdOf(1),
        certificateArn: certificateArnOf(certificateIdOf(1)),
        status: 'ACTIVE',
        policies: [],
        position: 0,
      },
      {
        certificateId: certificateIdOf(2),
        certificateArn: certificateArnOf(certificateIdOf(2)),
        status: 'INACTIVE',
        policies: [],
        position: 1,
      },
    ]);
    expect(settled).toEqual([]);
  });

  it('settles a certificate already offered to the same target as ALREADY_OFFERED', async () => {
    iot
      .on(ListOutgoingCertificatesCommand)
      .resolves({ outgoingCertificates: [{ certificateId: certificateIdOf(1), transferredTo: TARGET_ACCOUNT }] });
    const { toMove, settled } = await plan(ids(1), [listed(1, 'PENDING_TRANSFER')]);
    expect(settled).toEqual([{ certificateId: certificateIdOf(1), outcome: 'ALREADY_OFFERED', previousStatus: 'PENDING_TRANSFER' }]);
    expect(toMove).toEqual([]);
  });

  it('fails a certificate pending transfer to another account as PendingTransferElsewhere, naming that account', async () => {
    iot
      .on(ListOutgoingCertificatesCommand)
      .resolves({ outgoingCertificates: [{ certificateId: certificateIdOf(1), transferredTo: OTHER_ACCOUNT }] });
    const { settled } = await plan(ids(1, 2), [listed(1, 'PENDING_TRANSFER'), listed(2, 'PENDING_TRANSFER')]);
    expect(settled).toEqual([
      {
        certificateId: certificateIdOf(1),
        outcome: 'FAILED',
        errorName: 'PendingTransferElsewhere',
        errorMessage: `the certificate is already offered to account ${OTHER_ACCOUNT}`,
        previousStatus: 'PENDING_TRANSFER',
      },
      {
        certificateId: certificateIdOf(2),
        outcome: 'FAILED',
        errorName: 'PendingTransferElsewhere',
        errorMessage: 'the certificate is already offered to account unknown',
        previousStatus: 'PENDING_TRANSFER',
      },
    ]);
  });

  it('settles a certificate gone from the account that an earlier run transferred to the same target as ALREADY_TRANSFERRED', async () => {
    const auditTrail = new InMemoryAuditTrail();
    await auditTrail.record(transferRow(1, TARGET_ACCOUNT));
    const { settled, toMove } = await plan(ids(1), [listed(2, 'INACTIVE')], auditTrail);
    expect(settled).toEqual([{ certificateId: certificateIdOf(1), outcome: 'ALREADY_TRANSFERRED' }]);
    expect(toMove).toEqual([]);
  });

  it('fails a certificate missing from the account as CertificateNotFound when no transfer to this target is recorded', async () => {
    const auditTrail = new InMemoryAuditTrail();
    await auditTrail.record(transferRow(2, OTHER_ACCOUNT));
    await auditTrail.record({
      ...transferRow(3, TARGET_ACCOUNT),
      rowId: 'failed-row',
      outcome: 'FAILED',
      errorName: 'UnauthorizedException',
    });
    const { settled } = await plan(ids(1, 2, 3), [], auditTrail);
    expect(settled).toEqual(
      [1, 2, 3].map((n) => ({
        certificateId: certificateIdOf(n),
        outcome: 'FAILED',
        errorName: 'CertificateNotFound',
        errorMessage: 'the certificate is not in this account',
      })),
    );
  });

  it.each(['REVOKED', 'PENDING_ACTIVATION', 'REGISTER_INACTIVE'])(
    'fails a %s certificate as CertificateNotTransferable',
    async (status) => {
      const { settled, toMove } = await plan(ids(1), [listed(1, status)]);
      expect(settled).toEqual([
        {
          certificateId: certificateIdOf(1),
          outcome: 'FAILED',
          errorName: 'CertificateNotTransferable',
          errorMessage: `a ${status} certificate cannot be transferred`,
          previousStatus: status,
        },
      ]);
      expect(toMove).toEqual([]);
    },
  );

  it('follows the markers of ListCertificates and ListOutgoingCertificates through every page', async () => {
    const objects = new InMemoryMigrationObjects();
    await objects.writeJson(migrationKeys.manifest(MIGRATION_ID), ids(1, 2, 3));
    iot.on(ListCertificatesCommand).resolves({ certificates: [listed(1, 'INACTIVE')], nextMarker: 'cGFnZTI=' });
    iot
      .on(ListCertificatesCommand, { marker: 'cGFnZTI=' })
      .resolves({ certificates: [listed(2, 'PENDING_TRANSFER')], nextMarker: 'cGFnZTM=' });
    iot.on(ListCertificatesCommand, { marker: 'cGFnZTM=' }).resolves({ certificates: [listed(3, 'PENDING_TRANSFER')] });
    iot
      .on(ListOutgoingCertificatesCommand)
      .resolves({ outgoingCertificates: [{ certificateId: certificateIdOf(2), transferredTo: TARGET_ACCOUNT }], nextMarker: 'b3V0Mg==' });
    iot
      .on(ListOutgoingCertificatesCommand, { marker: 'b3V0Mg==' })
      .resolves({ outgoingCertificates: [{ certificateId: certificateIdOf(3), transferredTo: TARGET_ACCOUNT }] });
    const runName = freshRunName();
    await planOutboundMigration(
      { iot: new IoTClient({}), objects, auditTrail: new InMemoryAuditTrail(), progress: table.progress, batchSize: BATCH_SIZE },
      request(runName),
    );
    expect(iot).toHaveReceivedCommandTimes(ListCertificatesCommand, 3);
    expect(iot).toHaveReceivedCommandWith(ListCertificatesCommand, { pageSize: 250 });
    expect(iot).toHaveReceivedCommandTimes(ListOutgoingCertificatesCommand, 2);
    const settled = objects.json(runFiles(MIGRATION_ID, runName).plannedOutcomes) as CertificateOutcome[];
    expect(settled.map((outcome) => outcome.outcome)).toEqual(['ALREADY_OFFERED', 'ALREADY_OFFERED']);
    expect(objects.json(runFiles(MIGRATION_ID, runName).transferItems)).toEqual([
      {
        certificateId: certificateIdOf(1),
        certificateArn: certificateArnOf(certificateIdOf(1)),
        status: 'INACTIVE',
        policies: [],
        position: 0,
      },
    ]);
  });

  it('resolves a status selector to the certificates of the account in that status', async () => {
    const { plan: result, toMove } = await plan({ selector: { status: 'INACTIVE' } }, [
      listed(1, 'ACTIVE'),
      listed(2, 'INACTIVE'),
      listed(3, 'REVOKED'),
      listed(4, 'INACTIVE'),
    ]);
    expect(toMove.map((item) => item.certificateId)).toEqual([certificateIdOf(2), certificateIdOf(4)]);
    expect(result.certificateCount).toBe(2);
    expect(iot).not.toHaveReceivedCommand(ListCertificatesByCACommand);
  });

  it('resolves a CA selector with ListCertificatesByCA, filtered by status', async () => {
    iot
      .on(ListCertificatesByCACommand, { caCertificateId: CA_ID })
      .resolves({ certificates: [listed(2, 'INACTIVE'), listed(3, 'ACTIVE')], nextMarker: 'Y2Ey' });
    iot.on(ListCertificatesByCACommand, { caCertificateId: CA_ID, marker: 'Y2Ey' }).resolves({ certificates: [listed(4, 'INACTIVE')] });
    const { toMove, plan: result } = await plan({ selector: { status: 'INACTIVE', caCertificateId: CA_ID } }, [
      listed(1, 'INACTIVE'),
      listed(2, 'INACTIVE'),
      listed(3, 'ACTIVE'),
      listed(4, 'INACTIVE'),
    ]);
    expect(toMove.map((item) => item.certificateId)).toEqual([certificateIdOf(2), certificateIdOf(4)]);
    expect(result.certificateCount).toBe(2);
    expect(iot).toHaveReceivedCommandTimes(ListCertificatesByCACommand, 2);
  });

  it('moves every certificate of a CA whatever its status when the selector names only the CA', async () => {
    iot.on(ListCertificatesByCACommand).resolves({ certificates: [listed(1, 'ACTIVE'), listed(2, 'REVOKED')] });
    const { toMove, settled } = await plan({ selector: { caCertificateId: CA_ID } }, [
      listed(1, 'ACTIVE'),
      listed(2, 'REVOKED'),
      listed(3, 'INACTIVE'),
    ]);
    expect(toMove.map((item) => item.certificateId)).toEqual([certificateIdOf(1)]);
    expect(settled.map((outcome) => [outcome.certificateId, outcome.errorName])).toEqual([
      [certificateIdOf(2), 'CertificateNotTransferable'],
    ]);
  });

  it('writes the ids a selector resolved to on the first run of the migration', async () => {
    const { objects } = await plan({ selector: { status: 'INACTIVE' } }, [
      listed(1, 'ACTIVE'),
      listed(2, 'INACTIVE'),
      listed(4, 'INACTIVE'),
    ]);
    expect(objects.json(migrationKeys.resolvedSelector(MIGRATION_ID))).toEqual([certificateIdOf(2), certificateIdOf(4)]);
  });

  it('follows, on a later run, the certificates the selector chose on the first, though they are offered or gone by now', async () => {
    const auditTrail = new InMemoryAuditTrail();
    const first = await plan(
      { selector: { status: 'INACTIVE' } },
      [listed(1, 'INACTIVE'), listed(2, 'INACTIVE'), listed(3, 'INACTIVE'), listed(4, 'ACTIVE')],
      auditTrail,
    );
    expect(first.toMove.map((item) => item.certificateId)).toEqual([1, 2, 3].map(certificateIdOf));

    // Since then: 1 is offered to the target, 2 was accepted there, 3 is as it was, and 5 is a new INACTIVE certificate.
    iot
      .on(ListOutgoingCertificatesCommand)
      .resolves({ outgoingCertificates: [{ certificateId: certificateIdOf(1), transferredTo: TARGET_ACCOUNT }] });
    await auditTrail.record(transferRow(2, TARGET_ACCOUNT));
    const later = await plan(
      { selector: { status: 'INACTIVE' } },
      [listed(1, 'PENDING_TRANSFER'), listed(3, 'INACTIVE'), listed(4, 'ACTIVE'), listed(5, 'INACTIVE')],
      auditTrail,
      freshRunName(),
      first.objects,
    );
    expect(later.plan.certificateCount).toBe(3);
    expect(later.settled).toEqual([
      { certificateId: certificateIdOf(1), outcome: 'ALREADY_OFFERED', previousStatus: 'PENDING_TRANSFER' },
      { certificateId: certificateIdOf(2), outcome: 'ALREADY_TRANSFERRED' },
    ]);
    expect(later.toMove.map((item) => item.certificateId)).toEqual([certificateIdOf(3)]);
  });

  it('does not resolve a CA selector again on a later run', async () => {
    iot.on(ListCertificatesByCACommand).resolves({ certificates: [listed(1, 'INACTIVE')] });
    const first = await plan({ selector: { caCertificateId: CA_ID } }, [listed(1, 'INACTIVE')]);
    iot.on(ListCertificatesByCACommand).resolves({ certificates: [listed(1, 'INACTIVE'), listed(2, 'INACTIVE')] });
    const later = await plan(
      { selector: { caCertificateId: CA_ID } },
      [listed(1, 'INACTIVE'), listed(2, 'INACTIVE')],
      new InMemoryAuditTrail(),
      freshRunName(),
      first.objects,
    );
    expect(later.toMove.map((item) => item.certificateId)).toEqual([certificateIdOf(1)]);
    expect(iot).toHaveReceivedCommandTimes(ListCertificatesByCACommand, 1);
  });

  it('takes a certificate id list as it is, writing no resolved selector', async () => {
    const { objects } = await plan(ids(1, 2), [listed(1, 'INACTIVE'), listed(2, 'INACTIVE')]);
    expect(objects.json(migrationKeys.resolvedSelector(MIGRATION_ID))).toBeUndefined();
  });

  it('looks up in the audit trail every certificate missing from the account, at most 16 at once', async () => {
    const auditTrail = new SlowAuditTrail();
    for (const n of [1, 17, 40]) await auditTrail.record(transferRow(n, TARGET_ACCOUNT));
    const missing = Array.from({ length: 40 }, (_, index) => index + 1);
    const { settled } = await plan(ids(...missing, 41), [listed(41, 'INACTIVE')], auditTrail);
    expect(auditTrail.lookedUp.sort()).toEqual(missing.map(certificateIdOf).sort());
    expect(auditTrail.mostAtOnce).toBe(16);
    expect(settled.filter((outcome) => outcome.outcome === 'ALREADY_TRANSFERRED').map((outcome) => outcome.certificateId)).toEqual(
      [1, 17, 40].map(certificateIdOf),
    );
    expect(settled).toHaveLength(40);
  });

  it('matches upper-case manifest ids to the listed certificates and moves a duplicate once', async () => {
    const { toMove, plan: result } = await plan(
      { certificateIds: [certificateIdOf(1).toUpperCase(), certificateIdOf(1), certificateIdOf(2)] },
      [listed(1, 'INACTIVE'), listed(2, 'INACTIVE')],
    );
    expect(toMove.map((item) => item.certificateId)).toEqual([certificateIdOf(1), certificateIdOf(2)]);
    expect(result).toMatchObject({ certificateCount: 2, duplicateCount: 1 });
  });

  it('writes the items and the settled outcomes to the run files, and sets the transfer and land totals', async () => {
    iot
      .on(ListOutgoingCertificatesCommand)
      .resolves({ outgoingCertificates: [{ certificateId: certificateIdOf(3), transferredTo: TARGET_ACCOUNT }] });
    const runName = freshRunName();
    const result = await plan(
      ids(1, 2, 3, 4, 5, 6),
      [listed(1, 'ACTIVE'), listed(2, 'INACTIVE'), listed(3, 'PENDING_TRANSFER'), listed(5, 'ACTIVE'), listed(6, 'INACTIVE')],
      new InMemoryAuditTrail(),
      runName,
    );
    const files = runFiles(MIGRATION_ID, runName);
    expect(result.plan).toEqual({
      certificateCount: 6,
      duplicateCount: 0,
      itemsKey: files.transferItems,
      itemCount: 4,
      settledKey: files.plannedOutcomes,
      settledCount: 2,
      mapResultsPrefix: files.mapResults,
      batchSize: BATCH_SIZE,
      batchCount: 2,
      activeCount: 2,
      policies: {},
      summary: {
        migrationId: MIGRATION_ID,
        certificateCount: 4,
        statusCounts: { ACTIVE: 2, INACTIVE: 2 },
        withPolicies: 0,
        withThings: null,
        toDeactivate: 2,
        alreadyDone: 1,
        notTransferable: 1,
        sampleCertificateIds: [1, 2, 5, 6].map(certificateIdOf),
        certificateListKey: files.transferItems,
      },
    });
    expect(result.request).toEqual(request(runName));
    expect(result.toMove.map((item) => item.position)).toEqual([0, 1, 2, 3]);
    expect(result.settled.map((outcome) => outcome.outcome)).toEqual(['ALREADY_OFFERED', 'FAILED']);
    expect(await table.progress.read(runName)).toEqual({
      transfer: { total: 4, done: 0, failed: 0 },
      land: { total: 4, done: 0, failed: 0 },
    });
  });

  it('cuts the list into batches of batchSize, the last one shorter', async () => {
    const numbers = [1, 2, 3, 4, 5];
    const { plan: result } = await plan(
      ids(...numbers),
      numbers.map((n) => listed(n, 'INACTIVE')),
    );
    expect(result).toMatchObject({ itemCount: 5, batchSize: BATCH_SIZE, batchCount: 3 });
  });

  it('finds policy attachments per policy (ListPolicies, then ListTargetsForPolicy through every page) and counts them', async () => {
    iot.on(ListPoliciesCommand).resolves({ policies: [{ policyName: 'telemetry' }], nextMarker: 'cG9s' });
    iot.on(ListPoliciesCommand, { marker: 'cG9s' }).resolves({ policies: [{ policyName: 'shadow' }, { policyName: 'unused' }] });
    iot
      .on(ListTargetsForPolicyCommand, { policyName: 'telemetry' })
      .resolves({ targets: [certificateArnOf(certificateIdOf(1)), certificateArnOf(certificateIdOf(9))], nextMarker: 'dDI=' });
    iot
      .on(ListTargetsForPolicyCommand, { policyName: 'telemetry', marker: 'dDI=' })
      .resolves({ targets: [certificateArnOf(certificateIdOf(2)), 'arn:aws:iot:us-east-1:111111111111:thinggroup/fleet'] });
    iot.on(ListTargetsForPolicyCommand, { policyName: 'shadow' }).resolves({ targets: [certificateArnOf(certificateIdOf(2))] });
    iot.on(ListTargetsForPolicyCommand, { policyName: 'unused' }).resolves({ targets: [] });

    const { toMove, plan: result } = await plan(ids(1, 2, 3), [listed(1, 'ACTIVE'), listed(2, 'INACTIVE'), listed(3, 'INACTIVE')]);

    expect(toMove.map((item) => [item.position, item.policies])).toEqual([
      [0, ['telemetry']],
      [1, ['telemetry', 'shadow']],
      [2, []],
    ]);
    // Certificate 9 is not moved: only the certificates moved are counted.
    expect(result.policies).toEqual({ telemetry: 2, shadow: 1 });
    expect(result.summary).toMatchObject({ withPolicies: 2, withThings: null, certificateCount: 3 });
    expect(iot).toHaveReceivedCommandTimes(ListPoliciesCommand, 2);
    expect(iot).toHaveReceivedCommandTimes(ListTargetsForPolicyCommand, 4);
    expect(iot).toHaveReceivedCommandWith(ListTargetsForPolicyCommand, { policyName: 'shadow', pageSize: 250 });
  });

  it('makes no per-certificate IoT request: only the listings, however many certificates move', async () => {
    const numbers = Array.from({ length: 30 }, (_, index) => index + 1);
    iot.on(ListPoliciesCommand).resolves({ policies: [{ policyName: 'telemetry' }] });
    iot.on(ListTargetsForPolicyCommand).resolves({ targets: numbers.map((n) => certificateArnOf(certificateIdOf(n))) });
    await plan(
      ids(...numbers),
      numbers.map((n) => listed(n, n % 2 ? 'ACTIVE' : 'INACTIVE')),
    );
    const actions = iot.calls().map((call) => (call.args[0] as { constructor: { name: string } }).constructor.name);
    expect([...new Set(actions)].sort()).toEqual([
      'ListCertificatesCommand',
      'ListOutgoingCertificatesCommand',
      'ListPoliciesCommand',
      'ListTargetsForPolicyCommand',
    ]);
    expect(actions).toHaveLength(4);
  });

  it('reads no policies when nothing is left to move', async () => {
    const { plan: result } = await plan(ids(1), [listed(1, 'REVOKED')]);
    expect(result).toMatchObject({ itemCount: 0, batchCount: 0, policies: {} });
    expect(iot).not.toHaveReceivedCommand(ListPoliciesCommand);
  });

  it('fails the step with the IoT error name when listing is throttled, so the workflow retries it', async () => {
    const objects = new InMemoryMigrationObjects();
    await objects.writeJson(migrationKeys.manifest(MIGRATION_ID), ids(1));
    iot.on(ListCertificatesCommand).rejects(iotError('ThrottlingException', 'Rate exceeded'));
    await expect(
      planOutboundMigration(
        { iot: new IoTClient({}), objects, auditTrail: new InMemoryAuditTrail(), progress: table.progress, batchSize: BATCH_SIZE },
        request(),
      ),
    ).rejects.toMatchObject({
      name: 'ThrottlingException',
      retryable: true,
    });
  });

  it('fails the step with a ValidationError when the uploaded manifest is not one', async () => {
    await expect(plan({ certificateIds: ['not-a-certificate'] }, [])).rejects.toMatchObject({ name: 'ManifestError' });
    await expect(plan({ selector: {} }, [])).rejects.toMatchObject({ name: 'ValidationError', field: 'selector' });
  });
});
