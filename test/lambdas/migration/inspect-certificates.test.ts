import { IoTClient, ListAttachedPoliciesCommand, ListPrincipalThingsCommand } from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { CertificateOutcome } from '../../../lambdas/migration/certificate-outcome';
import {
  inspectCertificates,
  summarizeInspection,
  type CertificateToTransfer,
  type InspectionResult,
} from '../../../lambdas/migration/inspect-certificates';
import { runFiles } from '../../../lambdas/migration/migration-objects';
import { MigrationProgress } from '../../../lambdas/migration/migration-progress';
import type { CertificateToInspect, MigrationPlan } from '../../../lambdas/migration/plan-outbound-migration';
import {
  certificateArnOf,
  certificateIdOf,
  freshRunName,
  iotError,
  InMemoryMigrationObjects,
  MIGRATION_ID,
  progressTableFixture,
  writeMapRunResults,
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
  iot.on(ListAttachedPoliciesCommand).resolves({ policies: [] });
  iot.on(ListPrincipalThingsCommand).resolves({ things: [] });
  // The item retries wait a random share of their backoff: none, here.
  jest.spyOn(Math, 'random').mockReturnValue(0);
});
afterEach(() => jest.restoreAllMocks());

function toInspect(n: number, status = 'INACTIVE'): CertificateToInspect {
  return { certificateId: certificateIdOf(n), certificateArn: certificateArnOf(certificateIdOf(n)), status };
}

function toTransfer(n: number, status: string, policies: string[] = [], thingCount = 0): CertificateToTransfer {
  return { ...toInspect(n, status), policies, thingCount };
}

describe('inspectCertificates', () => {
  it('lists the policies and things of each certificate by its ARN', async () => {
    iot
      .on(ListAttachedPoliciesCommand, { target: certificateArnOf(certificateIdOf(1)) })
      .resolves({ policies: [{ policyName: 'fleet' }, { policyName: 'telemetry' }] });
    iot
      .on(ListPrincipalThingsCommand, { principal: certificateArnOf(certificateIdOf(1)) })
      .resolves({ things: ['pump-1', 'pump-2', 'pump-3'] });
    const results = await inspectCertificates(
      { iot: new IoTClient({}), progress: table.progress },
      { runName: freshRunName(), items: [toInspect(1, 'ACTIVE'), toInspect(2)] },
    );
    expect(results).toEqual([
      { kind: 'INSPECTED', ...toTransfer(1, 'ACTIVE', ['fleet', 'telemetry'], 3) },
      { kind: 'INSPECTED', ...toTransfer(2, 'INACTIVE') },
    ]);
  });

  it('follows the pages of policies and things', async () => {
    iot.on(ListAttachedPoliciesCommand).resolves({ policies: [{ policyName: 'p1' }], nextMarker: 'bmV4dA==' });
    iot.on(ListAttachedPoliciesCommand, { marker: 'bmV4dA==' }).resolves({ policies: [{ policyName: 'p2' }] });
    iot.on(ListPrincipalThingsCommand).resolves({ things: ['t1'], nextToken: 'more' });
    iot.on(ListPrincipalThingsCommand, { nextToken: 'more' }).resolves({ things: ['t2'] });
    const [result] = await inspectCertificates(
      { iot: new IoTClient({}), progress: table.progress },
      { runName: freshRunName(), items: [toInspect(1)] },
    );
    expect(result).toMatchObject({ kind: 'INSPECTED', policies: ['p1', 'p2'], thingCount: 2 });
  });

  it('settles a certificate deleted during the migration as CertificateNotFound, and goes on', async () => {
    iot
      .on(ListAttachedPoliciesCommand, { target: certificateArnOf(certificateIdOf(1)) })
      .rejects(iotError('ResourceNotFoundException', 'no such certificate'));
    const results = await inspectCertificates(
      { iot: new IoTClient({}), progress: table.progress },
      { runName: freshRunName(), items: [toInspect(1, 'ACTIVE'), toInspect(2)] },
    );
    expect(results).toEqual([
      {
        kind: 'SETTLED',
        certificateId: certificateIdOf(1),
        outcome: 'FAILED',
        errorName: 'CertificateNotFound',
        errorMessage: 'the certificate was deleted during the migration',
        previousStatus: 'ACTIVE',
      },
      { kind: 'INSPECTED', ...toTransfer(2, 'INACTIVE') },
    ]);
  });

  it('retries a throttled listing within the batch', async () => {
    iot
      .on(ListAttachedPoliciesCommand)
      .rejectsOnce(iotError('ThrottlingException'))
      .resolves({ policies: [{ policyName: 'fleet' }] });
    const [result] = await inspectCertificates(
      { iot: new IoTClient({}), progress: table.progress },
      { runName: freshRunName(), items: [toInspect(1)] },
    );
    expect(result).toMatchObject({ kind: 'INSPECTED', policies: ['fleet'] });
    expect(iot).toHaveReceivedCommandTimes(ListAttachedPoliciesCommand, 2);
  });

  it('fails the whole batch, uncounted, on an error that is neither retryable in time nor a missing certificate', async () => {
    const runName = freshRunName();
    await table.progress.setTotal(runName, 'inspect', 2);
    iot
      .on(ListPrincipalThingsCommand, { principal: certificateArnOf(certificateIdOf(2)) })
      .rejects(iotError('UnauthorizedException', 'not allowed'));
    await expect(
      inspectCertificates({ iot: new IoTClient({}), progress: table.progress }, { runName, items: [toInspect(1), toInspect(2)] }),
    ).rejects.toMatchObject({
      name: 'UnauthorizedException',
      retryable: false,
    });
    expect(await table.progress.read(runName)).toEqual({ inspect: { total: 2, done: 0, failed: 0 } });
  });

  it('fails the batch with a retryable error once the item retries are spent', async () => {
    iot.on(ListAttachedPoliciesCommand).rejects(iotError('ServiceUnavailableException'));
    await expect(
      inspectCertificates({ iot: new IoTClient({}), progress: table.progress }, { runName: freshRunName(), items: [toInspect(1)] }),
    ).rejects.toMatchObject({
      name: 'ServiceUnavailableException',
      retryable: true,
    });
    expect(iot).toHaveReceivedCommandTimes(ListAttachedPoliciesCommand, 5);
  });

  it('counts the batch once in the inspect progress, even when the workflow runs it again', async () => {
    const runName = freshRunName();
    await table.progress.setTotal(runName, 'inspect', 3);
    iot.on(ListAttachedPoliciesCommand, { target: certificateArnOf(certificateIdOf(3)) }).rejects(iotError('ResourceNotFoundException'));
    const batch = { runName, items: [toInspect(1), toInspect(2), toInspect(3)] };
    await inspectCertificates({ iot: new IoTClient({}), progress: table.progress }, batch);
    await inspectCertificates({ iot: new IoTClient({}), progress: table.progress }, batch);
    expect(await table.progress.read(runName)).toEqual({ inspect: { total: 3, done: 2, failed: 1 } });
  });

  it('returns its results when its progress cannot be counted: the counters only show progress', async () => {
    const unreachable = new MigrationProgress(table.dynamodb, 'no-such-progress-table');
    const results = await inspectCertificates(
      { iot: new IoTClient({}), progress: unreachable },
      { runName: freshRunName(), items: [toInspect(1)] },
    );
    expect(results).toEqual([{ kind: 'INSPECTED', ...toTransfer(1, 'INACTIVE') }]);
  });
});

describe('summarizeInspection', () => {
  async function summarize(options: {
    settled?: CertificateOutcome[];
    succeeded?: InspectionResult[][];
    failed?: Array<{ items: CertificateToInspect[]; error: string; cause: string }>;
    certificateCount?: number;
    /** The workflow skipped the inspect map: nothing was left to inspect. */
    inspectionSkipped?: boolean;
  }) {
    const runName = freshRunName();
    const files = runFiles(MIGRATION_ID, runName);
    const objects = new InMemoryMigrationObjects();
    await objects.writeJson(files.plannedOutcomes, options.settled ?? []);
    const inspectionManifestKey = options.inspectionSkipped
      ? null
      : await writeMapRunResults(objects, files.mapResults, { succeeded: options.succeeded, failed: options.failed });
    const plan: MigrationPlan = {
      certificateCount: options.certificateCount ?? 10,
      duplicateCount: 0,
      itemsKey: files.inspectItems,
      itemCount: 0,
      settledKey: files.plannedOutcomes,
      settledCount: (options.settled ?? []).length,
      mapResultsPrefix: files.mapResults,
    };
    const result = await summarizeInspection(
      { objects, progress: table.progress },
      { migrationId: MIGRATION_ID, runName, plan, inspectionManifestKey },
    );
    return { result, objects, files, runName };
  }

  const inspected = (item: CertificateToTransfer): InspectionResult => ({ kind: 'INSPECTED', ...item });

  it('summarizes for the approvers the certificates to transfer, and counts the settled ones and the failed batches beside them', async () => {
    const { result } = await summarize({
      certificateCount: 9,
      settled: [
        { certificateId: certificateIdOf(10), outcome: 'ALREADY_OFFERED', previousStatus: 'PENDING_TRANSFER' },
        { certificateId: certificateIdOf(11), outcome: 'ALREADY_TRANSFERRED' },
        {
          certificateId: certificateIdOf(12),
          outcome: 'FAILED',
          errorName: 'CertificateNotTransferable',
          errorMessage: 'REVOKED',
          previousStatus: 'REVOKED',
        },
      ],
      succeeded: [
        [inspected(toTransfer(1, 'ACTIVE', ['fleet'], 2)), inspected(toTransfer(2, 'INACTIVE', [], 1))],
        [
          inspected(toTransfer(3, 'ACTIVE')),
          {
            kind: 'SETTLED',
            certificateId: certificateIdOf(4),
            outcome: 'FAILED',
            errorName: 'CertificateNotFound',
            errorMessage: 'deleted',
            previousStatus: 'INACTIVE',
          },
        ],
      ],
      failed: [{ items: [toInspect(5)], error: 'UnauthorizedException', cause: 'not allowed' }],
    });
    // The approval covers the certificates it lets the workflow change; the settled ones are counted beside them.
    expect(result.summary).toEqual({
      migrationId: MIGRATION_ID,
      certificateCount: 3,
      statusCounts: { ACTIVE: 2, INACTIVE: 1 },
      withPolicies: 1,
      withThings: 2,
      toDeactivate: 2,
      alreadyDone: 2,
      notTransferable: 3,
      sampleCertificateIds: [certificateIdOf(1), certificateIdOf(2), certificateIdOf(3)],
      // The page offers the full list of what the approval covers: the certificates to transfer.
      certificateListKey: result.itemsKey,
    });
    expect(result.itemsKey).toMatch(new RegExp(`^migrations/${MIGRATION_ID}/`));
    expect(result.itemCount).toBe(3);
  });

  it('writes the certificates to transfer, without their kind, and every settled outcome, and sets the transfer total', async () => {
    const settledBefore: CertificateOutcome = { certificateId: certificateIdOf(10), outcome: 'ALREADY_TRANSFERRED' };
    const { result, objects, files, runName } = await summarize({
      settled: [settledBefore],
      succeeded: [
        [
          inspected(toTransfer(1, 'ACTIVE', ['fleet'], 2)),
          {
            kind: 'SETTLED',
            certificateId: certificateIdOf(4),
            outcome: 'FAILED',
            errorName: 'CertificateNotFound',
            errorMessage: 'deleted',
          },
        ],
      ],
      failed: [{ items: [toInspect(5), toInspect(6)], error: 'States.TaskFailed', cause: 'x'.repeat(600) }],
    });
    expect(result).toMatchObject({ itemsKey: files.transferItems, settledKey: files.inspectedOutcomes, itemCount: 1 });
    expect(objects.json(files.transferItems)).toEqual([toTransfer(1, 'ACTIVE', ['fleet'], 2)]);
    const settled = objects.json(files.inspectedOutcomes) as CertificateOutcome[];
    expect(settled.map((outcome) => [outcome.certificateId, outcome.outcome, outcome.errorName])).toEqual([
      [certificateIdOf(10), 'ALREADY_TRANSFERRED', undefined],
      [certificateIdOf(4), 'FAILED', 'CertificateNotFound'],
      [certificateIdOf(5), 'FAILED', 'States.TaskFailed'],
      [certificateIdOf(6), 'FAILED', 'States.TaskFailed'],
    ]);
    expect(settled[2]?.errorMessage).toMatch(/^inspection failed: x+$/);
    expect(settled[2]?.errorMessage).toHaveLength(512);
    expect(settled[2]?.previousStatus).toBe('INACTIVE');
    expect(await table.progress.read(runName)).toEqual({ transfer: { total: 1, done: 0, failed: 0 } });
  });

  it('keeps the plan file as it was, so a retried summary reads the same plan', async () => {
    const settledBefore: CertificateOutcome[] = [{ certificateId: certificateIdOf(10), outcome: 'ALREADY_TRANSFERRED' }];
    const { objects, files } = await summarize({
      settled: settledBefore,
      succeeded: [
        [
          {
            kind: 'SETTLED',
            certificateId: certificateIdOf(4),
            outcome: 'FAILED',
            errorName: 'CertificateNotFound',
            errorMessage: 'deleted',
          },
        ],
      ],
    });
    expect(objects.json(files.plannedOutcomes)).toEqual(settledBefore);
  });

  it('samples at most 20 certificates to transfer', async () => {
    const many = Array.from({ length: 25 }, (_, index) => inspected(toTransfer(index + 1, 'INACTIVE')));
    const { result } = await summarize({ succeeded: [many.slice(0, 12), many.slice(12)] });
    expect(result.summary.sampleCertificateIds).toEqual(Array.from({ length: 20 }, (_, index) => certificateIdOf(index + 1)));
    expect(result.itemCount).toBe(25);
  });

  it('has nothing to transfer when every certificate was settled', async () => {
    const { result, objects, files } = await summarize({
      settled: [{ certificateId: certificateIdOf(1), outcome: 'ALREADY_OFFERED', previousStatus: 'PENDING_TRANSFER' }],
    });
    expect(result.itemCount).toBe(0);
    expect(objects.json(files.transferItems)).toEqual([]);
    expect(result.summary).toMatchObject({ alreadyDone: 1, notTransferable: 0, toDeactivate: 0, sampleCertificateIds: [] });
  });

  it('takes a skipped inspection (no results manifest) as no results: the plan settled everything', async () => {
    const settled: CertificateOutcome[] = [
      { certificateId: certificateIdOf(1), outcome: 'ALREADY_OFFERED', previousStatus: 'PENDING_TRANSFER' },
      {
        certificateId: certificateIdOf(2),
        outcome: 'FAILED',
        errorName: 'CertificateNotFound',
        errorMessage: 'the certificate is not in this account',
      },
    ];
    const { result, objects, files, runName } = await summarize({ settled, inspectionSkipped: true });
    expect(result).toEqual({
      summary: expect.objectContaining({
        certificateCount: 0,
        alreadyDone: 1,
        notTransferable: 1,
        statusCounts: {},
        sampleCertificateIds: [],
      }),
      itemsKey: files.transferItems,
      itemCount: 0,
      settledKey: files.inspectedOutcomes,
    });
    expect(objects.json(files.transferItems)).toEqual([]);
    expect(objects.json(files.inspectedOutcomes)).toEqual(settled);
    expect(await table.progress.read(runName)).toEqual({ transfer: { total: 0, done: 0, failed: 0 } });
  });
});
