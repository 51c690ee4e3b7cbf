import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { callerAccountId } from '../aws-protocol/caller-account';
import { listenLocally, type ListeningEndpoint } from '../aws-protocol/local-server';
import { readRequestBytes } from '../aws-protocol/request-body';
import { escapeXml } from '../aws-protocol/xml-text';
import { MalformedPolicyError, parseBucketPolicy } from './bucket-policy';
import type { LocalObjectStore } from './object-store';
import { bucketPolicyDecision, type S3Operation } from './s3-authorization';

function answerError(response: ServerResponse, status: number, code: string, message: string, resource: string): void {
  response.writeHead(status, { 'content-type': 'application/xml', 'x-amz-request-id': randomUUID() });
  response.end(
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${escapeXml(message)}</Message><Resource>${escapeXml(resource)}</Resource></Error>`,
  );
}

/** Whether a body was sent with `aws-chunked` encoding (SigV4 streaming): the payload is framed in chunks. */
function decodeAwsChunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset < body.length) {
    const lineEnd = body.indexOf('\r\n', offset);
    if (lineEnd < 0) break;
    const size = parseInt(body.subarray(offset, lineEnd).toString('ascii').split(';')[0] ?? '0', 16);
    if (!size) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

const POLICY_OPERATIONS: Record<string, S3Operation> = { PUT: 'PutBucketPolicy', GET: 'GetBucketPolicy', DELETE: 'DeleteBucketPolicy' };
const OBJECT_OPERATIONS: Record<string, S3Operation> = { GET: 'GetObject', HEAD: 'HeadObject', PUT: 'PutObject', DELETE: 'DeleteObject' };

/** Which operation a path-style request is, or undefined for one the sandbox does not serve. */
function operationOf(method = '', key: string, query: URLSearchParams): S3Operation | undefined {
  if (key) return OBJECT_OPERATIONS[method];
  if (query.has('policy')) return POLICY_OPERATIONS[method];
  return method === 'GET' && query.get('list-type') === '2' ? 'ListObjectsV2' : undefined;
}

export interface S3EndpointOptions {
  host?: string;
  port?: number;
  /**
   * What aws:SecureTransport is in bucket policy conditions. The endpoint is plain HTTP on
   * the loopback, standing in for S3's HTTPS endpoint that the SDK and CLI use; with false a
   * CDK `enforceSSL` bucket denies every other account, as S3 would over plain HTTP.
   * @default true
   */
  secureTransport?: boolean;
}

/**
 * A local Amazon S3 endpoint, path-style (`/bucket/key`), for what certflow needs of S3:
 * PutObject, GetObject, HeadObject, DeleteObject, ListObjectsV2 and the bucket policy
 * operations, so `aws s3 cp --endpoint-url` and the CLI can hand a migration manifest to the
 * Step Functions engine's ItemReader, and the peer account can read what a bucket policy
 * grants it. The owner account (the one whose stack created the bucket) may do anything: the
 * sandbox has no IAM identity policies, and it does not apply a bucket policy's Deny to the
 * owner either. Another account may do what the bucket policy allows (s3-authorization.ts).
 */
export async function startS3Endpoint(store: LocalObjectStore, options: S3EndpointOptions = {}): Promise<ListeningEndpoint> {
  const secureTransport = options.secureTransport ?? true;
  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const [, bucket = '', ...keyParts] = url.pathname.split('/');
      const key = decodeURIComponent(keyParts.join('/'));
      const resource = url.pathname;
      const accountId = callerAccountId(request.headers);
      if (!accountId) return answerError(response, 403, 'AccessDenied', 'Access Denied', resource);
      const owner = store.bucketOwner(bucket);
      if (!owner) return answerError(response, 404, 'NoSuchBucket', 'The specified bucket does not exist', resource);
      // "If the account ID that you provide does not match the actual owner of the bucket, the
      // request fails with the HTTP status code 403 Forbidden (access denied)."
      const expectedOwner = request.headers['x-amz-expected-bucket-owner'];
      if (expectedOwner !== undefined && expectedOwner !== owner)
        return answerError(response, 403, 'AccessDenied', 'Access Denied', resource);
      const operation = operationOf(request.method, key, url.searchParams);
      if (!operation)
        return answerError(
          response,
          501,
          'NotImplemented',
          `${request.method} ${resource} is not implemented by the sandbox's S3`,
          resource,
        );
      const isOwner = owner === accountId;
      const decision = (asked: S3Operation, prefix?: string) =>
        isOwner ? 'allow' : bucketPolicyDecision(store, { bucket, key, operation: asked, accountId, secureTransport, prefix });

      if (operation === 'PutBucketPolicy' || operation === 'GetBucketPolicy' || operation === 'DeleteBucketPolicy') {
        if (!isOwner) {
          // The API reference: without the permission 403 Access Denied; with it, "but you're not
          // using an identity that belongs to the bucket owner's account", 405 Method Not Allowed.
          return decision(operation) === 'allow'
            ? answerError(response, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', resource)
            : answerError(response, 403, 'AccessDenied', 'Access Denied', resource);
        }
        return answerBucketPolicy(store, operation, bucket, resource, request, response);
      }
      const prefix = operation === 'ListObjectsV2' ? (url.searchParams.get('prefix') ?? '') : undefined;
      if (decision(operation, prefix) !== 'allow') return answerError(response, 403, 'AccessDenied', 'Access Denied', resource);

      if (operation === 'PutObject') {
        const body = await readBody(request);
        const stored = store.putObject(bucket, key, body, request.headers['content-type']);
        response.writeHead(200, { etag: stored.etag, 'x-amz-request-id': randomUUID() });
        return response.end();
      }
      if (operation === 'DeleteObject') {
        store.deleteObject(bucket, key);
        response.writeHead(204, { 'x-amz-request-id': randomUUID() });
        return response.end();
      }
      if (operation === 'GetObject' || operation === 'HeadObject') {
        const object = store.getObject(bucket, key);
        if (!object) {
          // GetObject's and HeadObject's Permissions: with s3:ListBucket a missing key is
          // 404 NoSuchKey; without it, 403 Access Denied.
          // https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
          return decision('ListObjectsV2') === 'allow'
            ? answerError(response, 404, 'NoSuchKey', 'The specified key does not exist.', resource)
            : answerError(response, 403, 'AccessDenied', 'Access Denied', resource);
        }
        response.writeHead(200, {
          'content-type': object.contentType ?? 'application/octet-stream',
          'content-length': object.body.length,
          etag: object.etag,
          'last-modified': new Date(object.lastModified).toUTCString(),
          'x-amz-request-id': randomUUID(),
        });
        return response.end(operation === 'HeadObject' ? undefined : object.body);
      }
      const keys = store.listKeys(bucket, prefix);
      const contents = keys
        .map((listed) => {
          const object = store.getObject(bucket, listed);
          return `<Contents><Key>${escapeXml(listed)}</Key><LastModified>${new Date(object?.lastModified ?? 0).toISOString()}</LastModified><ETag>${escapeXml(object?.etag ?? '')}</ETag><Size>${object?.body.length ?? 0}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
        })
        .join('');
      response.writeHead(200, { 'content-type': 'application/xml', 'x-amz-request-id': randomUUID() });
      return response.end(
        `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${escapeXml(bucket)}</Name><Prefix>${escapeXml(prefix ?? '')}</Prefix><KeyCount>${keys.length}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`,
      );
    })().catch((error: unknown) =>
      answerError(response, 500, 'InternalError', error instanceof Error ? error.message : String(error), request.url ?? '/'),
    );
  });
  return listenLocally(server, options);
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const body = await readRequestBytes(request);
  return String(request.headers['content-encoding'] ?? '').includes('aws-chunked') || request.headers['x-amz-decoded-content-length']
    ? decodeAwsChunked(body)
    : body;
}

/**
 * The owner's PutBucketPolicy (204, as the API reference's sample answers; the model says
 * 200 and the SDK takes either), GetBucketPolicy (the policy as sent, or 404
 * NoSuchBucketPolicy) and DeleteBucketPolicy (204, also when there was none).
 */
async function answerBucketPolicy(
  store: LocalObjectStore,
  operation: 'PutBucketPolicy' | 'GetBucketPolicy' | 'DeleteBucketPolicy',
  bucket: string,
  resource: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  if (operation === 'PutBucketPolicy') {
    const text = (await readBody(request)).toString('utf8');
    try {
      parseBucketPolicy(text, bucket);
    } catch (error) {
      if (error instanceof MalformedPolicyError) return answerError(response, 400, 'MalformedPolicy', error.message, resource);
      throw error;
    }
    store.putBucketPolicy(bucket, text);
    response.writeHead(204, { 'x-amz-request-id': randomUUID() });
    return void response.end();
  }
  if (operation === 'DeleteBucketPolicy') {
    store.deleteBucketPolicy(bucket);
    response.writeHead(204, { 'x-amz-request-id': randomUUID() });
    return void response.end();
  }
  const policy = store.bucketPolicy(bucket);
  if (policy === undefined) return answerError(response, 404, 'NoSuchBucketPolicy', 'The bucket policy does not exist', resource);
  response.writeHead(200, { 'content-type': 'application/json', 'x-amz-request-id': randomUUID() });
  response.end(policy);
}
