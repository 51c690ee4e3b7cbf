import { randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import { callerAccountId } from '../aws-protocol/caller-account';
import { listenLocally, type ListeningEndpoint } from '../aws-protocol/local-server';
import { readRequestBytes } from '../aws-protocol/request-body';
import { escapeXml } from '../aws-protocol/xml-text';
import type { LocalObjectStore } from './object-store';

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

/**
 * A local Amazon S3 endpoint, path-style (`/bucket/key`), for what certflow needs of S3:
 * PutObject, GetObject, HeadObject and ListObjectsV2, so `aws s3 cp --endpoint-url` and
 * the CLI can hand a migration manifest to the Step Functions engine's ItemReader.
 * A bucket belongs to the account whose stack created it; other accounts get AccessDenied.
 */
export async function startS3Endpoint(store: LocalObjectStore, options: { host?: string; port?: number } = {}): Promise<ListeningEndpoint> {
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
      if (owner !== accountId) return answerError(response, 403, 'AccessDenied', 'Access Denied', resource);
      if (request.method === 'PUT' && key) {
        let body = await readRequestBytes(request);
        if (String(request.headers['content-encoding'] ?? '').includes('aws-chunked') || request.headers['x-amz-decoded-content-length'])
          body = decodeAwsChunked(body);
        const stored = store.putObject(bucket, key, body, request.headers['content-type']);
        response.writeHead(200, { etag: stored.etag, 'x-amz-request-id': randomUUID() });
        return response.end();
      }
      if ((request.method === 'GET' || request.method === 'HEAD') && key) {
        const object = store.getObject(bucket, key);
        if (!object) return answerError(response, 404, 'NoSuchKey', 'The specified key does not exist.', resource);
        response.writeHead(200, {
          'content-type': object.contentType ?? 'application/octet-stream',
          'content-length': object.body.length,
          etag: object.etag,
          'last-modified': new Date(object.lastModified).toUTCString(),
          'x-amz-request-id': randomUUID(),
        });
        return response.end(request.method === 'HEAD' ? undefined : object.body);
      }
      if (request.method === 'GET' && !key && url.searchParams.get('list-type') === '2') {
        const prefix = url.searchParams.get('prefix') ?? '';
        const keys = store.listKeys(bucket, prefix);
        const contents = keys
          .map((listed) => {
            const object = store.getObject(bucket, listed);
            return `<Contents><Key>${escapeXml(listed)}</Key><LastModified>${new Date(object?.lastModified ?? 0).toISOString()}</LastModified><ETag>${escapeXml(object?.etag ?? '')}</ETag><Size>${object?.body.length ?? 0}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
          })
          .join('');
        response.writeHead(200, { 'content-type': 'application/xml', 'x-amz-request-id': randomUUID() });
        return response.end(
          `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${escapeXml(bucket)}</Name><Prefix>${escapeXml(prefix)}</Prefix><KeyCount>${keys.length}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`,
        );
      }
      answerError(response, 501, 'NotImplemented', `${request.method} ${resource} is not implemented by the sandbox's S3`, resource);
    })().catch((error: unknown) =>
      answerError(response, 500, 'InternalError', error instanceof Error ? error.message : String(error), request.url ?? '/'),
    );
  });
  return listenLocally(server, options);
}
