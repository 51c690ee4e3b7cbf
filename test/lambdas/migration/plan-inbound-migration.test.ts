import { IoTClient, ListCertificatesCommand, type Certificate } from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { CertificateOutcome } from '../../../lambdas/migration/certificate-outcome';
import { migrationKeys, runFiles } from '../../../lambdas/migration/migration-objects';
import {
  parseMigrationOffers,
  planInboundMigration,
  type InboundMigrationRequest,
} from '../../../lambdas/migration/plan-inbound-migration';
import {
  certificateArnOf,
  certificateIdOf,
  freshRunName,
  iotError,
  InMemoryMigrationObjects,
  MIGRATION_ID,
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
beforeEach(() => iot.reset());

function listed(n: number, status: string): Certificate {
  return {
    certificateId: certificateIdOf(n),
    certificateArn: certificateArnOf(certificateIdOf(n), TARGET_ACCOUNT),
    status: status as Certificate['status'],
  };
}

function request(runName: string): InboundMigrationRequest {
  return {
    migrationId: MIGRATION_ID,
    runName,
    executionId: `arn:aws:states:us-east-1:${TARGET_ACCOUNT}:execution:CertflowTarget-Migration:${runName}`,
    requestedBy: 'alice',
    reason: null,
  };
}

async function planInbound(offered: unknown[], certificates: Certificate[]) {
  const runName = freshRunName();
  const objects = new InMemoryMigrationObjects();
  await objects.writeJson(migrationKeys.offers(MIGRATION_ID), { sourceAwsAccount: SOURCE_ACCOUNT, certificateIds: offered });
  iot.on(ListCertificatesCommand).resolves({ certificates });
  const result = await planInboundMigration({ iot: new IoTClient({}), objects, progress: table.progress }, request(runName));
  const files = runFiles(MIGRATION_ID, runName);
  return {
    ...result,
    runName,
    files,
    toAnswer: objects.json(files.answerItems),
    settled: objects.json(files.plannedOutcomes) as CertificateOutcome[],
  };
}

describe('planInboundMigration', () => {
  it('answers the offered certificates pending here, settles those an earlier run accepted, and fails those that never arrived', async () => {
    const { toAnswer, settled } = await planInbound([1, 2, 3, 4, 5].map(certificateIdOf), [
      listed(1, 'PENDING_TRANSFER'),
      listed(2, 'ACTIVE'),
      listed(3, 'INACTIVE'),
      listed(5, 'REVOKED'),
      listed(6, 'PENDING_TRANSFER'),
    ]);
    expect(toAnswer).toEqual([{ certificateId: certificateIdOf(1) }]);
    expect(settled).toEqual([
      { certificateId: certificateIdOf(2), outcome: 'ALREADY_ACCEPTED', previousStatus: 'ACTIVE' },
      { certificateId: certificateIdOf(3), outcome: 'ALREADY_ACCEPTED', previousStatus: 'INACTIVE' },
      {
        certificateId: certificateIdOf(4),
        outcome: 'FAILED',
        errorName: 'NotOffered',
        errorMessage: 'no pending transfer of this certificate reached this account',
      },
      {
        certificateId: certificateIdOf(5),
        outcome: 'FAILED',
        errorName: 'NotOffered',
        errorMessage: 'no pending transfer of this certificate reached this account',
        previousStatus: 'REVOKED',
      },
    ]);
  });

  it('summarizes for the target approvers the certificates to answer, and counts the settled ones beside them', async () => {
    const { plan } = await planInbound([1, 2, 3, 4].map(certificateIdOf), [
      listed(1, 'PENDING_TRANSFER'),
      listed(2, 'PENDING_TRANSFER'),
      listed(3, 'INACTIVE'),
    ]);
    expect(plan.sourceAwsAccount).toBe(SOURCE_ACCOUNT);
    expect(plan.summary).toEqual({
      migrationId: MIGRATION_ID,
      certificateCount: 2,
      statusCounts: { PENDING_TRANSFER: 2 },
      withPolicies: 0,
      withThings: 0,
      toDeactivate: 0,
      alreadyDone: 1,
      notTransferable: 1,
      sampleCertificateIds: [certificateIdOf(1), certificateIdOf(2)],
      // The page offers the full list of what the approval covers: the offers to answer.
      certificateListKey: plan.itemsKey,
    });
    expect(plan.itemsKey).toMatch(new RegExp(`^migrations/${MIGRATION_ID}/`));
  });

  it('samples at most 20 certificates to answer', async () => {
    const numbers = Array.from({ length: 30 }, (_, index) => index + 1);
    const { plan } = await planInbound(
      numbers.map(certificateIdOf),
      numbers.map((n) => listed(n, 'PENDING_TRANSFER')),
    );
    expect(plan.summary.sampleCertificateIds).toEqual(numbers.slice(0, 20).map(certificateIdOf));
    expect(plan.itemCount).toBe(30);
  });

  it('writes the items and the settled outcomes to the run files, and sets the answer total', async () => {
    const { plan, files, runName, request: carried } = await planInbound([1, 2].map(certificateIdOf), [listed(1, 'PENDING_TRANSFER')]);
    expect(plan).toMatchObject({
      itemsKey: files.answerItems,
      itemCount: 1,
      settledKey: files.plannedOutcomes,
      mapResultsPrefix: files.mapResults,
    });
    expect(carried).toEqual(request(runName));
    expect(await table.progress.read(runName)).toEqual({ answer: { total: 1, done: 0, failed: 0 } });
  });

  it('matches upper-case offered ids to the listed certificates', async () => {
    const { toAnswer } = await planInbound([certificateIdOf(1).toUpperCase()], [listed(1, 'PENDING_TRANSFER')]);
    expect(toAnswer).toEqual([{ certificateId: certificateIdOf(1) }]);
  });

  it('fails the step with the IoT error name when listing fails', async () => {
    const objects = new InMemoryMigrationObjects();
    await objects.writeJson(migrationKeys.offers(MIGRATION_ID), { sourceAwsAccount: SOURCE_ACCOUNT, certificateIds: [certificateIdOf(1)] });
    iot.on(ListCertificatesCommand).rejects(iotError('InternalFailureException'));
    await expect(
      planInboundMigration({ iot: new IoTClient({}), objects, progress: table.progress }, request(freshRunName())),
    ).rejects.toMatchObject({ name: 'InternalFailureException', retryable: true });
  });
});

describe('parseMigrationOffers', () => {
  it('reads the source account and the lower-cased certificate ids', () => {
    expect(parseMigrationOffers({ sourceAwsAccount: SOURCE_ACCOUNT, certificateIds: [certificateIdOf(1).toUpperCase()] })).toEqual({
      sourceAwsAccount: SOURCE_ACCOUNT,
      certificateIds: [certificateIdOf(1)],
    });
  });

  it.each([
    ['is not an object', 'offers', [certificateIdOf(1)]],
    ['has no list of ids', 'offers.certificateIds', { sourceAwsAccount: SOURCE_ACCOUNT }],
    ['names no source account', 'offers.sourceAwsAccount', { certificateIds: [] }],
    ['has a bad second id', 'offers.certificateIds[1]', { sourceAwsAccount: SOURCE_ACCOUNT, certificateIds: [certificateIdOf(1), 'abc'] }],
  ])('refuses offers that %s, naming %s', (_case, field, value) => {
    expect(() => parseMigrationOffers(value)).toThrow(expect.objectContaining({ name: 'ValidationError', field }));
  });
});
