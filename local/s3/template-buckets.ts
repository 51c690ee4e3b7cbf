import type { LocalStackResources } from '../cloudformation/cloudformation-template';
import { parseBucketPolicy } from './bucket-policy';
import type { LocalObjectStore } from './object-store';

export class TemplateBucketsError extends Error {
  override readonly name = 'TemplateBucketsError';
}

/**
 * Creates a stack's AWS::S3::Bucket resources for its account, then applies its
 * AWS::S3::BucketPolicy resources (`Bucket`, a name, and `PolicyDocument`, an object; what
 * the CDK's `bucket.addToResourcePolicy` and `enforceSSL` render). Idempotent: a restart on
 * the same data folder keeps the objects and sets the template's policy again, as an update
 * of the stack would.
 */
export function deployTemplateBuckets(store: LocalObjectStore, resources: LocalStackResources): void {
  const { accountId, stackName } = resources.target;
  for (const [logicalId] of resources.resourcesOfType('AWS::S3::Bucket')) store.createBucket(accountId, resources.physicalName(logicalId));
  for (const [logicalId, resource] of resources.resourcesOfType('AWS::S3::BucketPolicy')) {
    const { Bucket: bucket, PolicyDocument: document } = resources.resolve(resource.Properties ?? {}) as {
      Bucket?: unknown;
      PolicyDocument?: unknown;
    };
    if (typeof bucket !== 'string' || typeof document !== 'object' || document === null)
      throw new TemplateBucketsError(`${stackName}/${logicalId}: an AWS::S3::BucketPolicy needs Bucket and PolicyDocument`);
    if (store.bucketOwner(bucket) !== accountId)
      throw new TemplateBucketsError(`${stackName}/${logicalId}: bucket ${bucket} is not one of account ${accountId}'s buckets`);
    const text = JSON.stringify(document);
    try {
      parseBucketPolicy(text, bucket);
    } catch (error) {
      throw new TemplateBucketsError(`${stackName}/${logicalId}: S3 would refuse the policy of ${bucket}`, { cause: error });
    }
    store.putBucketPolicy(bucket, text);
  }
}
