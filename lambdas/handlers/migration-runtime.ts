import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDbAuditTrail, type AuditTrail } from '../audit-trail/audit-trail';
import { nameDeniedPermissions } from '../iot-api/iot-errors';
import { S3MigrationObjects, type MigrationObjects } from '../migration/migration-objects';
import { MigrationProgress } from '../migration/migration-progress';
import type { TransferActionDeps } from '../transfer-actions/run-transfer-action';
import { HANDLER_ENVIRONMENT, requiredEnvironment } from './handler-environment';
import { pacedIotClientFromEnvironment } from './paced-iot-client';
import { dynamoDbClient, tracedClient } from './lambda-runtime';

export interface MigrationStepDeps extends TransferActionDeps {
  objects: MigrationObjects;
  progress: MigrationProgress;
}

export class MigrationConfigError extends Error {
  override readonly name = 'MigrationConfigError';
}

/** Creates the value on first call and returns that same value ever after. */
function onFirstUse<Value>(create: () => Value): () => Value {
  let created: { value: Value } | undefined;
  return () => (created ??= { value: create() }).value;
}

// The migration steps share one IoT client per container, paced to the account's quota
// (not lambda-runtime's unpaced one), so the pacers see every request of the container.
const pacedIot = onFirstUse(pacedIotClientFromEnvironment);

const auditTrail = onFirstUse(
  (): AuditTrail => new DynamoDbAuditTrail(dynamoDbClient(), requiredEnvironment(HANDLER_ENVIRONMENT.auditTableName)),
);
const s3 = onFirstUse(() => {
  const client = tracedClient(new S3Client({}));
  nameDeniedPermissions(client, 's3');
  return client;
});
const objects = onFirstUse(
  (): MigrationObjects => new S3MigrationObjects(s3(), requiredEnvironment(HANDLER_ENVIRONMENT.migrationBucketName)),
);

/** The S3 client of the migration steps (their files, this side's and the peer's exchange objects), created on first use. */
export function migrationS3(): S3Client {
  return s3();
}

export function migrationBucketNameFromEnvironment(): string {
  return requiredEnvironment(HANDLER_ENVIRONMENT.migrationBucketName);
}

export function migrationBatchSize(): number {
  const size = Number(requiredEnvironment(HANDLER_ENVIRONMENT.migrationBatchSize));
  if (!Number.isInteger(size) || size < 1)
    throw new MigrationConfigError(`environment variable ${HANDLER_ENVIRONMENT.migrationBatchSize} must be a whole number above 0`);
  return size;
}
const progress = onFirstUse(
  () => new MigrationProgress(dynamoDbClient(), requiredEnvironment(HANDLER_ENVIRONMENT.migrationProgressTableName)),
);

let deps: MigrationStepDeps | undefined;

/**
 * What a migration step uses: an IoT client paced to the account's quota, the migration
 * bucket, the progress table and the audit trail. Each client is created when the step
 * first uses it, once per container: the summarize step, which reads and writes only
 * migration files and progress, never creates an IoT client.
 */
export function migrationStepDeps(): MigrationStepDeps {
  deps ??= {
    get iot() {
      return pacedIot();
    },
    get auditTrail() {
      return auditTrail();
    },
    get objects() {
      return objects();
    },
    get progress() {
      return progress();
    },
    accountId: requiredEnvironment(HANDLER_ENVIRONMENT.accountId),
  };
  return deps;
}
