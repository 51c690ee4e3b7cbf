import { CreatePolicyCommand, type IoTClient } from '@aws-sdk/client-iot';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { exchangeKeys } from '../../../lambdas/cross-account/exchange-objects';
import type { MigrationExchangeStore } from '../../../lambdas/cross-account/migration-exchange-store';
import { targetRunNameOf, type ExchangeObject } from '../../../lambdas/cross-account/migration-messages';
import type { LandingConfig } from '../../../lambdas/landing/plan-landing';
import {
  inboundRunFiles,
  parseCertificateList,
  planInboundMigration,
  type InboundMigrationPlanRequest,
} from '../../../lambdas/migration/plan-inbound-migration';
import { startIotFixture, type IotEndpointFixture } from '../../local/iot/iot-endpoint-fixture';
import { proposalTableFixture, type ProposalTableFixture } from '../cross-account/proposal-table-fixture';
import {
  certificateIdOf,
  freshRunName,
  MIGRATION_ID,
  progressTableFixture,
  SOURCE_ACCOUNT,
  TARGET_ACCOUNT,
  type ProgressTableFixture,
} from './migration-fixtures';
import {
  migrationBucketsFixture,
  proposalOf,
  publishCertificateList,
  recordTargetRun,
  REGION,
  SOURCE_BUCKET,
  targetExecutionIdOf,
  type MigrationBucketsFixture,
} from './target-migration-fixture';

const LANDING: LandingConfig = {
  policies: ['fleet-base'],
  policyNameMap: { 'sensor-policy': 'eu-sensor-policy', legacy: '' },
  recreateThings: true,
};

let tables: ProposalTableFixture;
let progress: ProgressTableFixture;
let buckets: MigrationBucketsFixture;
let iotFixture: IotEndpointFixture;
let targetIot: IoTClient;

beforeAll(async () => {
  [tables, progress, buckets, iotFixture] = await Promise.all([
    proposalTableFixture(),
    progressTableFixture(),
    migrationBucketsFixture(),
    startIotFixture(),
  ]);
  targetIot = iotFixture.client(TARGET_ACCOUNT);
  for (const policyName of ['fleet-base', 'eu-sensor-policy', 'door-policy']) {
    await targetIot.send(new CreatePolicyCommand({ policyName, policyDocument: '{"Version":"2012-10-17","Statement":[]}' }));
  }
});
afterAll(() => Promise.all([tables.close(), progress.close(), buckets.close(), iotFixture.close()]));

function requestFor(sourceRunName: string): InboundMigrationPlanRequest {
  return {
    migrationId: MIGRATION_ID,
    sourceRunName,
    runName: targetRunNameOf(sourceRunName),
    executionId: targetExecutionIdOf(sourceRunName),
  };
}

async function planWith(store: MigrationExchangeStore, request: InboundMigrationPlanRequest, landingConfig = LANDING) {
  return planInboundMigration(
    {
      store,
      s3: buckets.exchangeReader,
      objects: buckets.targetObjects,
      iot: targetIot,
      progress: progress.progress,
      landingConfig,
      region: REGION,
    },
    request,
  );
}

/** A proposed run of `ids`, recorded as the receiver records it; `change` overrides the proposal. */
async function proposedRun(ids: string[], change: Parameters<typeof proposalOf>[2] = {}, list?: ExchangeObject) {
  const sourceRunName = freshRunName();
  const store = await tables.newMigrationStore();
  const certificateList = list ?? (await publishCertificateList(buckets, sourceRunName, ids));
  const proposal = proposalOf(sourceRunName, certificateList, { certificateCount: ids.length, ...change });
  await recordTargetRun(store, proposal);
  return { store, sourceRunName, proposal, request: requestFor(sourceRunName) };
}

function getPolicyRequests(): number {
  return iotFixture.endpoint.stats().accounts[TARGET_ACCOUNT]?.GetPolicy?.requests ?? 0;
}

describe('planInboundMigration', () => {
  it('cuts the checked certificate list into the batches, counts the landing and says what the target approvers decide on', async () => {
    const ids = [1, 2, 3].map(certificateIdOf);
    const { store, request } = await proposedRun(ids, { policies: { 'sensor-policy': 2, 'door-policy': 1, legacy: 3, unused: 0 } });
    const before = getPolicyRequests();

    const { plan } = await planWith(store, request);

    const files = inboundRunFiles(MIGRATION_ID, request.runName);
    expect(await buckets.targetObjects.readJson(files.batches)).toEqual([
      { batch: 0, certificateIds: [ids[0], ids[1]] },
      { batch: 1, certificateIds: [ids[2]] },
    ]);
    expect(await buckets.targetObjects.readJson(files.certificates)).toEqual(ids.map((certificateId) => ({ certificateId })));
    expect(await progress.progress.read(request.runName)).toEqual({ land: { total: 3, done: 0, failed: 0 } });
    expect(plan).toEqual({
      batchesKey: files.batches,
      batchCount: 2,
      certificateCount: 3,
      mapResultsPrefix: files.mapResults,
      activeCount: 1,
      sourceAwsAccount: SOURCE_ACCOUNT,
      requestedBy: 'alice@example.com',
      reason: 'consolidate the EU fleet',
      sourceApprovedBy: 'bob@example.com',
      summary: {
        migrationId: MIGRATION_ID,
        certificateCount: 3,
        statusCounts: { ACTIVE: 1, INACTIVE: 2 },
        withPolicies: 0,
        withThings: 0,
        toDeactivate: 1,
        alreadyDone: 0,
        notTransferable: 0,
        sampleCertificateIds: ids,
        certificateListKey: files.certificates,
        landingPolicies: ['door-policy', 'eu-sensor-policy', 'fleet-base'],
        sourcePolicies: { 'sensor-policy': 2, 'door-policy': 1, legacy: 3, unused: 0 },
        recreateThings: true,
      },
    });
    // Once per policy the migration can attach here, not once per certificate.
    expect(getPolicyRequests() - before).toBe(3);
  });

  it('refuses with LandingNotPossible, naming every missing policy, before anything is written', async () => {
    const { store, request } = await proposedRun([certificateIdOf(1)], { policies: { 'sensor-policy': 1, 'valve-policy': 1 } });
    const landing = { ...LANDING, policies: ['fleet-base', 'audit-policy'] };
    const refused = planWith(store, request, landing);
    await expect(refused).rejects.toMatchObject({ name: 'LandingNotPossible' });
    await expect(refused).rejects.toThrow(/policy audit-policy does not exist.*policy valve-policy does not exist/);
    await expect(buckets.targetObjects.readJson(inboundRunFiles(MIGRATION_ID, request.runName).batches)).rejects.toMatchObject({
      name: 'NoSuchKey',
    });
    expect(await progress.progress.read(request.runName)).toEqual({});
  });

  it('refuses a certificate list whose bytes are not those the proposal gave the SHA-256 of', async () => {
    const ids = [certificateIdOf(1)];
    const { store, sourceRunName, request } = await proposedRun(ids);
    // The source's list changed after the proposal was sent.
    await buckets.sourceS3.send(
      new PutObjectCommand({
        Bucket: SOURCE_BUCKET,
        Key: exchangeKeys.certificateList(MIGRATION_ID, sourceRunName),
        Body: JSON.stringify({ migrationId: MIGRATION_ID, certificateIds: [certificateIdOf(9)] }),
      }),
    );
    await expect(planWith(store, request)).rejects.toMatchObject({
      name: 'InvalidMigrationProposal',
      cause: expect.objectContaining({ name: 'ExchangeObjectMismatch' }),
    });
  });

  it("refuses a certificate list in another bucket than the source account's migration bucket", async () => {
    const ids = [certificateIdOf(1)];
    const sourceRunName = freshRunName();
    const published = await publishCertificateList(buckets, sourceRunName, ids);
    const { store, request } = await proposedRun(ids, {}, { ...published, bucket: 'certflow-migrations-333333333333-us-east-1' });
    await expect(planWith(store, request)).rejects.toMatchObject({
      name: 'InvalidMigrationProposal',
      message: expect.stringContaining("not the peer's migration bucket"),
    });
  });

  it('names the missing run record, and refuses an execution the receiver did not start', async () => {
    const store = await tables.newMigrationStore();
    await expect(planWith(store, requestFor(freshRunName()))).rejects.toMatchObject({ name: 'MigrationRunNotFound' });
    const { store: recorded, request } = await proposedRun([certificateIdOf(1)]);
    await expect(planWith(recorded, { ...request, executionId: `${request.executionId}-forged` })).rejects.toMatchObject({
      name: 'UnverifiedMessage',
    });
  });
});

describe('parseCertificateList', () => {
  const proposal = { migrationId: MIGRATION_ID, certificateCount: 2 };

  it('reads the ids, lower-cased', () => {
    expect(
      parseCertificateList({ migrationId: MIGRATION_ID, certificateIds: [certificateIdOf(1), certificateIdOf(2).toUpperCase()] }, proposal),
    ).toEqual([certificateIdOf(1), certificateIdOf(2)]);
  });

  it.each([
    [
      'another migration',
      { migrationId: 'other', certificateIds: [certificateIdOf(1), certificateIdOf(2)] },
      'certificateList.migrationId',
    ],
    ['fewer ids than counted', { migrationId: MIGRATION_ID, certificateIds: [certificateIdOf(1)] }, 'certificateList.certificateIds'],
    [
      'more ids than counted',
      { migrationId: MIGRATION_ID, certificateIds: [1, 2, 3].map(certificateIdOf) },
      'certificateList.certificateIds',
    ],
    [
      'a repeated id',
      { migrationId: MIGRATION_ID, certificateIds: [certificateIdOf(1), certificateIdOf(1)] },
      'certificateList.certificateIds[1]',
    ],
    ['an invalid id', { migrationId: MIGRATION_ID, certificateIds: [certificateIdOf(1), 'xyz'] }, 'certificateList.certificateIds[1]'],
  ])('refuses a list with %s, naming the field', (_case, list, field) => {
    expect(() => parseCertificateList(list, proposal)).toThrow(expect.objectContaining({ name: 'ValidationError', field }));
  });
});
