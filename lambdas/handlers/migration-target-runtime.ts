import type { S3Client } from '@aws-sdk/client-s3';
import { MigrationExchangeStore } from '../cross-account/migration-exchange-store';
import { parseLandingConfig, type LandingConfig } from '../landing/plan-landing';
import { ThingTypesHere } from '../migration/land-migration-batch';
import { HANDLER_ENVIRONMENT, requiredEnvironment } from './handler-environment';
import { dynamoDbClient } from './lambda-runtime';
import { migrationS3, migrationStepDeps } from './migration-runtime';

// Created on first use, once per container: each function builds only the clients it calls.
let landing: LandingConfig | undefined;
let thingTypes: ThingTypesHere | undefined;

/** Reads the peer's exchange objects (its bucket policy lets this account read `exchange/`). */
export function exchangeS3(): S3Client {
  return migrationS3();
}

export function migrationExchangeStore(): MigrationExchangeStore {
  return new MigrationExchangeStore(dynamoDbClient(), requiredEnvironment(HANDLER_ENVIRONMENT.proposalTableName));
}

export function landingConfig(): LandingConfig {
  landing ??= parseLandingConfig(JSON.parse(requiredEnvironment(HANDLER_ENVIRONMENT.landingConfig)));
  return landing;
}

/** Which thing types exist here, asked through the migration steps' paced IoT client and kept for the container. */
export function thingTypesHere(): ThingTypesHere {
  thingTypes ??= new ThingTypesHere(() => migrationStepDeps().iot);
  return thingTypes;
}

/** Lambda sets AWS_REGION in every function; the peer's bucket name follows from it. */
export function awsRegion(): string {
  return requiredEnvironment('AWS_REGION');
}

export function awsPartition(): string {
  return requiredEnvironment(HANDLER_ENVIRONMENT.awsPartition);
}
