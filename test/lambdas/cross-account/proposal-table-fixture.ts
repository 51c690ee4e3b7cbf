import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { MigrationExchangeStore } from '../../../lambdas/cross-account/migration-exchange-store';
import {
  FOLLOWED_OFFERS_INDEX,
  FOLLOWED_OFFER_ATTRIBUTE,
  PROPOSALS_BY_CERTIFICATE_INDEX,
  ProposalStore,
} from '../../../lambdas/cross-account/proposal-store';
import { startLocalDynamoDb, type LocalDynamoDb } from '../../../local/dynamodb/local-dynamodb';

export interface ProposalTableFixture {
  /** A fresh table in the same dynalite, shaped as the TransferProposalTable construct shapes it. */
  newStore(): Promise<ProposalStore>;
  /** A fresh table of the same shape, for the migration run records that share it. */
  newMigrationStore(now?: () => Date): Promise<MigrationExchangeStore>;
  close(): Promise<void>;
}

/** Transfer-record tables in an in-memory dynalite, one per call of `newStore`. */
export async function proposalTableFixture(): Promise<ProposalTableFixture> {
  const dynamo: LocalDynamoDb = await startLocalDynamoDb();
  const client = new DynamoDBClient({
    endpoint: dynamo.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIA111111111111LOCL', secretAccessKey: 'x' },
  });
  let tables = 0;
  async function newTable(): Promise<string> {
    tables += 1;
    const tableName = `proposals-${tables}`;
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [
          { AttributeName: 'proposalId', AttributeType: 'S' },
          { AttributeName: 'certificateId', AttributeType: 'S' },
          { AttributeName: 'createdAt', AttributeType: 'S' },
          { AttributeName: FOLLOWED_OFFER_ATTRIBUTE, AttributeType: 'S' },
          { AttributeName: 'followDeadline', AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: 'proposalId', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: PROPOSALS_BY_CERTIFICATE_INDEX,
            KeySchema: [
              { AttributeName: 'certificateId', KeyType: 'HASH' },
              { AttributeName: 'createdAt', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
          {
            IndexName: FOLLOWED_OFFERS_INDEX,
            KeySchema: [
              { AttributeName: FOLLOWED_OFFER_ATTRIBUTE, KeyType: 'HASH' },
              { AttributeName: 'followDeadline', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    return tableName;
  }
  return {
    async newStore() {
      return new ProposalStore(client, await newTable());
    },
    async newMigrationStore(now) {
      return new MigrationExchangeStore(client, await newTable(), now);
    },
    async close() {
      client.destroy();
      await dynamo.close();
    },
  };
}
