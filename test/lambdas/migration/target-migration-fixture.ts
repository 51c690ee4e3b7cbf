import { S3Client } from '@aws-sdk/client-s3';
import type { ListeningEndpoint } from '../../../local/aws-protocol/local-server';
import { LocalObjectStore } from '../../../local/s3/object-store';
import { startS3Endpoint } from '../../../local/s3/s3-endpoint';
import { exchangeKeys, migrationBucketName, publishExchangeObject } from '../../../lambdas/cross-account/exchange-objects';
import type { MigrationExchangeStore, MigrationRunRecord } from '../../../lambdas/cross-account/migration-exchange-store';
import {
  targetRunNameOf,
  type ExchangeObject,
  type MigrationBatchOffered,
  type MigrationProposed,
} from '../../../lambdas/cross-account/migration-messages';
import { S3MigrationObjects } from '../../../lambdas/migration/migration-objects';
import type { OfferSheet } from '../../../lambdas/migration/offer-sheet';
import { MIGRATION_ID, SOURCE_ACCOUNT, TARGET_ACCOUNT } from './migration-fixtures';

export const REGION = 'us-east-1';
export const SOURCE_BUCKET = migrationBucketName(SOURCE_ACCOUNT, REGION);
export const TARGET_BUCKET = migrationBucketName(TARGET_ACCOUNT, REGION);
export const TARGET_MIGRATION_MACHINE = `arn:aws:states:${REGION}:${TARGET_ACCOUNT}:stateMachine:CertflowTarget-Migration`;

/** The target's execution for a source run, as the receiver names it. */
export function targetExecutionIdOf(sourceRunName: string): string {
  return `arn:aws:states:${REGION}:${TARGET_ACCOUNT}:execution:CertflowTarget-Migration:${targetRunNameOf(sourceRunName)}`;
}

function s3ClientAs(url: string, account: string): S3Client {
  return new S3Client({
    region: REGION,
    endpoint: url,
    forcePathStyle: true,
    credentials: { accessKeyId: `AKIA${account}LOCL`, secretAccessKey: 'x' },
  });
}

export interface MigrationBucketsFixture {
  store: LocalObjectStore;
  /** Signs as the source: publishes its exchange objects. */
  sourceS3: S3Client;
  /**
   * What the target reads the source's exchange objects with. The local S3 has no bucket
   * policies, so it signs as the source account, which owns the bucket: in AWS the
   * source's bucket policy lets the target's role read `exchange/`.
   */
  exchangeReader: S3Client;
  /** The target's own migration bucket, signed as the target. */
  targetObjects: S3MigrationObjects;
  close(): Promise<void>;
}

/** Both sides' migration buckets in the local S3 endpoint, in memory. */
export async function migrationBucketsFixture(): Promise<MigrationBucketsFixture> {
  const store = new LocalObjectStore();
  store.createBucket(SOURCE_ACCOUNT, SOURCE_BUCKET);
  store.createBucket(TARGET_ACCOUNT, TARGET_BUCKET);
  const endpoint: ListeningEndpoint = await startS3Endpoint(store);
  const sourceS3 = s3ClientAs(endpoint.url, SOURCE_ACCOUNT);
  const exchangeReader = s3ClientAs(endpoint.url, SOURCE_ACCOUNT);
  const targetS3 = s3ClientAs(endpoint.url, TARGET_ACCOUNT);
  return {
    store,
    sourceS3,
    exchangeReader,
    targetObjects: new S3MigrationObjects(targetS3, TARGET_BUCKET),
    close: async () => {
      for (const client of [sourceS3, exchangeReader, targetS3]) client.destroy();
      await endpoint.close();
    },
  };
}

/** The source's certificate list of a run, published as the source publishes it. */
export function publishCertificateList(
  buckets: MigrationBucketsFixture,
  runName: string,
  certificateIds: string[],
  migrationId = MIGRATION_ID,
): Promise<ExchangeObject> {
  return publishExchangeObject(buckets.sourceS3, SOURCE_BUCKET, exchangeKeys.certificateList(MIGRATION_ID, runName), {
    migrationId,
    certificateIds,
  });
}

export function publishOfferSheet(buckets: MigrationBucketsFixture, sheet: OfferSheet): Promise<ExchangeObject> {
  return publishExchangeObject(
    buckets.sourceS3,
    SOURCE_BUCKET,
    exchangeKeys.offerSheet(sheet.migrationId, sheet.runName, sheet.batch),
    sheet,
  );
}

/** A proposal of `certificateCount` certificates as the source sends it; `change` overrides any field. */
export function proposalOf(runName: string, certificateList: ExchangeObject, change: Partial<MigrationProposed> = {}): MigrationProposed {
  const certificateCount = change.certificateCount ?? 3;
  const batchSize = change.batchSize ?? 2;
  return {
    migrationId: MIGRATION_ID,
    runName,
    sourceAwsAccount: SOURCE_ACCOUNT,
    targetAwsAccount: TARGET_ACCOUNT,
    sentAt: '2026-12-01T10:00:00.000Z',
    requestedBy: 'alice@example.com',
    reason: 'consolidate the EU fleet',
    transferMessage: null,
    sourceApprovedBy: 'bob@example.com',
    certificateCount,
    activeCount: 1,
    policies: { 'sensor-policy': 2 },
    certificateList,
    batchSize,
    batchCount: Math.ceil(certificateCount / batchSize),
    ...change,
  };
}

export function batchOfferOf(runName: string, batch: number, offerSheet: ExchangeObject): MigrationBatchOffered {
  return {
    migrationId: MIGRATION_ID,
    runName,
    sourceAwsAccount: SOURCE_ACCOUNT,
    targetAwsAccount: TARGET_ACCOUNT,
    sentAt: '2026-12-01T10:05:00.000Z',
    batch,
    offerSheet,
  };
}

/** The run record the target's receiver makes for a proposal. */
export async function recordTargetRun(store: MigrationExchangeStore, proposal: MigrationProposed): Promise<MigrationRunRecord> {
  const { record } = await store.createRun({
    side: 'TARGET',
    migrationId: proposal.migrationId,
    runName: proposal.runName,
    sourceAwsAccount: proposal.sourceAwsAccount,
    targetAwsAccount: proposal.targetAwsAccount,
    executionId: targetExecutionIdOf(proposal.runName),
    batchCount: proposal.batchCount,
    proposal,
  });
  return record;
}
