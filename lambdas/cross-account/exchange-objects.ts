import { createHash } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ExchangeObject } from './migration-messages';

/**
 * Objects one side publishes for its peer to read: its migration bucket's policy lets the
 * peer account GetObject under `exchange/` and nothing else. Bucket names follow from
 * account and region, so each side knows the other's before reading a message.
 */
export const exchangeKeys = {
  certificateList: (migrationId: string, runName: string) => `exchange/${migrationId}/${runName}/certificates.json`,
  offerSheet: (migrationId: string, runName: string, batch: number) => `exchange/${migrationId}/${runName}/offers/${batch}.json`,
};

export const EXCHANGE_PREFIX = 'exchange/';

/** The migration bucket of `account` in `region`: certflow names it so the peer can check a message's bucket. */
export function migrationBucketName(account: string, region: string): string {
  return `certflow-migrations-${account}-${region}`;
}

/** The object read is not the one the message described (another bucket, or other bytes). */
export class ExchangeObjectMismatch extends Error {
  override readonly name = 'ExchangeObjectMismatch';
}

function sha256Of(body: string): string {
  return createHash('sha256').update(body, 'utf8').digest('hex');
}

/** Writes the value as JSON under `exchange/` in this side's bucket and describes it for a message. */
export async function publishExchangeObject(s3: S3Client, bucket: string, key: string, value: unknown): Promise<ExchangeObject> {
  if (!key.startsWith(EXCHANGE_PREFIX)) throw new RangeError(`exchange objects live under ${EXCHANGE_PREFIX}, not ${key}`);
  const body = JSON.stringify(value);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }));
  return { bucket, key, sha256: sha256Of(body) };
}

/**
 * Reads the peer's object that a message described, from the peer's own bucket only, and
 * checks its SHA-256: what the approvers were shown is what is moved.
 */
export async function readExchangeObject(s3: S3Client, described: ExchangeObject, peerBucket: string): Promise<unknown> {
  if (described.bucket !== peerBucket)
    throw new ExchangeObjectMismatch(`the message names bucket ${described.bucket}, not the peer's migration bucket ${peerBucket}`);
  const output = await s3.send(new GetObjectCommand({ Bucket: described.bucket, Key: described.key }));
  const body = (await output.Body?.transformToString('utf8')) ?? '';
  if (sha256Of(body) !== described.sha256)
    throw new ExchangeObjectMismatch(`s3://${described.bucket}/${described.key} does not have the SHA-256 its message gave`);
  try {
    return JSON.parse(body) as unknown;
  } catch (error) {
    throw new ExchangeObjectMismatch(`s3://${described.bucket}/${described.key} is not JSON`, { cause: error });
  }
}
