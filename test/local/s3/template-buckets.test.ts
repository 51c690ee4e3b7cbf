import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { ListeningEndpoint } from '../../../local/aws-protocol/local-server';
import { LocalStackResources, type CfnTemplate } from '../../../local/cloudformation/cloudformation-template';
import { MalformedPolicyError } from '../../../local/s3/bucket-policy';
import { LocalObjectStore } from '../../../local/s3/object-store';
import { startS3Endpoint } from '../../../local/s3/s3-endpoint';
import { deployTemplateBuckets, TemplateBucketsError } from '../../../local/s3/template-buckets';
import { OWNER, PEER, STRANGER } from './s3-endpoint-fixture';

/** A bucket as certflow's migration storage makes it, with the peer granted reads of exchange/. */
function synthesizedTemplate(): CfnTemplate {
  const app = new App();
  const stack = new Stack(app, 'Tiny', { env: { account: OWNER, region: 'eu-west-1' } });
  const bucket = new s3.Bucket(stack, 'Files', { enforceSSL: true });
  bucket.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.AccountPrincipal(PEER)],
      actions: ['s3:GetObject'],
      resources: [bucket.arnForObjects('exchange/*')],
    }),
  );
  return Template.fromStack(stack).toJSON() as CfnTemplate;
}

describe('deployTemplateBuckets', () => {
  const template = synthesizedTemplate();
  const resources = new LocalStackResources(template, { accountId: OWNER, region: 'eu-west-1', stackName: 'Tiny' });
  const [[bucketId] = ['']] = resources.resourcesOfType('AWS::S3::Bucket');
  const bucket = resources.physicalName(bucketId);
  let store: LocalObjectStore;
  let endpoint: ListeningEndpoint;
  const clients: S3Client[] = [];
  const client = (account: string) => {
    const created = new S3Client({
      region: 'eu-west-1',
      endpoint: endpoint.url,
      forcePathStyle: true,
      credentials: { accessKeyId: `AKIA${account}LOCL`, secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    clients.push(created);
    return created;
  };
  beforeAll(async () => {
    store = new LocalObjectStore();
    deployTemplateBuckets(store, resources);
    endpoint = await startS3Endpoint(store);
    for (const key of ['exchange/m-1/certificate-ids.csv', 'runs/m-1/manifest.json'])
      await client(OWNER).send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
  });
  afterAll(async () => {
    for (const created of clients) created.destroy();
    await endpoint.close();
  });

  it('finds addToResourcePolicy rendered as an AWS::S3::BucketPolicy whose resource joins the bucket ARN', () => {
    const [[, policy] = ['', undefined]] = resources.resourcesOfType('AWS::S3::BucketPolicy');
    expect(policy?.Properties).toMatchObject({
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Allow',
            Action: 's3:GetObject',
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/exchange/*']] },
          }),
        ]) as unknown,
      },
    });
  });

  it("applies the template's policy, resolved, to the account's bucket", () => {
    const applied = JSON.parse(store.bucketPolicy(bucket) ?? '{}') as { Statement: object[] };
    expect(applied.Statement).toContainEqual({
      Effect: 'Allow',
      Action: 's3:GetObject',
      Principal: { AWS: `arn:aws:iam::${PEER}:root` },
      Resource: `arn:aws:s3:::${bucket}/exchange/*`,
    });
    expect(store.bucketOwner(bucket)).toBe(OWNER);
  });

  it('lets the peer read exchange/ through the endpoint, and nothing else; no one else at all', async () => {
    const ids = await client(PEER).send(new GetObjectCommand({ Bucket: bucket, Key: 'exchange/m-1/certificate-ids.csv' }));
    expect(await ids.Body?.transformToString()).toBe('exchange/m-1/certificate-ids.csv');
    const denied = { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } };
    await expect(client(PEER).send(new GetObjectCommand({ Bucket: bucket, Key: 'runs/m-1/manifest.json' }))).rejects.toMatchObject(denied);
    await expect(
      client(STRANGER).send(new GetObjectCommand({ Bucket: bucket, Key: 'exchange/m-1/certificate-ids.csv' })),
    ).rejects.toMatchObject(denied);
  });

  it('keeps the objects and sets the policy again when deployed twice (a restart)', () => {
    deployTemplateBuckets(store, resources);
    expect(store.getObject(bucket, 'runs/m-1/manifest.json')).toBeDefined();
    expect(store.bucketPolicy(bucket)).toContain('/exchange/*');
  });

  it("refuses a policy for a bucket that is not the account's, and one S3 would refuse", () => {
    const elsewhere: CfnTemplate = {
      Resources: {
        Policy: {
          Type: 'AWS::S3::BucketPolicy',
          Properties: { Bucket: 'someone-elses', PolicyDocument: { Statement: [] } },
        },
      },
    };
    expect(() =>
      deployTemplateBuckets(
        new LocalObjectStore(),
        new LocalStackResources(elsewhere, { accountId: OWNER, region: 'eu-west-1', stackName: 'X' }),
      ),
    ).toThrow(TemplateBucketsError);
    const malformed: CfnTemplate = {
      Resources: {
        Files: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'files' } },
        Policy: {
          Type: 'AWS::S3::BucketPolicy',
          Properties: {
            Bucket: { Ref: 'Files' },
            PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::files/*' }] },
          },
        },
      },
    };
    const deploying = () =>
      deployTemplateBuckets(
        new LocalObjectStore(),
        new LocalStackResources(malformed, { accountId: OWNER, region: 'eu-west-1', stackName: 'X' }),
      );
    let thrown: unknown;
    try {
      deploying();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TemplateBucketsError);
    expect((thrown as Error).cause).toBeInstanceOf(MalformedPolicyError);
  });
});
