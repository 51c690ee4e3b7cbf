import { IoTClient } from '@aws-sdk/client-iot';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDbAuditTrail, type AuditTrail } from '../audit-trail/audit-trail';
import { nameDeniedPermissions } from '../iot-api/iot-errors';
import { paceIotRequests } from '../migration/iot-request-pacing';
import { S3MigrationObjects, type MigrationObjects } from '../migration/migration-objects';
import { MigrationProgress } from '../migration/migration-progress';
import type { TransferActionDeps } from '../transfer-actions/run-transfer-action';
import { HANDLER_ENVIRONMENT, requiredEnvironment } from './handler-environment';
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
const pacedIot = onFirstUse(() => {
  const quota = Number(requiredEnvironment(HANDLER_ENVIRONMENT.iotRequestsPerSecond));
  if (!(quota > 0))
    throw new MigrationConfigError(`environment variable ${HANDLER_ENVIRONMENT.iotRequestsPerSecond} must be a number above 0`);
  const iot = tracedClient(new IoTClient({}));
  paceIotRequests(iot, quota);
  nameDeniedPermissions(iot, 'iot');
  return iot;
});
const auditTrail = onFirstUse(
  (): AuditTrail => new DynamoDbAuditTrail(dynamoDbClient(), requiredEnvironment(HANDLER_ENVIRONMENT.auditTableName)),
);
const objects = onFirstUse(
  (): MigrationObjects =>
    new S3MigrationObjects(tracedClient(new S3Client({})), requiredEnvironment(HANDLER_ENVIRONMENT.migrationBucketName)),
);
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
