import { S3Client } from '@aws-sdk/client-s3';
import type { ListeningEndpoint } from '../../../local/aws-protocol/local-server';
import { LocalObjectStore } from '../../../local/s3/object-store';
import { startS3Endpoint, type S3EndpointOptions } from '../../../local/s3/s3-endpoint';

export const OWNER = '111111111111';
export const PEER = '222222222222';
export const STRANGER = '333333333333';
export const BUCKET = `migrations-${OWNER}`;

export interface S3EndpointFixture {
  store: LocalObjectStore;
  endpoint: ListeningEndpoint;
  /** A real SDK client, path-style, signing as `account`, one attempt. */
  client(account: string): S3Client;
  close(): Promise<void>;
}

/** An in-memory store holding OWNER's BUCKET, served on a free port. */
export async function startS3Fixture(options: S3EndpointOptions = {}): Promise<S3EndpointFixture> {
  const store = new LocalObjectStore();
  store.createBucket(OWNER, BUCKET);
  const endpoint = await startS3Endpoint(store, options);
  const clients: S3Client[] = [];
  return {
    store,
    endpoint,
    client: (account) => {
      const client = new S3Client({
        region: 'us-east-1',
        endpoint: endpoint.url,
        forcePathStyle: true,
        credentials: { accessKeyId: `AKIA${account}LOCL`, secretAccessKey: 'x' },
        maxAttempts: 1,
      });
      clients.push(client);
      return client;
    },
    close: async () => {
      for (const client of clients) client.destroy();
      await endpoint.close();
    },
  };
}
