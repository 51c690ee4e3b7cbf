import { CreateTableCommand, DynamoDBClient, type GlobalSecondaryIndex } from '@aws-sdk/client-dynamodb';
import { REMINDER_INDEX } from '../../../lambdas/approvals/approval-request';
import { ApprovalStore } from '../../../lambdas/approvals/approval-store';
import {
  ApproverInbox,
  PENDING_INDEX,
  PENDING_INDEX_PARTITION_KEY,
  PENDING_INDEX_PROJECTED_ATTRIBUTES,
  PENDING_INDEX_SORT_KEY,
} from '../../../lambdas/approvals/approver-inbox';
import { startLocalDynamoDb } from '../../../local/dynamodb/local-dynamodb';

export interface InboxTableFixture {
  client: DynamoDBClient;
  store: ApprovalStore;
  inbox: ApproverInbox;
  close(): Promise<void>;
}

/**
 * An approval table in an in-memory dynalite with the reminder index and, unless
 * `withStatusIndex` is false, the status index the inbox reads (as lib/approval-table.ts should add it).
 */
export async function inboxTableFixture(options: { withStatusIndex?: boolean } = {}): Promise<InboxTableFixture> {
  const dynamo = await startLocalDynamoDb();
  const client = new DynamoDBClient({
    endpoint: dynamo.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIA111111111111LOCL', secretAccessKey: 'x' },
  });
  const indexes: GlobalSecondaryIndex[] = [
    {
      IndexName: REMINDER_INDEX,
      KeySchema: [
        { AttributeName: 'reminderDue', KeyType: 'HASH' },
        { AttributeName: 'remindAt', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
  ];
  if (options.withStatusIndex !== false) {
    indexes.push({
      IndexName: PENDING_INDEX,
      KeySchema: [
        { AttributeName: PENDING_INDEX_PARTITION_KEY, KeyType: 'HASH' },
        { AttributeName: PENDING_INDEX_SORT_KEY, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...PENDING_INDEX_PROJECTED_ATTRIBUTES] },
    });
  }
  await client.send(
    new CreateTableCommand({
      TableName: 'approvals',
      AttributeDefinitions: [
        { AttributeName: 'requestId', AttributeType: 'S' },
        { AttributeName: 'reminderDue', AttributeType: 'S' },
        { AttributeName: 'remindAt', AttributeType: 'S' },
        ...(options.withStatusIndex !== false
          ? [
              { AttributeName: PENDING_INDEX_PARTITION_KEY, AttributeType: 'S' as const },
              { AttributeName: PENDING_INDEX_SORT_KEY, AttributeType: 'N' as const },
            ]
          : []),
      ],
      KeySchema: [{ AttributeName: 'requestId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: indexes,
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return {
    client,
    store: new ApprovalStore(client, 'approvals'),
    inbox: new ApproverInbox(client, 'approvals'),
    close: async () => {
      client.destroy();
      await dynamo.close();
    },
  };
}
