import { mkdirSync } from 'node:fs';
import { CreateTableCommand, ResourceInUseException, type CreateTableCommandInput, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
// Before dynalite, which takes MemoryLevel from memory-level as it loads.
import './memory-level-store';
import dynalite from 'dynalite';
import type { LocalStackResources } from '../cloudformation/cloudformation-template';
import { listenLocally } from '../aws-protocol/local-server';

export interface LocalDynamoDbOptions {
  host?: string;
  port?: number;
  /** A folder for dynalite's LevelDB store; in memory when unset. */
  dataDir?: string;
}

export interface LocalDynamoDb {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** dynalite: a maintained DynamoDB emulator that speaks the JSON 1.0 wire protocol. */
export async function startLocalDynamoDb(options: LocalDynamoDbOptions = {}): Promise<LocalDynamoDb> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const server = dynalite({ path: options.dataDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  return listenLocally(server, options);
}

/** Creates the template's tables as CloudFormation would; tables that already exist are kept. */
export async function createTemplateTables(dynamodb: DynamoDBClient, resources: LocalStackResources): Promise<string[]> {
  const created: string[] = [];
  for (const [logicalId, table] of resources.resourcesOfType('AWS::DynamoDB::Table')) {
    const properties = resources.resolve(table.Properties ?? {}) as Record<string, unknown>;
    const input = {
      TableName: resources.physicalName(logicalId),
      AttributeDefinitions: properties.AttributeDefinitions,
      KeySchema: properties.KeySchema,
      GlobalSecondaryIndexes: properties.GlobalSecondaryIndexes,
      LocalSecondaryIndexes: properties.LocalSecondaryIndexes,
      BillingMode: properties.BillingMode ?? 'PROVISIONED',
      ProvisionedThroughput: properties.ProvisionedThroughput,
    } as CreateTableCommandInput;
    try {
      await dynamodb.send(new CreateTableCommand(input));
      created.push(input.TableName ?? logicalId);
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
  }
  return created;
}
