import {
  DeleteBucketPolicyCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { BUCKET, OWNER, PEER, startS3Fixture, STRANGER, type S3EndpointFixture } from './s3-endpoint-fixture';

const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;
const PEER_READS_EXCHANGE = {
  Sid: 'PeerReadsExchange',
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${PEER}:root` },
  Action: 's3:GetObject',
  Resource: `${BUCKET_ARN}/exchange/*`,
};
const NOTHING_UNDER_HELD = {
  Sid: 'NothingUnderHeld',
  Effect: 'Deny',
  Principal: { AWS: PEER },
  Action: 's3:*',
  Resource: `${BUCKET_ARN}/exchange/held/*`,
};
/** What the CDK's `enforceSSL: true` adds. */
const ENFORCE_SSL = {
  Effect: 'Deny',
  Principal: { AWS: '*' },
  Action: 's3:*',
  Resource: [BUCKET_ARN, `${BUCKET_ARN}/*`],
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
};
const denied = { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } };

async function withPolicy(fixture: S3EndpointFixture, ...statements: object[]): Promise<void> {
  const Policy = JSON.stringify({ Version: '2012-10-17', Statement: statements });
  await fixture.client(OWNER).send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy }));
}

async function read(fixture: S3EndpointFixture, account: string, key: string): Promise<string | undefined> {
  const object = await fixture.client(account).send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return object.Body?.transformToString();
}

describe('local S3 endpoint, another account under a bucket policy', () => {
  let fixture: S3EndpointFixture;
  beforeAll(async () => {
    fixture = await startS3Fixture();
    const owner = fixture.client(OWNER);
    for (const key of [
      'exchange/m-1/certificate-ids.csv',
      'exchange/m-1/batches/0001.json',
      'exchange/held/m-1.json',
      'runs/m-1/manifest.json',
    ])
      await owner.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: `body of ${key}`, ContentType: 'text/plain' }));
  });
  beforeEach(() => withPolicy(fixture, PEER_READS_EXCHANGE, NOTHING_UNDER_HELD, ENFORCE_SSL));
  afterAll(() => fixture.close());

  it('leaves the owner full access: it writes, reads, lists and deletes under any prefix', async () => {
    const owner = fixture.client(OWNER);
    await owner.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'exchange/held/scratch', Body: 'x' }));
    expect(await read(fixture, OWNER, 'exchange/held/scratch')).toBe('x');
    const listed = await owner.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'exchange/held/' }));
    expect(listed.Contents?.map(({ Key }) => Key)).toEqual(['exchange/held/m-1.json', 'exchange/held/scratch']);
    await owner.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'exchange/held/scratch' }));
    await expect(owner.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'exchange/held/scratch' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('lets the peer read and head what the policy grants it under exchange/', async () => {
    expect(await read(fixture, PEER, 'exchange/m-1/certificate-ids.csv')).toBe('body of exchange/m-1/certificate-ids.csv');
    expect(await read(fixture, PEER, 'exchange/m-1/batches/0001.json')).toBe('body of exchange/m-1/batches/0001.json');
    const head = await fixture.client(PEER).send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'exchange/m-1/certificate-ids.csv' }));
    expect(head.ContentType).toBe('text/plain');
  });

  it('refuses the peer outside exchange/, and its PutObject, DeleteObject and ListObjectsV2', async () => {
    const peer = fixture.client(PEER);
    await expect(peer.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'runs/m-1/manifest.json' }))).rejects.toMatchObject(denied);
    await expect(peer.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'exchange/m-1/answer.json', Body: '{}' }))).rejects.toMatchObject(
      denied,
    );
    await expect(peer.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'exchange/m-1/certificate-ids.csv' }))).rejects.toMatchObject(
      denied,
    );
    await expect(peer.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'exchange/' }))).rejects.toMatchObject(denied);
    expect(fixture.store.getObject(BUCKET, 'exchange/m-1/answer.json')).toBeUndefined();
    expect(fixture.store.getObject(BUCKET, 'exchange/m-1/certificate-ids.csv')).toBeDefined();
  });

  it('refuses the peer what a Deny covers, though an Allow grants it', async () => {
    await expect(fixture.client(PEER).send(new GetObjectCommand({ Bucket: BUCKET, Key: 'exchange/held/m-1.json' }))).rejects.toMatchObject(
      denied,
    );
  });

  it('refuses a third account the policy does not name', async () => {
    const stranger = fixture.client(STRANGER);
    await expect(stranger.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'exchange/m-1/certificate-ids.csv' }))).rejects.toMatchObject(
      denied,
    );
    await expect(stranger.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'exchange/m-1/certificate-ids.csv' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });
  });

  it('refuses every other account when no statement allows it, or the bucket has no policy', async () => {
    const getIds = new GetObjectCommand({ Bucket: BUCKET, Key: 'exchange/m-1/certificate-ids.csv' });
    await withPolicy(fixture, ENFORCE_SSL);
    await expect(fixture.client(PEER).send(getIds)).rejects.toMatchObject(denied);
    await fixture.client(OWNER).send(new DeleteBucketPolicyCommand({ Bucket: BUCKET }));
    await expect(fixture.client(PEER).send(getIds)).rejects.toMatchObject(denied);
  });

  it('answers a missing key 403 AccessDenied without s3:ListBucket and 404 NoSuchKey with it', async () => {
    const peer = fixture.client(PEER);
    const missing = new GetObjectCommand({ Bucket: BUCKET, Key: 'exchange/m-2/certificate-ids.csv' });
    await expect(peer.send(missing)).rejects.toMatchObject(denied);
    await withPolicy(fixture, PEER_READS_EXCHANGE, {
      Effect: 'Allow',
      Principal: { AWS: PEER },
      Action: 's3:ListBucket',
      Resource: BUCKET_ARN,
    });
    await expect(peer.send(missing)).rejects.toMatchObject({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    await expect(peer.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'exchange/m-2/x' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('lets the peer list a prefix an s3:prefix condition allows, and no other', async () => {
    await withPolicy(fixture, PEER_READS_EXCHANGE, {
      Effect: 'Allow',
      Principal: { AWS: PEER },
      Action: 's3:ListBucket',
      Resource: BUCKET_ARN,
      Condition: { StringLike: { 's3:prefix': 'exchange/*' } },
    });
    const peer = fixture.client(PEER);
    const listed = await peer.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'exchange/m-1/' }));
    expect(listed.Contents?.map(({ Key }) => Key)).toEqual(['exchange/m-1/batches/0001.json', 'exchange/m-1/certificate-ids.csv']);
    await expect(peer.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'runs/' }))).rejects.toMatchObject(denied);
    await expect(peer.send(new ListObjectsV2Command({ Bucket: BUCKET }))).rejects.toMatchObject(denied);
  });

  it('lets the peer write where the policy grants s3:PutObject', async () => {
    await withPolicy(fixture, {
      Effect: 'Allow',
      Principal: { AWS: [STRANGER, PEER] },
      Action: ['s3:PutObject'],
      Resource: `${BUCKET_ARN}/exchange/answers/*`,
    });
    await fixture.client(PEER).send(new PutObjectCommand({ Bucket: BUCKET, Key: 'exchange/answers/m-1.json', Body: '{"accepted":2}' }));
    expect(fixture.store.getObject(BUCKET, 'exchange/answers/m-1.json')?.body.toString('utf8')).toBe('{"accepted":2}');
  });

  it('refuses another account a bucket whose x-amz-expected-bucket-owner it got wrong', async () => {
    await expect(
      fixture
        .client(PEER)
        .send(new GetObjectCommand({ Bucket: BUCKET, Key: 'exchange/m-1/certificate-ids.csv', ExpectedBucketOwner: PEER })),
    ).rejects.toMatchObject(denied);
    expect(await read(fixture, PEER, 'exchange/m-1/certificate-ids.csv')).toBeDefined();
  });
});

describe('local S3 endpoint that reports aws:SecureTransport false', () => {
  let fixture: S3EndpointFixture;
  beforeAll(async () => {
    fixture = await startS3Fixture({ secureTransport: false });
    await fixture.client(OWNER).send(new PutObjectCommand({ Bucket: BUCKET, Key: 'exchange/m-1/certificate-ids.csv', Body: 'a' }));
  });
  afterAll(() => fixture.close());

  it("applies enforceSSL's Deny to the peer, and not to the owner", async () => {
    await withPolicy(fixture, PEER_READS_EXCHANGE, ENFORCE_SSL);
    await expect(
      fixture.client(PEER).send(new GetObjectCommand({ Bucket: BUCKET, Key: 'exchange/m-1/certificate-ids.csv' })),
    ).rejects.toMatchObject(denied);
    expect(await read(fixture, OWNER, 'exchange/m-1/certificate-ids.csv')).toBe('a');
    await withPolicy(fixture, PEER_READS_EXCHANGE);
    expect(await read(fixture, PEER, 'exchange/m-1/certificate-ids.csv')).toBe('a');
  });
});
