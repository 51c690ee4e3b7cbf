import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { REMINDER_INDEX } from '../../../lambdas/approvals/approval-request';
import { ApprovalStore } from '../../../lambdas/approvals/approval-store';
import { startLocalDynamoDb, type LocalDynamoDb } from '../../../local/dynamodb/local-dynamodb';

export interface ApprovalTableFixture {
  store: ApprovalStore;
  close(): Promise<void>;
}

/** An approval table in an in-memory dynalite, shaped as the ApprovalTable construct shapes it. */
export async function approvalTableFixture(tableName = 'approvals'): Promise<ApprovalTableFixture> {
  const dynamo: LocalDynamoDb = await startLocalDynamoDb();
  const client = new DynamoDBClient({ endpoint: dynamo.url, region: 'us-east-1', credentials: { accessKeyId: 'AKIA111111111111LOCL', secretAccessKey: 'x' } });
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [
        { AttributeName: 'requestId', AttributeType: 'S' },
        { AttributeName: 'reminderDue', AttributeType: 'S' },
        { AttributeName: 'remindAt', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'requestId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: REMINDER_INDEX,
          KeySchema: [
            { AttributeName: 'reminderDue', KeyType: 'HASH' },
            { AttributeName: 'remindAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return {
    store: new ApprovalStore(client, tableName),
    close: async () => {
      client.destroy();
      await dynamo.close();
    },
  };
}
