import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/** Each object's bytes live in a file of their own; the index names them. */
function objectFile(bucket: string, key: string): string {
  return `${createHash('sha256').update(`${bucket}/${key}`).digest('hex')}.object`;
}

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
  private readonly buckets = new Map<string, { accountId: string; objects: Map<string, StoredObject> }>();

  constructor(private readonly dataDir?: string) {
    if (dataDir) {
      mkdirSync(dataDir, { recursive: true });
      const index = path.join(dataDir, 'buckets.json');
      if (existsSync(index)) {
        const saved = JSON.parse(readFileSync(index, 'utf8')) as Record<
          string,
          { accountId: string; objects: Record<string, Omit<StoredObject, 'body'> & { file: string }> }
        >;
        for (const [bucket, { accountId, objects }] of Object.entries(saved)) {
          const loaded = new Map<string, StoredObject>();
          for (const [key, { file, ...meta }] of Object.entries(objects))
            loaded.set(key, { ...meta, body: readFileSync(path.join(dataDir, file)) });
          this.buckets.set(bucket, { accountId, objects: loaded });
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

  listKeys(bucket: string, prefix = ''): string[] {
    return [...this.requireBucket(bucket).objects.keys()].filter((key) => key.startsWith(prefix)).sort();
  }

  private requireBucket(bucket: string): { accountId: string; objects: Map<string, StoredObject> } {
    const stored = this.buckets.get(bucket);
    if (!stored) throw Object.assign(new Error(`The specified bucket does not exist: ${bucket}`), { name: 'NoSuchBucket' });
    return stored;
  }

  private save(): void {
    if (!this.dataDir) return;
    const index: Record<string, { accountId: string; objects: Record<string, Omit<StoredObject, 'body'> & { file: string }> }> = {};
    for (const [bucket, { accountId, objects }] of this.buckets) {
      index[bucket] = { accountId, objects: {} };
      for (const [key, { body, ...meta }] of objects) {
        const entry = index[bucket];
        if (entry) entry.objects[key] = { ...meta, file: objectFile(bucket, key) };
      }
    }
    writeFileSync(path.join(this.dataDir, 'buckets.json.tmp'), JSON.stringify(index));
    renameSync(path.join(this.dataDir, 'buckets.json.tmp'), path.join(this.dataDir, 'buckets.json'));
  }
}
