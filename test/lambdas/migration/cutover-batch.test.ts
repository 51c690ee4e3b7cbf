import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  CreateThingTypeCommand,
  DescribeCertificateCommand,
  ListAttachedPoliciesCommand,
  ListPrincipalThingsCommand,
  TransferCertificateCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { AuditRow } from '../../../lambdas/audit-trail/audit-row';
import { exchangeKeys } from '../../../lambdas/cross-account/exchange-objects';
import { parseMigrationEvent, type MigrationBatchOffered } from '../../../lambdas/cross-account/migration-messages';
import { AuditTrailUnavailableError } from '../../../lambdas/iot-api/iot-errors';
import {
  batchNumberOf,
  cutoverBatch,
  MigrationBatchMismatch,
  type CutoverBatch,
  type CutoverBatchDeps,
} from '../../../lambdas/migration/cutover-batch';
import type { OfferSheet } from '../../../lambdas/migration/offer-sheet';
import type { CertificateToMove } from '../../../lambdas/migration/plan-outbound-migration';
import { createCertificate, startIotFixture, type IotEndpointFixture } from '../../local/iot/iot-endpoint-fixture';
import { InMemoryAuditTrail } from '../audit-trail/in-memory-audit-trail';
import {
  certificateIdOf,
  EXECUTION_ID,
  freshRunName,
  MIGRATION_ID,
  progressTableFixture,
  SOURCE_ACCOUNT,
  TARGET_ACCOUNT,
  type ProgressTableFixture,
} from './migration-fixtures';
import { migrationBucketsFixture, REGION, SOURCE_BUCKET, type MigrationBucketsFixture } from './target-migration-fixture';

const POLICY_DOCUMENT = '{"Version":"2012-10-17","Statement":[]}';
const BATCH_SIZE = 10;

const events = mockClient(EventBridgeClient);
let progress: ProgressTableFixture;
let buckets: MigrationBucketsFixture;
let iotFixture: IotEndpointFixture;
let sourceIot: IoTClient;

beforeAll(async () => {
  [progress, buckets, iotFixture] = await Promise.all([progressTableFixture(), migrationBucketsFixture(), startIotFixture()]);
  sourceIot = iotFixture.client(SOURCE_ACCOUNT);
  await sourceIot.send(new CreatePolicyCommand({ policyName: 'sensor-policy', policyDocument: POLICY_DOCUMENT }));
  await sourceIot.send(new CreateThingTypeCommand({ thingTypeName: 'sensor' }));
});
afterAll(() => Promise.all([progress.close(), buckets.close(), iotFixture.close()]));
beforeEach(() => {
  events.reset();
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'event-1' }] });
  iotFixture.endpoint.setFaults({});
  // The item retries wait a random share of their backoff: none, here.
  jest.spyOn(Math, 'random').mockReturnValue(0);
});
afterEach(() => jest.restoreAllMocks());

let things = 0;

/** A certificate of the source account, with a policy and a thing attached unless told otherwise. */
async function sourceCertificate(
  status: 'ACTIVE' | 'INACTIVE',
  position: number,
  attached: { policy?: boolean; thing?: boolean } = {},
): Promise<CertificateToMove & { thingName?: string }> {
  const { certificateId, certificateArn } = await createCertificate(sourceIot, status === 'ACTIVE');
  const policies: string[] = [];
  if (attached.policy !== false) {
    await sourceIot.send(new AttachPolicyCommand({ policyName: 'sensor-policy', target: certificateArn }));
    policies.push('sensor-policy');
  }
  let thingName: string | undefined;
  if (attached.thing !== false) {
    things += 1;
    thingName = `cutover-device-${things}`;
    await sourceIot.send(
      new CreateThingCommand({ thingName, thingTypeName: 'sensor', attributePayload: { attributes: { floor: String(things) } } }),
    );
    await sourceIot.send(new AttachThingPrincipalCommand({ thingName, principal: certificateArn }));
  }
  return { certificateId, certificateArn, status, policies, position, thingName };
}

function depsWith(
  auditTrail = new InMemoryAuditTrail(),
  iot: IoTClient = sourceIot,
): CutoverBatchDeps & { auditTrail: InMemoryAuditTrail } {
  return {
    iot,
    auditTrail,
    accountId: SOURCE_ACCOUNT,
    progress: progress.progress,
    s3: buckets.sourceS3,
    bucket: SOURCE_BUCKET,
    sender: { events: new EventBridgeClient({ region: REGION }), busName: 'certflow-outbound-transfers' },
  };
}

function batchOf(runName: string, items: CertificateToMove[], change: Partial<CutoverBatch> = {}): CutoverBatch {
  return {
    invocationId: 'invocation-1',
    items: items.map(({ certificateId, certificateArn, status, policies, position }) => ({
      certificateId,
      certificateArn,
      status,
      policies,
      position,
    })),
    context: {
      executionId: EXECUTION_ID,
      requestedBy: 'alice@example.com',
      approvedBy: 'bob@example.com',
      migrationId: MIGRATION_ID,
      runName,
      targetAwsAccount: TARGET_ACCOUNT,
      transferMessage: 'fleet move',
      consentToPrepare: true,
      batchSize: BATCH_SIZE,
    },
    ...change,
  };
}

async function sheetOf(runName: string, batch: number): Promise<OfferSheet> {
  const output = await buckets.sourceS3.send(
    new GetObjectCommand({ Bucket: SOURCE_BUCKET, Key: exchangeKeys.offerSheet(MIGRATION_ID, runName, batch) }),
  );
  return JSON.parse((await output.Body?.transformToString('utf8')) ?? '') as OfferSheet;
}

/** The offers the step sent, as the target's receiver would read them. */
function sentOffers(): MigrationBatchOffered[] {
  return events.commandCalls(PutEventsCommand).map((call) => {
    const entry = call.args[0].input.Entries?.[0];
    const message = parseMigrationEvent(
      { account: SOURCE_ACCOUNT, source: entry?.Source, 'detail-type': entry?.DetailType, detail: JSON.parse(entry?.Detail ?? '{}') },
      { from: 'SOURCE', peerAccount: SOURCE_ACCOUNT, ownAccount: TARGET_ACCOUNT },
    );
    if (message.type !== 'MigrationBatchOffered') throw new Error(`sent ${message.type}`);
    return message.detail;
  });
}

async function statusOf(certificateId: string): Promise<string | undefined> {
  return (await sourceIot.send(new DescribeCertificateCommand({ certificateId }))).certificateDescription?.status;
}

async function attachedTo(certificateArn: string): Promise<{ policies: string[]; things: string[] }> {
  const policies = await sourceIot.send(new ListAttachedPoliciesCommand({ target: certificateArn }));
  const principalThings = await sourceIot.send(new ListPrincipalThingsCommand({ principal: certificateArn }));
  return { policies: (policies.policies ?? []).map((policy) => policy.policyName ?? ''), things: principalThings.things ?? [] };
}

const successes = (auditTrail: InMemoryAuditTrail, action: AuditRow['action']) =>
  auditTrail.rows.filter((row) => row.action === action && row.outcome === 'SUCCEEDED');

/** An audit trail that cannot record one Action: the batch's function dies right after that change, as in a crash. */
class AuditTrailLostAt extends InMemoryAuditTrail {
  constructor(public lostAction: AuditRow['action'] | undefined) {
    super();
  }

  override async record(row: AuditRow): Promise<boolean> {
    if (row.action === this.lostAction) throw new AuditTrailUnavailableError('the audit table cannot be reached');
    return super.record(row);
  }
}

describe('cutoverBatch', () => {
  it('writes the sheet of what is attached before its first change to the certificates', async () => {
    const runName = freshRunName();
    const active = await sourceCertificate('ACTIVE', 0);
    const snapshots: OfferSheet[] = [];
    const watched = iotFixture.client(SOURCE_ACCOUNT);
    // Whatever the cutover changes first, the sheet is read just before it is sent.
    watched.middlewareStack.add(
      (next, context) => async (args) => {
        const changes = ['UpdateCertificateCommand', 'DetachPolicyCommand', 'DetachThingPrincipalCommand', 'TransferCertificateCommand'];
        if (snapshots.length === 0 && changes.includes(String(context.commandName))) snapshots.push(await sheetOf(runName, 0));
        return next(args);
      },
      { step: 'initialize', name: 'sheetBeforeFirstChange' },
    );

    await cutoverBatch(depsWith(new InMemoryAuditTrail(), watched), batchOf(runName, [active]));

    expect(snapshots).toEqual([
      {
        migrationId: MIGRATION_ID,
        runName,
        batch: 0,
        certificates: [
          {
            certificateId: active.certificateId,
            outcome: 'PENDING',
            previousStatus: 'ACTIVE',
            policies: ['sensor-policy'],
            things: [{ thingName: active.thingName, thingTypeName: 'sensor', attributes: { floor: expect.any(String) } }],
            deactivatedAt: null,
            transferredAt: null,
            errorName: null,
            errorMessage: null,
          },
        ],
      },
    ]);
  });

  it('deactivates an ACTIVE certificate, detaches its policies and things, transfers it and offers the batch', async () => {
    const runName = freshRunName();
    const active = await sourceCertificate('ACTIVE', 10);
    const inactive = await sourceCertificate('INACTIVE', 11, { policy: false });
    await progress.progress.setTotal(runName, 'transfer', 2);
    const deps = depsWith();

    const entries = await cutoverBatch(deps, batchOf(runName, [active, inactive]));

    expect(entries).toEqual([
      expect.objectContaining({
        certificateId: active.certificateId,
        outcome: 'OFFERED',
        previousStatus: 'ACTIVE',
        policies: ['sensor-policy'],
        things: [expect.objectContaining({ thingName: active.thingName })],
        deactivatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        transferredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      }),
      expect.objectContaining({
        certificateId: inactive.certificateId,
        outcome: 'OFFERED',
        previousStatus: 'INACTIVE',
        policies: [],
        things: [expect.objectContaining({ thingName: inactive.thingName })],
        deactivatedAt: null,
      }),
    ]);
    const [first] = entries;
    expect(Date.parse(first?.deactivatedAt ?? '')).toBeLessThanOrEqual(Date.parse(first?.transferredAt ?? ''));
    for (const certificate of [active, inactive]) {
      expect(await statusOf(certificate.certificateId)).toBe('PENDING_TRANSFER');
      expect(await attachedTo(certificate.certificateArn)).toEqual({ policies: [], things: [] });
    }
    // The positions 10 and 11 are batch 1 of batches of 10.
    const sheet = await sheetOf(runName, 1);
    expect(sheet).toEqual({ migrationId: MIGRATION_ID, runName, batch: 1, certificates: entries });
    const offers = sentOffers();
    expect(offers).toEqual([
      {
        migrationId: MIGRATION_ID,
        runName,
        sourceAwsAccount: SOURCE_ACCOUNT,
        targetAwsAccount: TARGET_ACCOUNT,
        sentAt: expect.any(String),
        batch: 1,
        offerSheet: {
          bucket: SOURCE_BUCKET,
          key: exchangeKeys.offerSheet(MIGRATION_ID, runName, 1),
          sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        },
      },
    ]);
    expect(successes(deps.auditTrail, 'TransferCertificate').map((row) => row.certificateId)).toEqual([
      active.certificateId,
      inactive.certificateId,
    ]);
    expect(await progress.progress.read(runName)).toEqual({ transfer: { total: 2, done: 2, failed: 0 } });
  });

  it('changes nothing on a re-run of a batch already offered: no second success row, the same sheet offered again', async () => {
    const runName = freshRunName();
    const active = await sourceCertificate('ACTIVE', 0);
    const deps = depsWith();
    const first = await cutoverBatch(deps, batchOf(runName, [active]));
    const rowsAfterFirst = deps.auditTrail.rows.length;

    const again = await cutoverBatch(deps, batchOf(runName, [active], { invocationId: 'invocation-2' }));

    expect(again).toEqual(first);
    expect(deps.auditTrail.rows).toHaveLength(rowsAfterFirst);
    expect(successes(deps.auditTrail, 'TransferCertificate')).toHaveLength(1);
    const [offered, reoffered] = sentOffers();
    expect(reoffered?.offerSheet).toEqual(offered?.offerSheet);
  });

  it('restores a certificate whose transfer fails, and reports it FAILED with the IoT error in the offered sheet', async () => {
    const runName = freshRunName();
    const active = await sourceCertificate('ACTIVE', 0);
    iotFixture.endpoint.setFaults({ TransferCertificate: { errorRate: 1, errorType: 'ServiceUnavailableException' } });

    const [entry] = await cutoverBatch(depsWith(), batchOf(runName, [active]));

    expect(entry).toMatchObject({ outcome: 'FAILED', errorName: 'ServiceUnavailableException', transferredAt: null });
    expect(await statusOf(active.certificateId)).toBe('ACTIVE');
    expect(await attachedTo(active.certificateArn)).toEqual({ policies: ['sensor-policy'], things: [active.thingName] });
    expect((await sheetOf(runName, 0)).certificates).toEqual([entry]);
    expect(sentOffers()).toHaveLength(1);
  });

  it('leaves the sheet written before the changes when the function dies during the transfer: PENDING, with what was attached', async () => {
    const runName = freshRunName();
    const active = await sourceCertificate('ACTIVE', 0);

    await expect(cutoverBatch(depsWith(new AuditTrailLostAt('TransferCertificate')), batchOf(runName, [active]))).rejects.toMatchObject({
      name: 'AuditTrailUnavailable',
    });

    // Transferred, but the function did not live to say so: only the first sheet is there, and no offer was sent.
    expect(await statusOf(active.certificateId)).toBe('PENDING_TRANSFER');
    expect((await sheetOf(runName, 0)).certificates).toEqual([
      expect.objectContaining({
        certificateId: active.certificateId,
        outcome: 'PENDING',
        previousStatus: 'ACTIVE',
        policies: ['sensor-policy'],
        things: [expect.objectContaining({ thingName: active.thingName })],
      }),
    ]);
    expect(sentOffers()).toEqual([]);
  });

  it('reports a failed batch without changing anything: a certificate already PENDING_TRANSFER as OFFERED, the others FAILED', async () => {
    const runName = freshRunName();
    const transferred = await sourceCertificate('ACTIVE', 0);
    const untouched = await sourceCertificate('INACTIVE', 1);
    const crashed = batchOf(runName, [transferred, untouched]);
    // The first run dies right after the first certificate's transfer, before the second is touched.
    await expect(cutoverBatch(depsWith(new AuditTrailLostAt('TransferCertificate')), crashed)).rejects.toMatchObject({
      name: 'AuditTrailUnavailable',
    });
    await progress.progress.setTotal(runName, 'transfer', 2);
    const deps = depsWith();

    const entries = await cutoverBatch(deps, { ...crashed, failure: { error: 'States.Timeout', cause: 'the batch timed out' } });

    expect(entries).toEqual([
      expect.objectContaining({ certificateId: transferred.certificateId, outcome: 'OFFERED', previousStatus: 'ACTIVE' }),
      expect.objectContaining({
        certificateId: untouched.certificateId,
        outcome: 'FAILED',
        errorName: 'States.Timeout',
        errorMessage: 'the batch timed out',
      }),
    ]);
    expect(await statusOf(untouched.certificateId)).toBe('INACTIVE');
    expect(await attachedTo(untouched.certificateArn)).toEqual({ policies: ['sensor-policy'], things: [untouched.thingName] });
    expect(deps.auditTrail.rows).toEqual([]);
    expect((await sheetOf(runName, 0)).certificates).toEqual(entries);
    expect(sentOffers()).toHaveLength(1);
    expect(await progress.progress.read(runName)).toEqual({ transfer: { total: 2, done: 1, failed: 1 } });
  });

  it('reports a failed batch that never wrote a sheet: FAILED for a certificate still here, OFFERED for one pending transfer', async () => {
    const runName = freshRunName();
    const pending = await sourceCertificate('INACTIVE', 0, { policy: false, thing: false });
    const here = await sourceCertificate('INACTIVE', 1, { policy: false, thing: false });
    await sourceIot.send(new TransferCertificateCommand({ certificateId: pending.certificateId, targetAwsAccount: TARGET_ACCOUNT }));

    const entries = await cutoverBatch(depsWith(), batchOf(runName, [pending, here], { failure: { error: 'Lambda.Unknown', cause: '' } }));

    expect(entries.map((entry) => [entry.certificateId, entry.outcome, entry.errorName])).toEqual([
      [pending.certificateId, 'OFFERED', null],
      [here.certificateId, 'FAILED', 'Lambda.Unknown'],
    ]);
  });

  // Bug: moveOne stamps deactivatedAt with the time of the attempt that runs prepareCertificate.
  // A batch retried (new invocation) after dying between UpdateCertificate INACTIVE and the
  // transfer finds the certificate INACTIVE already and stamps the retry's time, so the
  // report's downtime leaves out the time the devices were already dark.
  it('keeps the time of the deactivation when the batch is retried after dying between deactivation and transfer', async () => {
    const runName = freshRunName();
    const active = await sourceCertificate('ACTIVE', 0);
    const auditTrail = new AuditTrailLostAt('DetachPolicy');
    let clock = Date.parse('2026-12-01T10:00:00.000Z');
    const deps = { ...depsWith(auditTrail), now: () => new Date(clock) };
    await expect(cutoverBatch(deps, batchOf(runName, [active]))).rejects.toMatchObject({ name: 'AuditTrailUnavailable' });
    expect(await statusOf(active.certificateId)).toBe('INACTIVE');

    auditTrail.lostAction = undefined;
    clock += 60_000;
    const [entry] = await cutoverBatch(deps, batchOf(runName, [active], { invocationId: 'invocation-2' }));

    expect(entry).toMatchObject({ outcome: 'OFFERED', deactivatedAt: '2026-12-01T10:00:00.000Z' });
  });

  it('fails a certificate without consent to prepare it, changing nothing, and moves one that needs no preparation', async () => {
    const runName = freshRunName();
    const active = await sourceCertificate('ACTIVE', 0, { policy: false, thing: false });
    const bare = await sourceCertificate('INACTIVE', 1, { policy: false, thing: false });
    const batch = batchOf(runName, [active, bare]);

    const entries = await cutoverBatch(depsWith(), { ...batch, context: { ...batch.context, consentToPrepare: false } });

    expect(entries.map((entry) => [entry.outcome, entry.errorName])).toEqual([
      ['FAILED', 'ConsentRequired'],
      ['OFFERED', null],
    ]);
    expect(await statusOf(active.certificateId)).toBe('ACTIVE');
  });
});

describe('batchNumberOf', () => {
  const item = (position: number): CertificateToMove => ({
    certificateId: certificateIdOf(position),
    certificateArn: `arn:aws:iot:${REGION}:${SOURCE_ACCOUNT}:cert/${certificateIdOf(position)}`,
    status: 'INACTIVE',
    policies: [],
    position,
  });

  it('names the batch of the list the items are, batchSize at a time', () => {
    expect(batchNumberOf([item(0), item(1)], 10)).toBe(0);
    expect(batchNumberOf([item(20), item(21), item(22)], 10)).toBe(2);
    expect(batchNumberOf([item(2499)], 10)).toBe(249);
  });

  it('rejects a batch spanning two batches of the list', () => {
    expect(() => batchNumberOf([item(8), item(9), item(10)], 10)).toThrow(MigrationBatchMismatch);
    expect(() => batchNumberOf([item(8), item(9), item(10)], 10)).toThrow('item 2 (position 10) is not in batch 0 of 10 certificates');
  });

  it('rejects items out of order or with a gap, and an empty batch', () => {
    expect(() => batchNumberOf([item(1), item(0)], 10)).toThrow(MigrationBatchMismatch);
    expect(() => batchNumberOf([item(0), item(2)], 10)).toThrow(MigrationBatchMismatch);
    expect(() => batchNumberOf([], 10)).toThrow(MigrationBatchMismatch);
  });
});
