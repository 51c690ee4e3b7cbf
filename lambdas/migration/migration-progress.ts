import { ConditionalCheckFailedException, GetItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';

/** The phases of a migration run whose progress the job shows. */
export const MIGRATION_PHASES = ['inspect', 'transfer', 'answer', 'land'] as const;
export type MigrationPhase = (typeof MIGRATION_PHASES)[number];

export interface PhaseProgress {
  total: number;
  done: number;
  failed: number;
}

export const MIGRATION_PROGRESS_KEY = 'runName';

/**
 * Counters of one migration run, one item per run. Each batch is counted once: the
 * batch's key goes into a set in the same conditional update, so a batch retried by
 * its workflow does not count twice.
 */
export class MigrationProgress {
  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async setTotal(runName: string, phase: MigrationPhase, total: number): Promise<void> {
    await this.dynamodb.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { [MIGRATION_PROGRESS_KEY]: { S: runName } },
        UpdateExpression: 'SET #total = :total',
        ExpressionAttributeNames: { '#total': `${phase}Total` },
        ExpressionAttributeValues: { ':total': { N: String(total) } },
      }),
    );
  }

  /** Adds one batch's counts; false when the batch had already been counted. */
  async countBatch(runName: string, phase: MigrationPhase, batchKey: string, counts: { done: number; failed: number }): Promise<boolean> {
    try {
      await this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [MIGRATION_PROGRESS_KEY]: { S: runName } },
          UpdateExpression: 'ADD #done :done, #failed :failed, #batches :batch',
          ConditionExpression: 'NOT contains(#batches, :batchKey)',
          ExpressionAttributeNames: { '#done': `${phase}Done`, '#failed': `${phase}Failed`, '#batches': `${phase}Batches` },
          ExpressionAttributeValues: {
            ':done': { N: String(counts.done) },
            ':failed': { N: String(counts.failed) },
            ':batch': { SS: [batchKey] },
            ':batchKey': { S: batchKey },
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async read(runName: string): Promise<Partial<Record<MigrationPhase, PhaseProgress>>> {
    const output = await this.dynamodb.send(
      new GetItemCommand({ TableName: this.tableName, Key: { [MIGRATION_PROGRESS_KEY]: { S: runName } }, ConsistentRead: true }),
    );
    const item = output.Item ? (unmarshall(output.Item) as Record<string, unknown>) : {};
    const progress: Partial<Record<MigrationPhase, PhaseProgress>> = {};
    for (const phase of MIGRATION_PHASES) {
      const total = item[`${phase}Total`];
      if (typeof total !== 'number') continue;
      progress[phase] = { total, done: Number(item[`${phase}Done`] ?? 0), failed: Number(item[`${phase}Failed`] ?? 0) };
    }
    return progress;
  }
}
