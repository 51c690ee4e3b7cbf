import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreatePolicyCommand,
  CreateThingTypeCommand,
  DescribeThingCommand,
  ListAttachedPoliciesCommand,
  ListCertificatesCommand,
  ListThingPrincipalsCommand,
  TransferCertificateCommand,
  UpdateCertificateCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { MigrationExchangeStore } from '../../../lambdas/cross-account/migration-exchange-store';
import { parseMigrationEvent, targetRunNameOf, type MigrationBatchLanded } from '../../../lambdas/cross-account/migration-messages';
import type { LandingConfig } from '../../../lambdas/landing/plan-landing';
import {
  landMigrationBatch,
  ThingTypesHere,
  type LandBatchDeps,
  type LandBatchRequest,
} from '../../../lambdas/migration/land-migration-batch';
import type { OfferedCertificate } from '../../../lambdas/migration/offer-sheet';
import { createCertificate, startIotFixture, type IotEndpointFixture } from '../../local/iot/iot-endpoint-fixture';
import { InMemoryAuditTrail, UnreachableAuditTrail } from '../audit-trail/in-memory-audit-trail';
import { proposalTableFixture, type ProposalTableFixture } from '../cross-account/proposal-table-fixture';
import {
  freshRunName,
  MIGRATION_ID,
  progressTableFixture,
  SOURCE_ACCOUNT,
  TARGET_ACCOUNT,
  type ProgressTableFixture,
} from './migration-fixtures';
import {
  batchOfferOf,
  migrationBucketsFixture,
  proposalOf,
  publishCertificateList,
  publishOfferSheet,
  recordTargetRun,
  REGION,
  targetExecutionIdOf,
  type MigrationBucketsFixture,
} from './target-migration-fixture';

const LANDING: LandingConfig = { policies: ['fleet-base'], policyNameMap: { 'sensor-policy': 'eu-sensor-policy' }, recreateThings: true };
const POLICY_DOCUMENT = '{"Version":"2012-10-17","Statement":[]}';

const events = mockClient(EventBridgeClient);
let tables: ProposalTableFixture;
let progress: ProgressTableFixture;
let buckets: MigrationBucketsFixture;
let iotFixture: IotEndpointFixture;
let sourceIot: IoTClient;
let targetIot: IoTClient;

beforeAll(async () => {
  [tables, progress, buckets, iotFixture] = await Promise.all([
    proposalTableFixture(),
    progressTableFixture(),
    migrationBucketsFixture(),
    startIotFixture(),
  ]);
  sourceIot = iotFixture.client(SOURCE_ACCOUNT);
  targetIot = iotFixture.client(TARGET_ACCOUNT);
  for (const policyName of ['fleet-base', 'eu-sensor-policy'])
    await targetIot.send(new CreatePolicyCommand({ policyName, policyDocument: POLICY_DOCUMENT }));
  await targetIot.send(new CreateThingTypeCommand({ thingTypeName: 'sensor' }));
});
afterAll(() => Promise.all([tables.close(), progress.close(), buckets.close(), iotFixture.close()]));
beforeEach(() => {
  events.reset();
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'event-1' }] });
  // The item retries wait a random share of their backoff: none, here.
  jest.spyOn(Math, 'random').mockReturnValue(0);
});
afterEach(() => jest.restoreAllMocks());

let things = 0;

/** A source certificate as the source leaves it for the target: INACTIVE, detached, pending transfer. */
async function offeredCertificate(previousStatus: 'ACTIVE' | 'INACTIVE', thingTypeName = 'sensor'): Promise<OfferedCertificate> {
  const { certificateId } = await createCertificate(sourceIot, previousStatus === 'ACTIVE');
  if (previousStatus === 'ACTIVE') await sourceIot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'INACTIVE' }));
  await sourceIot.send(new TransferCertificateCommand({ certificateId, targetAwsAccount: TARGET_ACCOUNT }));
  things += 1;
  return {
    certificateId,
    outcome: 'OFFERED',
    previousStatus,
    policies: ['sensor-policy'],
    things: [{ thingName: `device-${things}`, thingTypeName, attributes: { floor: '3' } }],
    deactivatedAt: previousStatus === 'ACTIVE' ? '2026-12-01T10:04:00.000Z' : null,
    transferredAt: '2026-12-01T10:04:01.000Z',
    errorName: null,
    errorMessage: null,
  };
}

interface Batch {
  store: MigrationExchangeStore;
  request: LandBatchRequest;
  deps: LandBatchDeps;
  auditTrail: InMemoryAuditTrail;
}

/**
 * A run of one batch of `approved` (batch 0), the source's offer of `sheet` recorded (unless
 * `offer` is false), and the deps the land step gets.
 */
async function batchOf(
  approved: string[],
  sheet: OfferedCertificate[],
  options: { offer?: boolean; auditTrail?: InMemoryAuditTrail; landingConfig?: LandingConfig } = {},
): Promise<Batch> {
  const sourceRunName = freshRunName();
  const store = await tables.newMigrationStore();
  const list = await publishCertificateList(buckets, sourceRunName, approved);
  const proposal = proposalOf(sourceRunName, list, { certificateCount: approved.length, batchSize: approved.length });
  await recordTargetRun(store, proposal);
  if (options.offer !== false) {
    const offerSheet = await publishOfferSheet(buckets, {
      migrationId: MIGRATION_ID,
      runName: sourceRunName,
      batch: 0,
      certificates: sheet,
    });
    await store.recordBatchOffer(sourceRunName, batchOfferOf(sourceRunName, 0, offerSheet));
  }
  const auditTrail = options.auditTrail ?? new InMemoryAuditTrail();
  const runName = targetRunNameOf(sourceRunName);
  await progress.progress.setTotal(runName, 'land', approved.length);
  return {
    store,
    auditTrail,
    request: {
      invocationId: 'invocation-1',
      migrationId: MIGRATION_ID,
      sourceRunName,
      runName,
      batch: 0,
      certificateIds: approved,
      offered: options.offer !== false,
      executionId: targetExecutionIdOf(sourceRunName),
      requestedBy: 'alice@example.com',
      approvedBy: 'dave@example.com',
      sourceAwsAccount: SOURCE_ACCOUNT,
    },
    deps: {
      iot: targetIot,
      auditTrail,
      accountId: TARGET_ACCOUNT,
      store,
      s3: buckets.exchangeReader,
      sender: { events: new EventBridgeClient({ region: REGION }), busName: 'certflow-inbound-transfers' },
      progress: progress.progress,
      landingConfig: options.landingConfig ?? LANDING,
      thingTypes: new ThingTypesHere(() => targetIot),
      region: REGION,
      partition: 'aws',
    },
  };
}

/** The landing report the step sent, as the source's receiver would read it. */
function sentReport(): MigrationBatchLanded {
  const calls = events.commandCalls(PutEventsCommand);
  const entry = calls[calls.length - 1]?.args[0].input.Entries?.[0];
  const message = parseMigrationEvent(
    { account: TARGET_ACCOUNT, source: entry?.Source, 'detail-type': entry?.DetailType, detail: JSON.parse(entry?.Detail ?? '{}') },
    { from: 'TARGET', peerAccount: TARGET_ACCOUNT, ownAccount: SOURCE_ACCOUNT },
  );
  if (message.type !== 'MigrationBatchLanded') throw new Error(`sent ${message.type}`);
  return message.detail;
}

/** The certificate's status here, from ListCertificates: AWS documents it as where a target finds its pending transfers. */
async function statusHere(certificateId: string): Promise<string | undefined> {
  const listed = await targetIot.send(new ListCertificatesCommand({ pageSize: 250 }));
  return listed.certificates?.find((certificate) => certificate.certificateId === certificateId)?.status;
}

const arnHere = (certificateId: string) => `arn:aws:iot:${REGION}:${TARGET_ACCOUNT}:cert/${certificateId}`;

describe('landMigrationBatch', () => {
  it('accepts an ACTIVE certificate ACTIVE and an INACTIVE one INACTIVE, each with its policies and recreated things', async () => {
    const active = await offeredCertificate('ACTIVE');
    const inactive = await offeredCertificate('INACTIVE', 'valve');
    const { deps, request, auditTrail } = await batchOf([active.certificateId, inactive.certificateId], [active, inactive]);

    const results = await landMigrationBatch(deps, request);

    expect(results).toEqual([
      {
        certificateId: active.certificateId,
        outcome: 'LANDED',
        setAsActive: true,
        acceptedAt: expect.any(String),
        landedAt: expect.any(String),
        policies: ['eu-sensor-policy', 'fleet-base'],
        things: [active.things[0]?.thingName],
        errorName: null,
        errorMessage: null,
      },
      expect.objectContaining({ certificateId: inactive.certificateId, outcome: 'LANDED', setAsActive: false }),
    ]);
    expect(await statusHere(active.certificateId)).toBe('ACTIVE');
    expect(await statusHere(inactive.certificateId)).toBe('INACTIVE');
    const attached = await targetIot.send(new ListAttachedPoliciesCommand({ target: arnHere(active.certificateId) }));
    expect(attached.policies?.map((policy) => policy.policyName).sort()).toEqual(['eu-sensor-policy', 'fleet-base']);
    const activeThing = active.things[0]?.thingName ?? '';
    expect((await targetIot.send(new ListThingPrincipalsCommand({ thingName: activeThing }))).principals).toEqual([
      arnHere(active.certificateId),
    ]);
    expect(await targetIot.send(new DescribeThingCommand({ thingName: activeThing }))).toMatchObject({
      thingTypeName: 'sensor',
      attributes: { floor: '3' },
    });
    // The valve type does not exist here: the thing is created without it.
    const inactiveThing = await targetIot.send(new DescribeThingCommand({ thingName: inactive.things[0]?.thingName ?? '' }));
    expect(inactiveThing.thingTypeName).toBeUndefined();

    expect(
      auditTrail.rows
        .filter((row) => row.action === 'AcceptCertificateTransfer')
        .map((row) => [row.certificateId, row.outcome, row.setAsActive]),
    ).toEqual([
      [active.certificateId, 'SUCCEEDED', true],
      [inactive.certificateId, 'SUCCEEDED', false],
    ]);
    expect(auditTrail.rows[0]).toMatchObject({
      executionId: request.executionId,
      approvedBy: 'dave@example.com',
      sourceAwsAccount: SOURCE_ACCOUNT,
    });
    expect(sentReport()).toMatchObject({ migrationId: MIGRATION_ID, runName: request.sourceRunName, batch: 0, certificates: results });
    expect(await progress.progress.read(request.runName)).toEqual({ land: { total: 2, done: 2, failed: 0 } });
  });

  it('never accepts a certificate the sheet names that the approvers did not approve for the batch, and tells the source', async () => {
    const approved = await offeredCertificate('INACTIVE');
    const stranger = await offeredCertificate('ACTIVE');
    const { deps, request } = await batchOf([approved.certificateId], [approved, stranger]);

    const results = await landMigrationBatch(deps, request);

    expect(results.map((result) => [result.certificateId, result.outcome])).toEqual([[approved.certificateId, 'LANDED']]);
    // Still pending transfer to this account: the source can cancel it.
    expect(await statusHere(stranger.certificateId)).toBe('PENDING_TRANSFER');
    expect(sentReport().certificates[1]).toMatchObject({
      certificateId: stranger.certificateId,
      outcome: 'NOT_ACCEPTED',
      errorName: 'NotInApprovedBatch',
    });
  });

  it('writes no second audit row and accepts nothing twice when the batch runs again in the same execution', async () => {
    const offered = await offeredCertificate('ACTIVE');
    const { deps, request, auditTrail } = await batchOf([offered.certificateId], [offered]);
    const first = await landMigrationBatch(deps, request);
    const rows = auditTrail.rows.map((row) => row.rowId);
    const requestsBefore = iotFixture.endpoint.stats().accounts[TARGET_ACCOUNT]?.AcceptCertificateTransfer?.requests;

    const again = await landMigrationBatch(deps, { ...request, invocationId: 'invocation-2' });

    expect(again.map((result) => [result.outcome, result.acceptedAt])).toEqual(first.map((result) => [result.outcome, result.acceptedAt]));
    expect(auditTrail.rows.map((row) => row.rowId)).toEqual(rows);
    expect(auditTrail.rows.filter((row) => row.action === 'AcceptCertificateTransfer' && row.outcome === 'SUCCEEDED')).toHaveLength(1);
    expect(iotFixture.endpoint.stats().accounts[TARGET_ACCOUNT]?.AcceptCertificateTransfer?.requests).toBe(requestsBefore);
    expect(await progress.progress.read(request.runName)).toEqual({ land: { total: 1, done: 1, failed: 0 } });
  });

  it('reports every certificate NOT_OFFERED when the wait for the offer timed out, and accepts nothing', async () => {
    const pending = await offeredCertificate('INACTIVE');
    const { deps, request } = await batchOf([pending.certificateId], [], { offer: false });

    const results = await landMigrationBatch(deps, request);

    expect(results).toEqual([
      expect.objectContaining({ certificateId: pending.certificateId, outcome: 'NOT_OFFERED', errorName: 'NotOffered' }),
    ]);
    // Still pending transfer to this account: the source can cancel it.
    expect(await statusHere(pending.certificateId)).toBe('PENDING_TRANSFER');
    expect(sentReport().certificates).toEqual(results);
    expect(await progress.progress.read(request.runName)).toEqual({ land: { total: 1, done: 0, failed: 1 } });
  });

  it('lands an offer recorded just after the wait timed out: the record decides, not the wait', async () => {
    const late = await offeredCertificate('INACTIVE');
    const { deps, request } = await batchOf([late.certificateId], [late]);
    expect(await landMigrationBatch(deps, { ...request, offered: false })).toEqual([
      expect.objectContaining({ certificateId: late.certificateId, outcome: 'LANDED' }),
    ]);
  });

  it('does not trust a wake-up with no offer recorded', async () => {
    const { deps, request } = await batchOf([(await offeredCertificate('INACTIVE')).certificateId], [], { offer: false });
    await expect(landMigrationBatch(deps, { ...request, offered: true })).rejects.toMatchObject({ name: 'UnverifiedMessage' });
    expect(events).not.toHaveReceivedCommand(PutEventsCommand);
  });

  it("reports what the source failed to offer as NOT_OFFERED with the source's error", async () => {
    const failed: OfferedCertificate = {
      ...(await offeredCertificate('INACTIVE')),
      outcome: 'FAILED',
      errorName: 'TransferConflictException',
      errorMessage: 'a thing could not be detached',
    };
    const { deps, request } = await batchOf([failed.certificateId], [failed]);
    expect(await landMigrationBatch(deps, request)).toEqual([
      expect.objectContaining({
        outcome: 'NOT_OFFERED',
        errorName: 'TransferConflictException',
        errorMessage: 'a thing could not be detached',
      }),
    ]);
    // Still pending transfer to this account: the source can cancel it.
    expect(await statusHere(failed.certificateId)).toBe('PENDING_TRANSFER');
  });

  it('reports NOT_ACCEPTED when the accept fails and LANDING_FAILED when an accepted certificate cannot land, and goes on', async () => {
    const neverTransferred = {
      ...(await offeredCertificate('INACTIVE')),
      certificateId: (await createCertificate(sourceIot)).certificateId,
    };
    const offered = await offeredCertificate('ACTIVE');
    const { deps, request } = await batchOf([neverTransferred.certificateId, offered.certificateId], [neverTransferred, offered], {
      landingConfig: { ...LANDING, policies: ['deleted-policy'] },
    });

    const results = await landMigrationBatch(deps, request);

    expect(results).toEqual([
      expect.objectContaining({
        certificateId: neverTransferred.certificateId,
        outcome: 'NOT_ACCEPTED',
        errorName: 'ResourceNotFoundException',
        acceptedAt: null,
      }),
      expect.objectContaining({
        certificateId: offered.certificateId,
        outcome: 'LANDING_FAILED',
        errorName: 'ResourceNotFoundException',
        acceptedAt: expect.any(String),
      }),
    ]);
    expect(await statusHere(offered.certificateId)).toBe('ACTIVE');
    expect(await progress.progress.read(request.runName)).toEqual({ land: { total: 2, done: 0, failed: 2 } });
  });

  it('fails the batch, unreported and uncounted, with AuditTrailUnavailable when the audit trail stays unreachable', async () => {
    const offered = await offeredCertificate('INACTIVE');
    const auditTrail = new UnreachableAuditTrail();
    auditTrail.unreachableFor.add(offered.certificateId);
    const { deps, request } = await batchOf([offered.certificateId], [offered], { auditTrail });
    await expect(landMigrationBatch(deps, request)).rejects.toMatchObject({ name: 'AuditTrailUnavailable' });
    expect(events).not.toHaveReceivedCommand(PutEventsCommand);
    expect(await progress.progress.read(request.runName)).toEqual({ land: { total: 1, done: 0, failed: 0 } });
  });

  it('asks once per container whether a thing type exists here', async () => {
    const first = await offeredCertificate('INACTIVE');
    const second = await offeredCertificate('INACTIVE');
    const { deps, request } = await batchOf([first.certificateId, second.certificateId], [first, second]);
    const before = iotFixture.endpoint.stats().accounts[TARGET_ACCOUNT]?.DescribeThingType?.requests ?? 0;
    await landMigrationBatch(deps, request);
    expect((iotFixture.endpoint.stats().accounts[TARGET_ACCOUNT]?.DescribeThingType?.requests ?? 0) - before).toBe(1);
  });
});
