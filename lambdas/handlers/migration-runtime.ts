import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTClient } from '@aws-sdk/client-iot';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDbAuditTrail } from '../audit-trail/audit-trail';
import { paceIotRequests } from '../migration/iot-request-pacing';
import { S3MigrationObjects, type MigrationObjects } from '../migration/migration-objects';
import { MigrationProgress } from '../migration/migration-progress';
import type { TransferActionDeps } from '../transfer-actions/run-transfer-action';
import { HANDLER_ENVIRONMENT, requiredEnvironment } from './handler-environment';

export interface MigrationStepDeps extends TransferActionDeps {
  objects: MigrationObjects;
  progress: MigrationProgress;
}

let deps: MigrationStepDeps | undefined;

/**
 * The clients a migration step uses, created once per container: an IoT client paced to
 * the account's quota, the migration bucket, the progress table and the audit trail.
 */
export function migrationStepDeps(): MigrationStepDeps {
  if (!deps) {
    const quota = Number(requiredEnvironment(HANDLER_ENVIRONMENT.iotRequestsPerSecond));
    if (!(quota > 0)) throw new Error(`environment variable ${HANDLER_ENVIRONMENT.iotRequestsPerSecond} must be a number above 0`);
    const iot = new IoTClient({});
    paceIotRequests(iot, quota);
    const dynamodb = new DynamoDBClient({});
    deps = {
      iot,
      accountId: requiredEnvironment(HANDLER_ENVIRONMENT.accountId),
      auditTrail: new DynamoDbAuditTrail(dynamodb, requiredEnvironment(HANDLER_ENVIRONMENT.auditTableName)),
      objects: new S3MigrationObjects(new S3Client({}), requiredEnvironment(HANDLER_ENVIRONMENT.migrationBucketName)),
      progress: new MigrationProgress(dynamodb, requiredEnvironment(HANDLER_ENVIRONMENT.migrationProgressTableName)),
    };
  }
  return deps;
}
