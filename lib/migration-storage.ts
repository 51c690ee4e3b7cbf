import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { EXCHANGE_PREFIX, migrationBucketName } from '../lambdas/cross-account/exchange-objects';
import { MIGRATION_PROGRESS_KEY } from '../lambdas/migration/migration-progress';

export interface MigrationStorageProps {
  /** The peer account, which may read this side's exchange objects (a migration's certificate list, its offer sheets). */
  readonly peerAccount: string;
}

/**
 * Where one side's migrations keep their working files (the manifest, the Distributed
 * Maps' items and results, each run's outcomes) and their progress counters. The bucket
 * is named after account and region, so the peer knows it before reading a message, and
 * its policy lets the peer account read `exchange/` and nothing else.
 */
export class MigrationStorage extends Construct {
  readonly bucket: s3.Bucket;
  readonly progressTable: dynamodb.Table;
  /** The objects the migration functions read and write: everything under `migrations/` (see lambdas/migration/migration-objects.ts). */
  readonly filesArn: string;

  /** The peer account that may read `exchange/`. */
  readonly peerAccount: string;

  constructor(scope: Construct, id: string, props: MigrationStorageProps) {
    super(scope, id);
    this.peerAccount = props.peerAccount;
    const stack = Stack.of(this);
    this.bucket = new s3.Bucket(this, 'Files', {
      bucketName: migrationBucketName(stack.account, stack.region),
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: false,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ expiration: Duration.days(90), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
    });
    this.filesArn = this.bucket.arnForObjects('migrations/*');
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'certflow-peer-reads-exchange-objects',
        principals: [new iam.AccountPrincipal(props.peerAccount)],
        actions: ['s3:GetObject'],
        resources: [this.bucket.arnForObjects(`${EXCHANGE_PREFIX}*`)],
      }),
    );
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Working files of migrations, kept 90 days; every change to a certificate is in the audit table, so object access logs would add no record of their own',
    });
    this.progressTable = new dynamodb.Table(this, 'Progress', {
      partitionKey: { name: MIGRATION_PROGRESS_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }

  /** Writing (and re-reading) this side's exchange objects. */
  exchangeWrites(): iam.PolicyStatement {
    return new iam.PolicyStatement({
      actions: ['s3:GetObject', 's3:PutObject'],
      resources: [this.bucket.arnForObjects(`${EXCHANGE_PREFIX}*`)],
    });
  }

  /** Reading the peer's exchange objects, in the bucket certflow names after the peer account. */
  static peerExchangeReads(scope: Construct, peerAccount: string): iam.PolicyStatement {
    const bucketName = migrationBucketName(peerAccount, Stack.of(scope).region);
    return new iam.PolicyStatement({
      actions: ['s3:GetObject'],
      resources: [`arn:${Stack.of(scope).partition}:s3:::${bucketName}/${EXCHANGE_PREFIX}*`],
    });
  }

  /** What a migration step may touch: read and write the migration files, and/or count its progress (only the job reads it). */
  accessStatements(access: { files: boolean; progress: boolean }): iam.PolicyStatement[] {
    return [
      ...(access.files
        ? [
            new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject'], resources: [this.filesArn] }),
            // Without ListBucket, S3 answers a missing key with 403 AccessDenied, not 404 NoSuchKey.
            new iam.PolicyStatement({
              actions: ['s3:ListBucket'],
              resources: [this.bucket.bucketArn],
              conditions: { StringLike: { 's3:prefix': ['migrations/*'] } },
            }),
          ]
        : []),
      ...(access.progress ? [new iam.PolicyStatement({ actions: ['dynamodb:UpdateItem'], resources: [this.progressTable.tableArn] })] : []),
    ];
  }
}
