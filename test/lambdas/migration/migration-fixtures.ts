import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { MigrationObjects } from '../../../lambdas/migration/migration-objects';
import { MIGRATION_PROGRESS_KEY, MigrationProgress } from '../../../lambdas/migration/migration-progress';
import { startLocalDynamoDb, type LocalDynamoDb } from '../../../local/dynamodb/local-dynamodb';

export const SOURCE_ACCOUNT = '111111111111';
export const TARGET_ACCOUNT = '222222222222';
export const OTHER_ACCOUNT = '333333333333';
export const MIGRATION_ID = 'eu-fleet-2026_11';
export const RUN_NAME = 'eu-fleet-2026_11-out-1700000000000';
export const EXECUTION_ID = `arn:aws:states:us-east-1:${SOURCE_ACCOUNT}:execution:CertflowSource-Migration:${RUN_NAME}`;

/** The n-th certificate id of a test: 64 lower-case hex characters. */
export function certificateIdOf(n: number): string {
  return `${'c'.repeat(56)}${n.toString(16).padStart(8, '0')}`;
}

export function certificateArnOf(certificateId: string, account = SOURCE_ACCOUNT): string {
  return `arn:aws:iot:us-east-1:${account}:cert/${certificateId}`;
}

/** A migration bucket in memory; what is written is stored as JSON text, as S3 would hold it. */
export class InMemoryMigrationObjects implements MigrationObjects {
  readonly bucket = 'certflow-migration-files';
  readonly files = new Map<string, string>();

  async readJson(key: string): Promise<unknown> {
    const text = this.files.get(key);
    if (text === undefined) throw Object.assign(new Error(`no object ${key}`), { name: 'NoSuchKey' });
    return JSON.parse(text) as unknown;
  }

  async writeJson(key: string, value: unknown): Promise<void> {
    this.files.set(key, JSON.stringify(value));
  }

  /** What a file holds, for assertions; undefined when it was never written. */
  json(key: string): unknown {
    const text = this.files.get(key);
    return text === undefined ? undefined : (JSON.parse(text) as unknown);
  }
}

/**
 * Writes what a Distributed Map's ResultWriter writes: manifest.json naming one
 * SUCCEEDED_0.json (each succeeded batch's Output) and one FAILED_0.json (each failed
 * batch's Input, Error and Cause). Returns the manifest's key.
 */
export async function writeMapRunResults(
  objects: MigrationObjects,
  prefix: string,
  batches: { succeeded?: unknown[][]; failed?: Array<{ items: unknown[]; error: string; cause: string }> },
): Promise<string> {
  const run = `${prefix}/0123abcd-map-run`;
  const succeeded = (batches.succeeded ?? []).map((output, index) => ({
    Name: `batch-${index}`,
    Status: 'SUCCEEDED',
    Input: JSON.stringify({ Items: [], BatchInput: {} }),
    Output: JSON.stringify(output),
  }));
  const failed = (batches.failed ?? []).map((batch, index) => ({
    Name: `failed-batch-${index}`,
    Status: 'FAILED',
    Input: JSON.stringify({ Items: batch.items, BatchInput: { runName: RUN_NAME } }),
    Error: batch.error,
    Cause: batch.cause,
  }));
  await objects.writeJson(`${run}/SUCCEEDED_0.json`, succeeded);
  await objects.writeJson(`${run}/FAILED_0.json`, failed);
  const manifestKey = `${run}/manifest.json`;
  await objects.writeJson(manifestKey, {
    DestinationBucket: objects.bucket,
    MapRunArn: `arn:aws:states:us-east-1:${SOURCE_ACCOUNT}:mapRun:CertflowSource-Migration/${RUN_NAME}:0123abcd`,
    ResultFiles: {
      FAILED: [{ Key: `${run}/FAILED_0.json`, Size: 1 }],
      PENDING: [],
      SUCCEEDED: [{ Key: `${run}/SUCCEEDED_0.json`, Size: 1 }],
    },
  });
  return manifestKey;
}

export interface ProgressTableFixture {
  progress: MigrationProgress;
  dynamodb: DynamoDBClient;
  tableName: string;
  close(): Promise<void>;
}

/** A progress table in an in-memory dynalite, keyed as the MigrationStorage construct keys it. */
export async function progressTableFixture(tableName = 'migration-progress'): Promise<ProgressTableFixture> {
  const dynamo: LocalDynamoDb = await startLocalDynamoDb();
  const dynamodb = new DynamoDBClient({
    endpoint: dynamo.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIA111111111111LOCL', secretAccessKey: 'x' },
  });
  await dynamodb.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: MIGRATION_PROGRESS_KEY, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: MIGRATION_PROGRESS_KEY, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return {
    progress: new MigrationProgress(dynamodb, tableName),
    dynamodb,
    tableName,
    close: async () => {
      dynamodb.destroy();
      await dynamo.close();
    },
  };
}

let runs = 0;

/** A run name no other test of the file uses, so that progress counters start at zero. */
export function freshRunName(): string {
  runs += 1;
  return `${MIGRATION_ID}-out-${1700000000000 + runs}`;
}

/** An error as the AWS SDK throws it: its name is the IoT error name. */
export function iotError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name, $metadata: { requestId: `request-${name}` } });
}
