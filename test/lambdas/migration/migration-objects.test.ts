import { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { migrationKeys, readMapRunResults, runFiles, S3MigrationObjects } from '../../../lambdas/migration/migration-objects';
import { certificateIdOf, InMemoryMigrationObjects, MIGRATION_ID, RUN_NAME, writeMapRunResults } from './migration-fixtures';

const s3 = mockClient(S3Client);
const BUCKET = 'certflow-migration-files';

function objectBody(text: string) {
  return sdkStreamMixin(Readable.from([Buffer.from(text, 'utf8')]));
}

beforeEach(() => s3.reset());

describe('S3MigrationObjects', () => {
  it('writes a value as a JSON object in its bucket', async () => {
    s3.on(PutObjectCommand).resolves({});
    await new S3MigrationObjects(new S3Client({}), BUCKET).writeJson('migrations/m-1/offers.json', {
      certificateIds: [certificateIdOf(1)],
    });
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: BUCKET,
      Key: 'migrations/m-1/offers.json',
      Body: JSON.stringify({ certificateIds: [certificateIdOf(1)] }),
      ContentType: 'application/json',
    });
  });

  it('reads a JSON object back from its bucket', async () => {
    s3.on(GetObjectCommand, { Bucket: BUCKET, Key: 'migrations/m-1/manifest.json' }).resolves({
      Body: objectBody('{"selector":{"status":"INACTIVE"}}'),
    });
    expect(await new S3MigrationObjects(new S3Client({}), BUCKET).readJson('migrations/m-1/manifest.json')).toEqual({
      selector: { status: 'INACTIVE' },
    });
  });

  it('names the object when it is not valid JSON', async () => {
    s3.on(GetObjectCommand).resolves({ Body: objectBody('certificateId\nabc') });
    await expect(new S3MigrationObjects(new S3Client({}), BUCKET).readJson('migrations/m-1/manifest.json')).rejects.toThrow(
      `s3://${BUCKET}/migrations/m-1/manifest.json is not valid JSON`,
    );
  });

  it('lets a missing object fail with the S3 error', async () => {
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' }));
    await expect(new S3MigrationObjects(new S3Client({}), BUCKET).readJson('migrations/m-1/offers.json')).rejects.toMatchObject({
      name: 'NoSuchKey',
    });
  });
});

describe('migration file keys', () => {
  it('keeps each run of a migration under its own prefix, and the manifest and offers beside the runs', () => {
    const files = runFiles(MIGRATION_ID, RUN_NAME);
    const run = `migrations/${MIGRATION_ID}/runs/${RUN_NAME}`;
    expect(files).toEqual({
      plannedOutcomes: `${run}/planned-outcomes.json`,
      inspectedOutcomes: `${run}/inspected-outcomes.json`,
      inspectItems: `${run}/inspect-items.json`,
      transferItems: `${run}/transfer-items.json`,
      answerItems: `${run}/answer-items.json`,
      mapResults: `${run}/map-results`,
      outcomes: `${run}/outcomes.json`,
    });
    expect(migrationKeys.manifest(MIGRATION_ID)).toBe(`migrations/${MIGRATION_ID}/manifest.json`);
    expect(migrationKeys.offers(MIGRATION_ID)).toBe(`migrations/${MIGRATION_ID}/offers.json`);
    expect(runFiles(MIGRATION_ID, `${RUN_NAME}-2`).outcomes).not.toBe(files.outcomes);
  });
});

describe('readMapRunResults', () => {
  it('reads every succeeded batch output and every failed batch input through the ResultWriter manifest', async () => {
    const objects = new InMemoryMigrationObjects();
    const manifestKey = await writeMapRunResults(objects, runFiles(MIGRATION_ID, RUN_NAME).mapResults, {
      succeeded: [
        [
          { certificateId: certificateIdOf(1), outcome: 'OFFERED' },
          { certificateId: certificateIdOf(2), outcome: 'OFFERED' },
        ],
        [{ certificateId: certificateIdOf(3), outcome: 'FAILED' }],
      ],
      failed: [
        {
          items: [{ certificateId: certificateIdOf(4) }, { certificateId: certificateIdOf(5) }],
          error: 'States.TaskFailed',
          cause: 'Lambda timed out',
        },
      ],
    });
    const { results, failedBatches } = await readMapRunResults<{ certificateId: string }, { certificateId: string; outcome: string }>(
      objects,
      manifestKey,
    );
    expect(results.map((result) => [result.certificateId, result.outcome])).toEqual([
      [certificateIdOf(1), 'OFFERED'],
      [certificateIdOf(2), 'OFFERED'],
      [certificateIdOf(3), 'FAILED'],
    ]);
    expect(failedBatches).toEqual([
      {
        items: [{ certificateId: certificateIdOf(4) }, { certificateId: certificateIdOf(5) }],
        error: 'States.TaskFailed',
        cause: 'Lambda timed out',
      },
    ]);
  });

  it('reads the batches still PENDING when the map run ended as failed ones', async () => {
    const objects = new InMemoryMigrationObjects();
    await objects.writeJson('results/PENDING_0.json', [{ Input: JSON.stringify({ Items: [{ certificateId: certificateIdOf(6) }] }) }]);
    await objects.writeJson('results/manifest.json', { ResultFiles: { PENDING: [{ Key: 'results/PENDING_0.json' }] } });
    expect(await readMapRunResults(objects, 'results/manifest.json')).toEqual({
      results: [],
      failedBatches: [{ items: [{ certificateId: certificateIdOf(6) }], error: 'States.Unknown', cause: '' }],
    });
  });

  it('reads nothing from a manifest without result files', async () => {
    const objects = new InMemoryMigrationObjects();
    await objects.writeJson('results/manifest.json', { DestinationBucket: objects.bucket });
    expect(await readMapRunResults(objects, 'results/manifest.json')).toEqual({ results: [], failedBatches: [] });
  });
});
