import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { MigrationSide } from '../cli/migration-job';
import type { Sandbox } from './sandbox';
import { credentialsFor } from './sandbox-accounts';

/** One side's deployed migration in a running sandbox, with clients that reach it as that side's account. */
export function sandboxMigrationSide(sandbox: Sandbox, side: 'source' | 'target'): MigrationSide {
  const account = sandbox.accounts[side];
  const config = { region: sandbox.region, credentials: credentialsFor(account) };
  const outputs = sandbox.stacks[side === 'source' ? 'CertflowSource' : 'CertflowTarget']?.outputs ?? {};
  return {
    accountId: account,
    sfn: new SFNClient({ ...config, endpoint: sandbox.endpoints.stepfunctions }),
    s3: new S3Client({ ...config, endpoint: sandbox.endpoints.s3, forcePathStyle: true }),
    dynamodb: new DynamoDBClient({ ...config, endpoint: sandbox.endpoints.dynamodb }),
    stateMachineArn: outputs.MigrationStateMachineArn ?? '',
    bucketName: outputs.MigrationBucketName ?? '',
    progressTableName: outputs.MigrationProgressTableName ?? '',
  };
}
