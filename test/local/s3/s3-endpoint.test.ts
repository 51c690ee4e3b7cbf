import { DeleteBucketPolicyCommand, GetBucketPolicyCommand, PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { ListeningEndpoint } from '../../../local/aws-protocol/local-server';
import { LocalObjectStore } from '../../../local/s3/object-store';
import { startS3Endpoint } from '../../../local/s3/s3-endpoint';
import { BUCKET, OWNER, PEER, startS3Fixture, type S3EndpointFixture } from './s3-endpoint-fixture';

const run = promisify(execFile);

describe('local S3 endpoint, driven by the AWS CLI v2', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'certflow-s3-'));
  let store: LocalObjectStore;
  let endpoint: ListeningEndpoint;
  beforeAll(async () => {
    store = new LocalObjectStore(path.join(dir, 'data'));
    store.createBucket('111111111111', 'migrations-111111111111');
    endpoint = await startS3Endpoint(store);
  });
  afterAll(async () => {
    await endpoint.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const aws = (account: string, args: string[]) =>
    run('/usr/bin/aws', [...args, '--endpoint-url', endpoint.url], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: dir,
        AWS_ACCESS_KEY_ID: `AKIA${account}LOCL`,
        AWS_SECRET_ACCESS_KEY: 'x',
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_CONFIG_FILE: '/nonexistent',
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
        AWS_PAGER: '',
      },
    });

  it('stores what `aws s3 cp` uploads, lists it, and gives it back', async () => {
    const manifest = path.join(dir, 'manifest.json');
    writeFileSync(manifest, JSON.stringify(['a'.repeat(64), 'b'.repeat(64)]));
    await aws('111111111111', ['s3', 'cp', manifest, 's3://migrations-111111111111/runs/m-1/manifest.json']);
    expect(JSON.parse(store.getObject('migrations-111111111111', 'runs/m-1/manifest.json')?.body.toString('utf8') ?? '[]')).toHaveLength(2);
    const listed = await aws('111111111111', ['s3', 'ls', 's3://migrations-111111111111/runs/m-1/']);
    expect(listed.stdout).toContain('manifest.json');
    const copy = path.join(dir, 'copy.json');
    await aws('111111111111', ['s3', 'cp', 's3://migrations-111111111111/runs/m-1/manifest.json', copy]);
    expect(readFileSync(copy, 'utf8')).toBe(readFileSync(manifest, 'utf8'));
    expect(
      new LocalObjectStore(path.join(dir, 'data')).getObject('migrations-111111111111', 'runs/m-1/manifest.json')?.body.toString('utf8'),
    ).toBe(readFileSync(manifest, 'utf8'));
  });

  it("refuses another account's bucket and names a missing key", async () => {
    await expect(
      aws('222222222222', [
        's3api',
        'get-object',
        '--bucket',
        'migrations-111111111111',
        '--key',
        'runs/m-1/manifest.json',
        path.join(dir, 'x'),
      ]),
    ).rejects.toMatchObject({ stderr: expect.stringContaining('AccessDenied') });
    await expect(
      aws('111111111111', ['s3api', 'get-object', '--bucket', 'migrations-111111111111', '--key', 'missing', path.join(dir, 'x')]),
    ).rejects.toMatchObject({ stderr: expect.stringContaining('NoSuchKey') });
  });
});

describe('local S3 endpoint bucket policy operations, driven by the SDK', () => {
  let fixture: S3EndpointFixture;
  beforeAll(async () => {
    fixture = await startS3Fixture();
  });
  afterAll(() => fixture.close());

  const policy = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: PEER }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/exchange/*` }],
  });

  it('answers NoSuchBucketPolicy (404) before a policy is put and after it is deleted, and 204 to Put and Delete', async () => {
    const owner = fixture.client(OWNER);
    const noPolicy = { name: 'NoSuchBucketPolicy', $metadata: { httpStatusCode: 404 } };
    await expect(owner.send(new GetBucketPolicyCommand({ Bucket: BUCKET }))).rejects.toMatchObject(noPolicy);
    const put = await owner.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: policy }));
    expect(put.$metadata.httpStatusCode).toBe(204);
    const got = await owner.send(new GetBucketPolicyCommand({ Bucket: BUCKET }));
    expect(got.Policy).toBe(policy);
    const deleted = await owner.send(new DeleteBucketPolicyCommand({ Bucket: BUCKET }));
    expect(deleted.$metadata.httpStatusCode).toBe(204);
    await expect(owner.send(new GetBucketPolicyCommand({ Bucket: BUCKET }))).rejects.toMatchObject(noPolicy);
    const deletedAgain = await owner.send(new DeleteBucketPolicyCommand({ Bucket: BUCKET }));
    expect(deletedAgain.$metadata.httpStatusCode).toBe(204);
  });

  it.each([
    ['text that is not JSON', 'not json', "Policies must be valid JSON and the first byte must be '{'"],
    ['a JSON array', '[]', "Policies must be valid JSON and the first byte must be '{'"],
    ['no Statement', '{"Version":"2012-10-17"}', 'Missing required field Statement'],
    [
      'a statement without Principal',
      JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/*` }] }),
      'Missing required field Principal',
    ],
    [
      'a principal that is not an account, ARN or "*"',
      JSON.stringify({
        Statement: [{ Effect: 'Allow', Principal: { AWS: 'peer' }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/*` }],
      }),
      'Invalid principal in policy',
    ],
    [
      'a resource of another bucket',
      JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::elsewhere/*' }] }),
      'Policy has invalid resource',
    ],
    [
      'an Effect that is neither Allow nor Deny',
      JSON.stringify({ Statement: [{ Effect: 'allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/*` }] }),
      'Invalid effect: allow',
    ],
  ])('refuses %s with MalformedPolicy (400) and keeps the policy it had', async (_what, body, message) => {
    const owner = fixture.client(OWNER);
    await owner.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: policy }));
    await expect(owner.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: body }))).rejects.toMatchObject({
      name: 'MalformedPolicy',
      message,
      $metadata: { httpStatusCode: 400 },
    });
    expect((await owner.send(new GetBucketPolicyCommand({ Bucket: BUCKET }))).Policy).toBe(policy);
  });

  it('answers another account 403 AccessDenied, or 405 MethodNotAllowed when the policy grants it the action', async () => {
    const owner = fixture.client(OWNER);
    const peer = fixture.client(PEER);
    await owner.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: policy }));
    const denied = { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } };
    await expect(peer.send(new GetBucketPolicyCommand({ Bucket: BUCKET }))).rejects.toMatchObject(denied);
    await expect(peer.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: policy }))).rejects.toMatchObject(denied);
    await expect(peer.send(new DeleteBucketPolicyCommand({ Bucket: BUCKET }))).rejects.toMatchObject(denied);
    const grantsPolicyActions = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: PEER }, Action: 's3:*BucketPolicy', Resource: `arn:aws:s3:::${BUCKET}` }],
    });
    await owner.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: grantsPolicyActions }));
    const notAllowed = { name: 'MethodNotAllowed', $metadata: { httpStatusCode: 405 } };
    await expect(peer.send(new GetBucketPolicyCommand({ Bucket: BUCKET }))).rejects.toMatchObject(notAllowed);
    await expect(peer.send(new DeleteBucketPolicyCommand({ Bucket: BUCKET }))).rejects.toMatchObject(notAllowed);
    expect((await owner.send(new GetBucketPolicyCommand({ Bucket: BUCKET }))).Policy).toBe(grantsPolicyActions);
  });

  it('keeps a bucket policy across a restart on the same data folder', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'certflow-s3-policy-'));
    try {
      const store = new LocalObjectStore(dir);
      store.createBucket(OWNER, BUCKET);
      store.putBucketPolicy(BUCKET, policy);
      expect(new LocalObjectStore(dir).bucketPolicy(BUCKET)).toBe(policy);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
