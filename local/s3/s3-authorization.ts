import { parseBucketPolicy } from './bucket-policy';
import { evaluateBucketPolicy, type PolicyDecision } from './bucket-policy-evaluation';
import type { LocalObjectStore } from './object-store';

/** The S3 operations the sandbox serves. */
export type S3Operation =
  | 'GetObject'
  | 'HeadObject'
  | 'PutObject'
  | 'DeleteObject'
  | 'ListObjectsV2'
  | 'PutBucketPolicy'
  | 'GetBucketPolicy'
  | 'DeleteBucketPolicy';

/**
 * The action each operation is authorized as, and whether on the bucket's ARN or the
 * object's (Service Authorization Reference, Amazon S3; the API reference's Permissions
 * sections: HeadObject needs s3:GetObject, ListObjectsV2 s3:ListBucket).
 */
export const OPERATION_ACTIONS: Record<S3Operation, { action: string; on: 'bucket' | 'object' }> = {
  GetObject: { action: 's3:GetObject', on: 'object' },
  HeadObject: { action: 's3:GetObject', on: 'object' },
  PutObject: { action: 's3:PutObject', on: 'object' },
  DeleteObject: { action: 's3:DeleteObject', on: 'object' },
  ListObjectsV2: { action: 's3:ListBucket', on: 'bucket' },
  PutBucketPolicy: { action: 's3:PutBucketPolicy', on: 'bucket' },
  GetBucketPolicy: { action: 's3:GetBucketPolicy', on: 'bucket' },
  DeleteBucketPolicy: { action: 's3:DeleteBucketPolicy', on: 'bucket' },
};

export interface BucketPolicyQuestion {
  bucket: string;
  key?: string;
  operation: S3Operation;
  /** The caller's account: another than the bucket's owner (the owner is not asked about). */
  accountId: string;
  /** What aws:SecureTransport says of the request. */
  secureTransport: boolean;
  /** ListObjectsV2's prefix, the s3:prefix condition key ("" when none is given). */
  prefix?: string;
}

/**
 * What the bucket's policy says of a request from another account. Only the bucket policy
 * decides: the sandbox has no IAM identity policies, so the caller's own account is taken
 * to allow whatever it asks (AWS needs both to allow a cross-account request).
 */
export function bucketPolicyDecision(store: LocalObjectStore, question: BucketPolicyQuestion): PolicyDecision {
  const text = store.bucketPolicy(question.bucket);
  if (text === undefined) return 'none';
  const { action, on } = OPERATION_ACTIONS[question.operation];
  const bucketArn = `arn:aws:s3:::${question.bucket}`;
  return evaluateBucketPolicy(parseBucketPolicy(text, question.bucket), {
    accountId: question.accountId,
    action,
    resourceArn: on === 'bucket' ? bucketArn : `${bucketArn}/${question.key ?? ''}`,
    context: {
      'aws:securetransport': String(question.secureTransport),
      'aws:principalaccount': question.accountId,
      ...(action === 's3:ListBucket' && question.prefix !== undefined ? { 's3:prefix': question.prefix } : {}),
    },
  });
}
