import { cutoverBatch } from '../migration/cutover-batch';
import { parseCutoverBatch } from '../migration/migration-requests';
import { workflowStepHandler } from './lambda-runtime';
import { migrationBucketNameFromEnvironment, migrationS3, migrationStepDeps } from './migration-runtime';
import { messageSender } from './transfer-exchange-runtime';

export const handler = workflowStepHandler('CutoverBatch', parseCutoverBatch, (batch) =>
  cutoverBatch({ ...migrationStepDeps(), s3: migrationS3(), bucket: migrationBucketNameFromEnvironment(), sender: messageSender() }, batch),
);
