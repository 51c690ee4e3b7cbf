import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/** Each object's bytes live in a file of their own; the index names them. */
function objectFile(bucket: string, key: string): string {
  return `${createHash('sha256').update(`${bucket}/${key}`).digest('hex')}.object`;
}

interface StoredBucket {
  accountId: string;
  objects: Map<string, StoredObject>;
  /** The bucket policy as PutBucketPolicy or the stack's AWS::S3::BucketPolicy gave it. */
  policy?: string;
}

type SavedIndex = Record<
  string,
  { accountId: string; policy?: string; objects: Record<string, Omit<StoredObject, 'body'> & { file: string }> }
>;

export interface StoredObject {
  body: Buffer;
  etag: string;
  lastModified: number;
  contentType?: string;
}

/**
 * The sandbox's S3 objects, per account and bucket: what the S3 endpoint serves and
 * what the Step Functions engine reads (Distributed Map ItemReader) and writes
 * (ResultWriter). Kept as files in the data folder when one is given.
 */
export class LocalObjectStore {
  private readonly buckets = new Map<string, StoredBucket>();

  constructor(private readonly dataDir?: string) {
    if (dataDir) {
      mkdirSync(dataDir, { recursive: true });
      const index = path.join(dataDir, 'buckets.json');
      if (existsSync(index)) {
        const saved = JSON.parse(readFileSync(index, 'utf8')) as SavedIndex;
        for (const [bucket, { accountId, policy, objects }] of Object.entries(saved)) {
          const loaded = new Map<string, StoredObject>();
          for (const [key, { file, ...meta }] of Object.entries(objects))
            loaded.set(key, { ...meta, body: readFileSync(path.join(dataDir, file)) });
          this.buckets.set(bucket, { accountId, objects: loaded, ...(policy === undefined ? {} : { policy }) });
        }
      }
    }
  }

  /** Creates the bucket for its account (as a stack deploy does); an existing one is kept. */
  createBucket(accountId: string, bucket: string): void {
    if (!this.buckets.has(bucket)) {
      this.buckets.set(bucket, { accountId, objects: new Map() });
      this.save();
    }
  }

  bucketOwner(bucket: string): string | undefined {
    return this.buckets.get(bucket)?.accountId;
  }

  /** Sets the bucket's policy text; the caller has checked it (parseBucketPolicy). */
  putBucketPolicy(bucket: string, policy: string): void {
    this.requireBucket(bucket).policy = policy;
    this.save();
  }

  bucketPolicy(bucket: string): string | undefined {
    return this.buckets.get(bucket)?.policy;
  }

  deleteBucketPolicy(bucket: string): void {
    delete this.requireBucket(bucket).policy;
    this.save();
  }

  putObject(bucket: string, key: string, body: Buffer, contentType?: string): StoredObject {
    const stored = this.requireBucket(bucket);
    const object = { body, etag: `"${createHash('md5').update(body).digest('hex')}"`, lastModified: Date.now(), contentType };
    stored.objects.set(key, object);
    if (this.dataDir) writeFileSync(path.join(this.dataDir, objectFile(bucket, key)), body);
    this.save();
    return object;
  }

  getObject(bucket: string, key: string): StoredObject | undefined {
    return this.buckets.get(bucket)?.objects.get(key);
  }

  /** Removes an object; a key that is not there is no error (S3 answers 204 either way). */
  deleteObject(bucket: string, key: string): void {
    const stored = this.requireBucket(bucket);
    if (!stored.objects.delete(key)) return;
    if (this.dataDir) rmSync(path.join(this.dataDir, objectFile(bucket, key)), { force: true });
    this.save();
  }

  listKeys(bucket: string, prefix = ''): string[] {
    return [...this.requireBucket(bucket).objects.keys()].filter((key) => key.startsWith(prefix)).sort();
  }

  private requireBucket(bucket: string): StoredBucket {
    const stored = this.buckets.get(bucket);
    if (!stored) throw Object.assign(new Error(`The specified bucket does not exist: ${bucket}`), { name: 'NoSuchBucket' });
    return stored;
  }

  private save(): void {
    if (!this.dataDir) return;
    const index: SavedIndex = {};
    for (const [bucket, { accountId, policy, objects }] of this.buckets) {
      index[bucket] = { accountId, ...(policy === undefined ? {} : { policy }), objects: {} };
      for (const [key, { body, ...meta }] of objects) {
        const entry = index[bucket];
        if (entry) entry.objects[key] = { ...meta, file: objectFile(bucket, key) };
      }
    }
    writeFileSync(path.join(this.dataDir, 'buckets.json.tmp'), JSON.stringify(index));
    renameSync(path.join(this.dataDir, 'buckets.json.tmp'), path.join(this.dataDir, 'buckets.json'));
  }
}
