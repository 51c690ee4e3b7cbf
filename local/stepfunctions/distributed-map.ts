import { isJsonObject, type Json, type JsonObject } from './json-value';
import { applyPayloadTemplate, type DataScope, requirePath } from './payload-template';
import { type StateDefinition } from './state-machine-definition';
import { runtimeError, StatesError, StatesErrorName } from './stepfunctions-errors';

/** The part of the sandbox's S3 store (`LocalObjectStore`) that ItemReader and ResultWriter use. */
export interface MapRunObjectStore {
  getObject(bucket: string, key: string): { body: Buffer } | undefined;
  putObject(bucket: string, key: string, body: Buffer, contentType?: string): unknown;
  bucketOwner(bucket: string): string | undefined;
}

const S3_GET_OBJECT = /^arn:aws[a-zA-Z-]*:states:::s3:getObject$/;
const S3_PUT_OBJECT = /^arn:aws[a-zA-Z-]*:states:::s3:putObject$/;
const INPUT_TYPES = new Set(['JSON', 'JSONL', 'CSV']);
/** The ItemReader page: MaxItems goes up to 100,000,000. */
const MAX_ITEMS_LIMIT = 100_000_000;
const CSV_DELIMITERS: Record<string, string> = { COMMA: ',', PIPE: '|', SEMICOLON: ';', SPACE: ' ', TAB: '\t' };
/** What AWS runs at once when a Distributed Map sets no MaxConcurrency. */
export const DISTRIBUTED_MAP_DEFAULT_CONCURRENCY = 10_000;

/**
 * Why a Distributed Map definition cannot run here, or undefined when it can: only reading
 * one S3 object (JSON, JSONL or CSV) and writing results with s3:putObject are supported.
 */
export function unsupportedDistributedMapFeature(state: StateDefinition): string | undefined {
  const reader = state.ItemReader;
  if (reader !== undefined) {
    if (!isJsonObject(reader)) return 'its ItemReader is not an object';
    const resource = typeof reader.Resource === 'string' ? reader.Resource : '';
    if (!S3_GET_OBJECT.test(resource))
      return `its ItemReader resource '${resource}' is not supported (only arn:aws:states:::s3:getObject reading a JSON, JSONL or CSV object)`;
    const config = isJsonObject(reader.ReaderConfig) ? reader.ReaderConfig : {};
    const inputType = typeof config.InputType === 'string' ? config.InputType : '';
    if (!INPUT_TYPES.has(inputType)) return `its ItemReader InputType '${inputType}' is not supported (JSON, JSONL or CSV)`;
    if (config.CSVDelimiter !== undefined && !(String(config.CSVDelimiter) in CSV_DELIMITERS))
      return `its ItemReader CSVDelimiter '${String(config.CSVDelimiter)}' is not supported`;
  }
  const writer = state.ResultWriter;
  if (writer !== undefined) {
    if (!isJsonObject(writer)) return 'its ResultWriter is not an object';
    if ('WriterConfig' in writer) return 'its ResultWriter has a WriterConfig (output transformations), which is not supported';
    const resource = typeof writer.Resource === 'string' ? writer.Resource : '';
    if (!S3_PUT_OBJECT.test(resource))
      return `its ResultWriter resource '${resource}' is not supported (only arn:aws:states:::s3:putObject)`;
  }
  return undefined;
}

function readerFailed(cause: string): StatesError {
  return new StatesError(StatesErrorName.ItemReaderFailed, cause);
}

/** Bucket and key (or prefix) from an ItemReader or ResultWriter's Parameters, paths resolved on the state input. */
export function s3Location(parameters: Json | undefined, scope: DataScope, second: 'Key' | 'Prefix'): { bucket: string; path: string } {
  const resolved = parameters === undefined ? {} : applyPayloadTemplate(parameters, scope);
  const fields: JsonObject = isJsonObject(resolved) ? resolved : {};
  const bucket = fields.Bucket;
  const path = fields[second] ?? (second === 'Prefix' ? '' : undefined);
  if (typeof bucket !== 'string' || typeof path !== 'string')
    throw runtimeError(
      `The Parameters of an ItemReader or ResultWriter must give Bucket and ${second} as strings, got ${JSON.stringify(resolved)}`,
    );
  return { bucket, path };
}

/** Reads the items an ItemReader names; a missing object or another account's bucket fails with States.ItemReaderFailed. */
export function readItems(reader: JsonObject, scope: DataScope, store: MapRunObjectStore | undefined, accountId: string): Json[] {
  const { bucket, path: key } = s3Location(reader.Parameters, scope, 'Key');
  if (!store) throw readerFailed(`The local Step Functions engine has no object store to read s3://${bucket}/${key} from`);
  if (store.bucketOwner(bucket) !== accountId)
    throw readerFailed(`Access denied or no such bucket reading s3://${bucket}/${key} (the bucket must belong to account ${accountId})`);
  const object = store.getObject(bucket, key);
  if (!object) throw readerFailed(`The specified key does not exist: s3://${bucket}/${key}`);
  const config = isJsonObject(reader.ReaderConfig) ? reader.ReaderConfig : {};
  const text = object.body.toString('utf8');
  let items: Json[];
  try {
    if (config.InputType === 'CSV') items = csvItems(text, config);
    else if (config.InputType === 'JSONL')
      items = text
        .split(/\r?\n/)
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Json);
    else {
      const parsed = JSON.parse(text) as Json;
      if (!Array.isArray(parsed)) throw new Error('the object is not a JSON array');
      items = parsed;
    }
  } catch (error) {
    if (error instanceof StatesError) throw error;
    throw readerFailed(`Could not read items from s3://${bucket}/${key}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const maxItems = config.MaxItemsPath !== undefined ? requirePath(String(config.MaxItemsPath), scope, 'MaxItemsPath') : config.MaxItems;
  if (
    maxItems !== undefined &&
    (typeof maxItems !== 'number' || !Number.isInteger(maxItems) || maxItems < 0 || maxItems > MAX_ITEMS_LIMIT)
  ) {
    throw runtimeError(
      `The MaxItemsPath of the ItemReader selected ${JSON.stringify(maxItems)}: MaxItems must be an integer from 0 to ${MAX_ITEMS_LIMIT}`,
    );
  }
  // MaxItems 0 (or none) reads every item.
  return typeof maxItems === 'number' && maxItems > 0 ? items.slice(0, maxItems) : items;
}

function csvItems(text: string, config: JsonObject): Json[] {
  const rows = parseCsv(text, CSV_DELIMITERS[String(config.CSVDelimiter ?? 'COMMA')] ?? ',');
  let headers: string[];
  if (config.CSVHeaderLocation === 'GIVEN') {
    if (!Array.isArray(config.CSVHeaders)) throw new Error('CSVHeaderLocation GIVEN needs CSVHeaders');
    headers = config.CSVHeaders.map(String);
  } else {
    headers = rows.shift() ?? [];
    const duplicate = headers.find((header, index) => headers.indexOf(header) !== index);
    if (duplicate !== undefined) throw new Error(`the first row names the CSV header '${duplicate}' more than once`);
  }
  return rows.map((row) => Object.fromEntries(headers.map((header, index) => [header, row[index] ?? ''])));
}

/** RFC 4180: quoted fields may hold delimiters, line breaks and doubled quotes; blank lines are skipped. */
function parseCsv(text: string, delimiter: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const endRow = () => {
    row.push(field);
    if (row.length > 1 || row[0] !== '') rows.push(row);
    row = [];
    field = '';
  };
  for (let index = 0; index < text.length; index++) {
    const char = text[index] as string;
    if (quoted) {
      if (char !== '"') field += char;
      else if (text[index + 1] === '"') {
        field += '"';
        index++;
      } else quoted = false;
    } else if (char === '"') quoted = true;
    else if (char === delimiter) {
      row.push(field);
      field = '';
    } else if (char === '\n') endRow();
    else if (char !== '\r') field += char;
  }
  if (field !== '' || row.length > 0) endRow();
  return rows;
}

function positiveIntegerSetting(fixed: Json | undefined, path: Json | undefined, scope: DataScope, field: string): number | undefined {
  const value = path !== undefined ? requirePath(String(path), scope, `${field}Path`) : fixed;
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0)
    throw runtimeError(`${field} of the ItemBatcher must be a positive integer, got ${JSON.stringify(value)}`);
  return value;
}

/** Groups the selected items as ItemBatcher asks; each child then gets `{ Items, BatchInput? }`. */
export function batchItems(batcher: JsonObject, selected: Json[], scope: DataScope): Array<{ input: Json; size: number }> {
  const maxItems =
    positiveIntegerSetting(batcher.MaxItemsPerBatch, batcher.MaxItemsPerBatchPath, scope, 'MaxItemsPerBatch') ?? Number.MAX_SAFE_INTEGER;
  const maxBytes =
    positiveIntegerSetting(batcher.MaxInputBytesPerBatch, batcher.MaxInputBytesPerBatchPath, scope, 'MaxInputBytesPerBatch') ??
    Number.MAX_SAFE_INTEGER;
  const batchInput = batcher.BatchInput !== undefined ? applyPayloadTemplate(batcher.BatchInput, scope) : undefined;
  const batches: Array<{ input: Json; size: number }> = [];
  let current: Json[] = [];
  let bytes = 0;
  const flush = () => {
    if (current.length === 0) return;
    batches.push({
      input: batchInput !== undefined ? { Items: current, BatchInput: batchInput } : { Items: current },
      size: current.length,
    });
    current = [];
    bytes = 0;
  };
  for (const item of selected) {
    const itemBytes = Buffer.byteLength(JSON.stringify(item));
    if (current.length >= maxItems || (current.length > 0 && bytes + itemBytes > maxBytes)) flush();
    current.push(item);
    bytes += itemBytes;
  }
  flush();
  return batches;
}

/** ToleratedFailureCount / ToleratedFailurePercentage (or their paths): how many failed items the run survives. */
export function toleratedFailures(state: StateDefinition, scope: DataScope, totalItems: number): number {
  const setting = (fixed: number | undefined, path: string | undefined, field: string): number | undefined => {
    const value = path !== undefined ? requirePath(path, scope, `${field}Path`) : fixed;
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || value < 0) throw runtimeError(`${field} must be a non-negative number, got ${JSON.stringify(value)}`);
    if (field === 'ToleratedFailurePercentage' && value > 100)
      throw runtimeError(`ToleratedFailurePercentage must be from 0 to 100, got ${value}`);
    if (field === 'ToleratedFailureCount' && !Number.isInteger(value))
      throw runtimeError(`ToleratedFailureCount must be an integer, got ${value}`);
    return value;
  };
  const count = setting(state.ToleratedFailureCount, state.ToleratedFailureCountPath, 'ToleratedFailureCount');
  const percentage = setting(state.ToleratedFailurePercentage, state.ToleratedFailurePercentagePath, 'ToleratedFailurePercentage');
  const limits = [
    count ?? (percentage === undefined ? 0 : Infinity),
    percentage !== undefined ? Math.floor((percentage / 100) * totalItems) : Infinity,
  ];
  return Math.min(...limits);
}

export function exceededThresholdError(failedItems: number, totalItems: number): StatesError {
  return new StatesError(
    StatesErrorName.ExceedToleratedFailureThreshold,
    `The specified tolerated failure threshold was exceeded: ${failedItems} of ${totalItems} items failed`,
  );
}

/** One child execution as the ResultWriter files list it. */
export interface ChildExecutionResult {
  executionArn: string;
  name: string;
  stateMachineArn: string;
  input: string;
  startDate: number;
  stopDate: number;
  outcome: { status: 'SUCCEEDED'; output: string } | { status: 'FAILED'; error: string; cause: string };
}

export function childResultEntry(child: ChildExecutionResult): JsonObject {
  const outcome: JsonObject =
    child.outcome.status === 'SUCCEEDED'
      ? { Output: child.outcome.output, OutputDetails: { Included: true } }
      : { Error: child.outcome.error, Cause: child.outcome.cause };
  return {
    ExecutionArn: child.executionArn,
    Input: child.input,
    InputDetails: { Included: true },
    Name: child.name,
    ...outcome,
    RedriveCount: 0,
    RedriveStatus: 'NOT_REDRIVABLE',
    StartDate: new Date(child.startDate).toISOString(),
    StateMachineArn: child.stateMachineArn,
    Status: child.outcome.status,
    StopDate: new Date(child.stopDate).toISOString(),
  };
}

/**
 * Writes a Map Run's results as AWS lays them out under `<Prefix>/<map run id>/`: one file of
 * succeeded and one of failed children, and manifest.json listing them. Returns the state's result.
 */
export function writeMapRunResults(
  store: MapRunObjectStore | undefined,
  target: { bucket: string; path: string },
  accountId: string,
  mapRun: { arn: string; id: string },
  children: readonly ChildExecutionResult[],
): Json {
  const fail = (cause: string) => new StatesError(StatesErrorName.ResultWriterFailed, cause);
  if (!store) throw fail(`The local Step Functions engine has no object store to write s3://${target.bucket} to`);
  if (store.bucketOwner(target.bucket) !== accountId)
    throw fail(`Access denied or no such bucket writing to s3://${target.bucket} (the bucket must belong to account ${accountId})`);
  const folder = `${target.path ? `${target.path.replace(/\/+$/, '')}/` : ''}${mapRun.id}`;
  const files: Record<'SUCCEEDED' | 'FAILED' | 'PENDING', Json[]> = { SUCCEEDED: [], FAILED: [], PENDING: [] };
  for (const status of ['SUCCEEDED', 'FAILED'] as const) {
    const entries = children.filter((child) => child.outcome.status === status).map(childResultEntry);
    if (entries.length === 0) continue;
    const key = `${folder}/${status}_0.json`;
    const body = Buffer.from(JSON.stringify(entries), 'utf8');
    store.putObject(target.bucket, key, body, 'application/json');
    files[status].push({ Key: key, Size: body.length });
  }
  const manifestKey = `${folder}/manifest.json`;
  const manifest = { DestinationBucket: target.bucket, MapRunArn: mapRun.arn, ResultFiles: files };
  store.putObject(target.bucket, manifestKey, Buffer.from(JSON.stringify(manifest), 'utf8'), 'application/json');
  return { MapRunArn: mapRun.arn, ResultWriterDetails: { Bucket: target.bucket, Key: manifestKey } };
}
