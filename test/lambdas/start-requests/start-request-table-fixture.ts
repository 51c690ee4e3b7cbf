import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { START_REQUEST_PARTITION_KEY, StartRequestStore } from '../../../lambdas/start-requests/start-request-store';
import { startLocalDynamoDb } from '../../../local/dynamodb/local-dynamodb';

/** A start-request table in an in-memory dynalite, keyed as the StartRequestApi construct keys it. */
export async function startRequestTableFixture(): Promise<{ store: StartRequestStore; close(): Promise<void> }> {
  const dynamo = await startLocalDynamoDb();
  const client = new DynamoDBClient({
    endpoint: dynamo.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIA111111111111LOCL', secretAccessKey: 'x' },
  });
  await client.send(
    new CreateTableCommand({
      TableName: 'start-requests',
      AttributeDefinitions: [{ AttributeName: START_REQUEST_PARTITION_KEY, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: START_REQUEST_PARTITION_KEY, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return {
    store: new StartRequestStore(client, 'start-requests'),
    close: async () => {
      client.destroy();
      await dynamo.close();
    },
  };
}
