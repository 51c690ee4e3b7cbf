import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { toAuditTrailError } from '../iot-api/iot-errors';
import type { AuditRow, AuditedAction } from './audit-row';

/** Index names; each read the audit trail serves is one Query on one of them, newest first. */
export const AUDIT_INDEXES = {
  byCertificate: { indexName: 'byCertificate', partitionKey: 'certificateId' },
  byExecution: { indexName: 'byExecution', partitionKey: 'executionId' },
  byRequester: { indexName: 'byRequester', partitionKey: 'requestedBy' },
  byApprover: { indexName: 'byApprover', partitionKey: 'approvedBy' },
} as const;
export const AUDIT_SORT_KEY = 'recordedAt';
export const AUDIT_PARTITION_KEY = 'rowId';
export type AuditIndex = keyof typeof AUDIT_INDEXES;

export interface AuditTrail {
  /** Writes the row unless a row with the same id exists; returns false when it already existed. */
  record(row: AuditRow): Promise<boolean>;
  find(rowId: string): Promise<AuditRow | undefined>;
  /** The newest successful row of the Action for the certificate, if any. */
  latestSuccess(certificateId: string, action: AuditedAction): Promise<AuditRow | undefined>;
  query(index: AuditIndex, key: string, options?: { limit?: number }): Promise<AuditRow[]>;
}

export class DynamoDbAuditTrail implements AuditTrail {
  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async record(row: AuditRow): Promise<boolean> {
    try {
      await this.dynamodb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall(row, { removeUndefinedValues: true }),
          ConditionExpression: 'attribute_not_exists(#rowId)',
          ExpressionAttributeNames: { '#rowId': AUDIT_PARTITION_KEY },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      if (isNamed(error, 'ConditionalCheckFailedException')) return false;
      throw toAuditTrailError(`audit row ${row.rowId} was not written: ${describe(error)}`, error);
    }
  }

  async find(rowId: string): Promise<AuditRow | undefined> {
    try {
      const { Item } = await this.dynamodb.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: marshall({ [AUDIT_PARTITION_KEY]: rowId }),
          ConsistentRead: true,
        }),
      );
      return Item ? (unmarshall(Item) as AuditRow) : undefined;
    } catch (error) {
      throw toAuditTrailError(`audit row ${rowId} could not be read: ${describe(error)}`, error);
    }
  }

  async latestSuccess(certificateId: string, action: AuditedAction): Promise<AuditRow | undefined> {
    let exclusiveStartKey: QueryCommand['input']['ExclusiveStartKey'];
    do {
      const page = await this.read(
        `audit rows of ${certificateId}`,
        new QueryCommand({
          TableName: this.tableName,
          IndexName: AUDIT_INDEXES.byCertificate.indexName,
          KeyConditionExpression: '#pk = :pk',
          FilterExpression: '#action = :action AND #outcome = :succeeded',
          ExpressionAttributeNames: { '#pk': 'certificateId', '#action': 'action', '#outcome': 'outcome' },
          ExpressionAttributeValues: marshall({ ':pk': certificateId, ':action': action, ':succeeded': 'SUCCEEDED' }),
          ScanIndexForward: false,
          ExclusiveStartKey: exclusiveStartKey,
        }),
      );
      const first = page.Items?.[0];
      if (first) return unmarshall(first) as AuditRow;
      exclusiveStartKey = page.LastEvaluatedKey;
    } while (exclusiveStartKey);
    return undefined;
  }

  async query(index: AuditIndex, key: string, options: { limit?: number } = {}): Promise<AuditRow[]> {
    const rows: AuditRow[] = [];
    let exclusiveStartKey: QueryCommand['input']['ExclusiveStartKey'];
    do {
      const page = await this.read(
        `audit rows by ${index}`,
        new QueryCommand({
          TableName: this.tableName,
          IndexName: AUDIT_INDEXES[index].indexName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': AUDIT_INDEXES[index].partitionKey },
          ExpressionAttributeValues: marshall({ ':pk': key }),
          ScanIndexForward: false,
          ExclusiveStartKey: exclusiveStartKey,
        }),
      );
      rows.push(...(page.Items ?? []).map((item) => unmarshall(item) as AuditRow));
      exclusiveStartKey = page.LastEvaluatedKey;
    } while (exclusiveStartKey && (options.limit === undefined || rows.length < options.limit));
    return options.limit === undefined ? rows : rows.slice(0, options.limit);
  }

  /** A query whose failure is an unavailable audit trail, which a workflow retries. */
  private async read(what: string, command: QueryCommand) {
    try {
      return await this.dynamodb.send(command);
    } catch (error) {
      throw toAuditTrailError(`${what} could not be read: ${describe(error)}`, error);
    }
  }
}

function isNamed(error: unknown, name: string): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === name;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
