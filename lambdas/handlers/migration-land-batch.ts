import { landMigrationBatch } from '../migration/land-migration-batch';
import { parseLandBatchRequest } from '../migration/target-migration-requests';
import { workflowStepHandler } from './lambda-runtime';
import { migrationStepDeps } from './migration-runtime';
import { awsPartition, awsRegion, exchangeS3, landingConfig, migrationExchangeStore, thingTypesHere } from './migration-target-runtime';
import { messageSender } from './transfer-exchange-runtime';

/** Batch k's landing: accept and land what the source offered, tell the source how each certificate fared. */
export const handler = workflowStepHandler('LandMigrationBatch', parseLandBatchRequest, (request) => {
  const deps = migrationStepDeps();
  return landMigrationBatch(
    {
      // The getters stay lazy: a batch with nothing offered never creates an IoT client.
      get iot() {
        return deps.iot;
      },
      get auditTrail() {
        return deps.auditTrail;
      },
      accountId: deps.accountId,
      progress: deps.progress,
      store: migrationExchangeStore(),
      s3: exchangeS3(),
      sender: messageSender(),
      landingConfig: landingConfig(),
      thingTypes: thingTypesHere(),
      region: awsRegion(),
      partition: awsPartition(),
    },
    request,
  );
});
