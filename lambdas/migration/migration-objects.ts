import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** Where a migration keeps its files in the side's migration bucket. */
export const migrationKeys = {
  /** What the job uploads on the source side: `{"certificateIds": [...]}` or `{"selector": {...}}`. */
  manifest: (migrationId: string) => `migrations/${migrationId}/manifest.json`,
  /** The certificate ids a selector resolved to on the migration's first run: later runs move the same ones. */
  resolvedSelector: (migrationId: string) => `migrations/${migrationId}/resolved-selector.json`,
  /** What the job uploads on the target side: the source account and the certificates it offered. */
  offers: (migrationId: string) => `migrations/${migrationId}/offers.json`,
  /** One run (execution) of a migration; a resumed migration is a new run. */
  run: (migrationId: string, runName: string) => `migrations/${migrationId}/runs/${runName}`,
};

/** Where the source keeps the target's landing report for batch `batch` of a run. */
export function landingReportKey(migrationId: string, runName: string, batch: number): string {
  return `${migrationKeys.run(migrationId, runName)}/landings/${batch}.json`;
}

/** The files of one run. Each step writes its own, so a retried step never reads what it wrote itself. */
export function runFiles(migrationId: string, runName: string) {
  const run = migrationKeys.run(migrationId, runName);
  return {
    /** Certificates settled without an Action by the plan. */
    plannedOutcomes: `${run}/planned-outcomes.json`,
    /** ... and after the source's inspection. */
    inspectedOutcomes: `${run}/inspected-outcomes.json`,
    inspectItems: `${run}/inspect-items.json`,
    transferItems: `${run}/transfer-items.json`,
    answerItems: `${run}/answer-items.json`,
    /** Prefix the Distributed Maps' ResultWriters write under. */
    mapResults: `${run}/map-results`,
    outcomes: `${run}/outcomes.json`,
  };
}

/** The JSON objects a migration reads and writes. */
export interface MigrationObjects {
  readonly bucket: string;
  readJson(key: string): Promise<unknown>;
  writeJson(key: string, value: unknown): Promise<void>;
}

export class S3MigrationObjects implements MigrationObjects {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  async readJson(key: string): Promise<unknown> {
    const output = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    const text = (await output.Body?.transformToString('utf8')) ?? '';
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new Error(`s3://${this.bucket}/${key} is not valid JSON`);
    }
  }

  async writeJson(key: string, value: unknown): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: JSON.stringify(value), ContentType: 'application/json' }),
    );
  }
}

/** The object's JSON, or undefined when there is no such key. */
export async function readJsonIfExists(objects: MigrationObjects, key: string): Promise<unknown> {
  try {
    return await objects.readJson(key);
  } catch (error) {
    if (error instanceof Error && error.name === 'NoSuchKey') return undefined;
    throw error;
  }
}

/** A child execution's entry in a Distributed Map's ResultWriter files. */
interface ChildResultEntry {
  Input?: string;
  Output?: string;
  Error?: string;
  Cause?: string;
}

/** What one batch of a Distributed Map gave back: the outputs of the batches that succeeded, the inputs of those that failed. */
export interface MapRunResults<Item, Result> {
  results: Result[];
  failedBatches: Array<{ items: Item[]; error: string; cause: string }>;
}

/**
 * Reads a Map Run's results through the manifest.json its ResultWriter wrote: each
 * succeeded child's Output (a list of per-item results) and each failed child's Input
 * (its batch of items), so that no item goes unreported.
 */
export async function readMapRunResults<Item, Result>(
  objects: MigrationObjects,
  manifestKey: string,
): Promise<MapRunResults<Item, Result>> {
  const manifest = (await objects.readJson(manifestKey)) as { ResultFiles?: Record<string, Array<{ Key: string }>> };
  const files = manifest.ResultFiles ?? {};
  const results: Result[] = [];
  const failedBatches: MapRunResults<Item, Result>['failedBatches'] = [];
  for (const file of files.SUCCEEDED ?? []) {
    for (const entry of (await objects.readJson(file.Key)) as ChildResultEntry[]) {
      results.push(...(JSON.parse(entry.Output ?? '[]') as Result[]));
    }
  }
  for (const file of [...(files.FAILED ?? []), ...(files.PENDING ?? [])]) {
    for (const entry of (await objects.readJson(file.Key)) as ChildResultEntry[]) {
      const input = JSON.parse(entry.Input ?? '{}') as { Items?: Item[] };
      failedBatches.push({ items: input.Items ?? [], error: entry.Error ?? 'States.Unknown', cause: entry.Cause ?? '' });
    }
  }
  return { results, failedBatches };
}
