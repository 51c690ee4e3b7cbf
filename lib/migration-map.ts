import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { HANDLER_ENVIRONMENT } from '../lambdas/handlers/handler-environment';
import { iotPacingEnvironment, type CertflowConfig } from './certflow-config';
import type { MigrationStorage } from './migration-storage';

/** What every migration function is told: its files, its progress counters and the share of the IoT quota each batch may use. */
export function migrationEnvironment(config: CertflowConfig, storage: MigrationStorage): Record<string, string> {
  return {
    [HANDLER_ENVIRONMENT.migrationBucketName]: storage.bucket.bucketName,
    [HANDLER_ENVIRONMENT.migrationProgressTableName]: storage.progressTable.tableName,
    [HANDLER_ENVIRONMENT.migrationBatchSize]: String(config.migrationBatchSize),
    ...iotPacingEnvironment(config, config.migrationMaxConcurrency),
  };
}

export interface MigrationMapProps {
  /** The deployment's configuration: batch size, concurrency and tolerated failures. */
  readonly config: CertflowConfig;
  /** The migration bucket the items are read from and the results written to. */
  readonly storage: MigrationStorage;
  /** The JSON list of items in the migration bucket (a path into the state). */
  readonly itemsKey: string;
  /** Where the ResultWriter writes (a path into the state). */
  readonly resultsPrefix: string;
  /** What every batch gets beside its items: each value a path into the state. */
  readonly batchInput: Record<string, string>;
  /** The one step each batch runs. */
  readonly processor: sfn.IChainable;
  /** Where the map's result (the ResultWriter's manifest) goes in the state. */
  readonly resultPath: string;
}

/**
 * A Distributed Map over a list of certificates in the migration bucket, in batches of
 * the configured size, as many at once as the configured concurrency (each batch paces
 * itself to its share of the IoT quota), its results written to the bucket rather than
 * into the execution's history.
 */
export function migrationMap(scope: Construct, id: string, props: MigrationMapProps): sfn.DistributedMap {
  const map = new sfn.DistributedMap(scope, id, {
    itemReader: new sfn.S3JsonItemReader({ bucket: props.storage.bucket, key: props.itemsKey }),
    // The CDK renders BatchInput as given: its keys need the `.$` suffix to be paths.
    itemBatcher: new sfn.ItemBatcher({
      maxItemsPerBatch: props.config.migrationBatchSize,
      batchInput: Object.fromEntries(Object.entries(props.batchInput).map(([key, path]) => [`${key}.$`, path])),
    }),
    maxConcurrency: props.config.migrationMaxConcurrency,
    toleratedFailurePercentage: props.config.migrationToleratedFailurePercent,
    resultWriterV2: new sfn.ResultWriterV2({ bucket: props.storage.bucket, prefix: props.resultsPrefix }),
    resultPath: props.resultPath,
  });
  map.itemProcessor(props.processor);
  return map;
}
