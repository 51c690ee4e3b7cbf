import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { MigrationBatchOffered, MigrationDecided, MigrationProposed } from './migration-messages';
import { PROPOSAL_PARTITION_KEY } from './proposal-store';

/**
 * One side's record of a migration run, in the same table as the transfer proposals (its
 * keys start with `migration#`, and it has no certificateId, so the byCertificate index
 * never holds it). Only this side's functions write it; task tokens stay here.
 *
 * - `migration#<runName>`: the run, the proposal or decision as it arrived, and the token
 *   of the step waiting for the peer (the source's decision and landing waits).
 * - `migration#<runName>#batch#<k>` (target): batch k's offer as it arrived, and the token
 *   of the map item waiting for it. Whichever of the two arrives second wakes the item.
 * - `migration#<runName>#landed#<shard>` (source): the set of landed batches, 1,000 a
 *   shard, so that a re-delivered landing report is counted once and no item grows past
 *   DynamoDB's 400 KB.
 */
export interface MigrationRunRecord {
  proposalId: string;
  kind: 'MIGRATION';
  side: 'SOURCE' | 'TARGET';
  migrationId: string;
  runName: string;
  sourceAwsAccount: string;
  targetAwsAccount: string;
  /** This side's execution for the run. */
  executionId: string;
  batchCount: number;
  proposal?: MigrationProposed;
  decision?: MigrationDecided;
  awaiting?: 'DECISION' | 'LANDINGS';
  taskToken?: string;
  createdAt: string;
  updatedAt: string;
}

export interface BatchOfferRecord {
  proposalId: string;
  offer?: MigrationBatchOffered;
  taskToken?: string;
}

export const LANDED_BATCHES_PER_SHARD = 1000;

export const migrationRecordKeys = {
  run: (runName: string) => `migration#${runName}`,
  batch: (runName: string, batch: number) => `migration#${runName}#batch#${batch}`,
  landedShard: (runName: string, shard: number) => `migration#${runName}#landed#${shard}`,
};

export class MigrationExchangeStore {
  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async getRun(runName: string): Promise<MigrationRunRecord | undefined> {
    return (await this.getItem(migrationRecordKeys.run(runName))) as unknown as MigrationRunRecord | undefined;
  }

  /** Creates the run's record, or returns the one a retried step (or duplicated message) created first. */
  async createRun(
    record: Omit<MigrationRunRecord, 'proposalId' | 'kind' | 'createdAt' | 'updatedAt'>,
  ): Promise<{ record: MigrationRunRecord; created: boolean }> {
    const at = this.now().toISOString();
    const item: MigrationRunRecord = {
      ...record,
      proposalId: migrationRecordKeys.run(record.runName),
      kind: 'MIGRATION',
      createdAt: at,
      updatedAt: at,
    };
    try {
      await this.dynamodb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall(item, { removeUndefinedValues: true }),
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': PROPOSAL_PARTITION_KEY },
        }),
      );
      return { record: item, created: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = await this.getRun(record.runName);
      if (!existing) throw error;
      return { record: existing, created: false };
    }
  }

  /** A step starts waiting: its (new, on a retry) token is kept with what it waits for. */
  async awaitOnRun(runName: string, awaiting: 'DECISION' | 'LANDINGS', taskToken: string): Promise<MigrationRunRecord> {
    const output = await this.dynamodb.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall({ [PROPOSAL_PARTITION_KEY]: migrationRecordKeys.run(runName) }),
        UpdateExpression: 'SET #awaiting = :awaiting, #token = :token, #updatedAt = :at',
        ConditionExpression: 'attribute_exists(#id)',
        ExpressionAttributeNames: {
          '#id': PROPOSAL_PARTITION_KEY,
          '#awaiting': 'awaiting',
          '#token': 'taskToken',
          '#updatedAt': 'updatedAt',
        },
        ExpressionAttributeValues: marshall({ ':awaiting': awaiting, ':token': taskToken, ':at': this.now().toISOString() }),
        ReturnValues: 'ALL_NEW',
      }),
    );
    return unmarshall(output.Attributes ?? {}) as MigrationRunRecord;
  }

  /** Records the target's decision once; a re-delivery gets the record as it is. */
  async recordDecision(runName: string, decision: MigrationDecided): Promise<{ record: MigrationRunRecord; duplicate: boolean }> {
    try {
      const output = await this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ [PROPOSAL_PARTITION_KEY]: migrationRecordKeys.run(runName) }),
          UpdateExpression: 'SET #decision = :decision, #updatedAt = :at',
          ConditionExpression: 'attribute_exists(#id) AND attribute_not_exists(#decision)',
          ExpressionAttributeNames: { '#id': PROPOSAL_PARTITION_KEY, '#decision': 'decision', '#updatedAt': 'updatedAt' },
          ExpressionAttributeValues: marshall({ ':decision': decision, ':at': this.now().toISOString() }, { removeUndefinedValues: true }),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { record: unmarshall(output.Attributes ?? {}) as MigrationRunRecord, duplicate: false };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = await this.getRun(runName);
      if (!existing) throw new MigrationRunNotFound(runName, { cause: error });
      return { record: existing, duplicate: true };
    }
  }

  /** Target: batch k's offer, recorded once; the waiting item's token (if it registered first) comes back. */
  async recordBatchOffer(runName: string, offer: MigrationBatchOffered): Promise<{ record: BatchOfferRecord; duplicate: boolean }> {
    const key = migrationRecordKeys.batch(runName, offer.batch);
    try {
      const output = await this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ [PROPOSAL_PARTITION_KEY]: key }),
          UpdateExpression: 'SET #offer = :offer',
          ConditionExpression: 'attribute_not_exists(#offer)',
          ExpressionAttributeNames: { '#offer': 'offer' },
          ExpressionAttributeValues: marshall({ ':offer': offer }),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { record: unmarshall(output.Attributes ?? {}) as BatchOfferRecord, duplicate: false };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return { record: ((await this.getItem(key)) ?? { proposalId: key }) as unknown as BatchOfferRecord, duplicate: true };
    }
  }

  /** Target: the map item for batch k waits; the offer comes back if it arrived first. */
  async awaitBatchOffer(runName: string, batch: number, taskToken: string): Promise<BatchOfferRecord> {
    const output = await this.dynamodb.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall({ [PROPOSAL_PARTITION_KEY]: migrationRecordKeys.batch(runName, batch) }),
        UpdateExpression: 'SET #token = :token',
        ExpressionAttributeNames: { '#token': 'taskToken' },
        ExpressionAttributeValues: marshall({ ':token': taskToken }),
        ReturnValues: 'ALL_NEW',
      }),
    );
    return unmarshall(output.Attributes ?? {}) as BatchOfferRecord;
  }

  async getBatchOffer(runName: string, batch: number): Promise<BatchOfferRecord | undefined> {
    return (await this.getItem(migrationRecordKeys.batch(runName, batch))) as unknown as BatchOfferRecord | undefined;
  }

  /**
   * Source: counts batch k as landed, once. Returns how many batches have landed when that
   * is cheap to know for sure (the shard is not complete: fewer than all), or after reading
   * every shard when this one is complete.
   */
  async recordLandedBatch(runName: string, batch: number, batchCount: number): Promise<{ duplicate: boolean; landedBatches: number }> {
    const shard = Math.floor(batch / LANDED_BATCHES_PER_SHARD);
    let duplicate = false;
    let shardSize: number;
    try {
      const output = await this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ [PROPOSAL_PARTITION_KEY]: migrationRecordKeys.landedShard(runName, shard) }),
          UpdateExpression: 'ADD #landed :batch',
          ConditionExpression: 'NOT contains(#landed, :batchNumber)',
          ExpressionAttributeNames: { '#landed': 'landedBatches' },
          ExpressionAttributeValues: { ':batch': { NS: [String(batch)] }, ':batchNumber': { N: String(batch) } },
          ReturnValues: 'ALL_NEW',
        }),
      );
      shardSize = (unmarshall(output.Attributes ?? {}).landedBatches as Set<number> | undefined)?.size ?? 0;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      duplicate = true;
      shardSize = await this.landedInShard(runName, shard);
    }
    const shardCapacity = Math.min(LANDED_BATCHES_PER_SHARD, batchCount - shard * LANDED_BATCHES_PER_SHARD);
    if (shardSize < shardCapacity) return { duplicate, landedBatches: -1 };
    return { duplicate, landedBatches: await this.landedBatches(runName, batchCount) };
  }

  /** Every shard read: how many batches have landed. */
  async landedBatches(runName: string, batchCount: number): Promise<number> {
    let landed = 0;
    for (let shard = 0; shard * LANDED_BATCHES_PER_SHARD < batchCount; shard += 1) landed += await this.landedInShard(runName, shard);
    return landed;
  }

  private async landedInShard(runName: string, shard: number): Promise<number> {
    const item = await this.getItem(migrationRecordKeys.landedShard(runName, shard));
    return (item?.landedBatches as Set<number> | undefined)?.size ?? 0;
  }

  private async getItem(key: string): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.dynamodb.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall({ [PROPOSAL_PARTITION_KEY]: key }), ConsistentRead: true }),
    );
    return Item ? unmarshall(Item) : undefined;
  }
}

export class MigrationRunNotFound extends Error {
  override readonly name = 'MigrationRunNotFound';

  constructor(
    readonly runName: string,
    options?: ErrorOptions,
  ) {
    super(`no migration run ${runName} on this side`, options);
  }
}
