import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  approvalRequestId,
  DECISION_CLAIM_LEASE_SECONDS,
  REMINDER_INDEX,
  type ApprovalRequest,
} from '../../../lambdas/approvals/approval-request';
import { ApprovalStore, type DecisionClaim } from '../../../lambdas/approvals/approval-store';
import { startLocalDynamoDb, type LocalDynamoDb } from '../../../local/dynamodb/local-dynamodb';

export interface ApprovalTableFixture {
  store: ApprovalStore;
  close(): Promise<void>;
}

/** An approval table in an in-memory dynalite, shaped as the ApprovalTable construct shapes it. */
export async function approvalTableFixture(tableName = 'approvals'): Promise<ApprovalTableFixture> {
  const dynamo: LocalDynamoDb = await startLocalDynamoDb();
  const client = new DynamoDBClient({
    endpoint: dynamo.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIA111111111111LOCL', secretAccessKey: 'x' },
  });
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

let stored = 0;

/** Stores a PENDING source-side request, created at `now` and due an hour later; `change` overrides any field. */
export async function storePendingRequest(
  store: ApprovalStore,
  now: Date,
  change: Partial<ApprovalRequest> = {},
): Promise<ApprovalRequest> {
  stored += 1;
  const executionId = `arn:aws:states:us-east-1:111111111111:execution:Outbound:run-${stored}`;
  const request: ApprovalRequest = {
    requestId: approvalRequestId(executionId, 'SOURCE'),
    side: 'SOURCE',
    executionId,
    taskToken: `SECRET-TASK-TOKEN-${stored}`,
    certificateId: 'a'.repeat(64),
    sourceAwsAccount: '111111111111',
    targetAwsAccount: '222222222222',
    transferMessage: 'fleet move',
    requestedBy: 'alice@example.com',
    preparation: { deactivate: false, detachPolicies: [], attachedThings: [] },
    approvers: ['bob@example.com', 'carol@example.com', 'alice@example.com'],
    status: 'PENDING',
    createdAt: now.toISOString(),
    expiresAt: now.getTime() / 1000 + 3600,
    ...change,
  };
  await store.create(request);
  return request;
}

/** A full decision claim by `decidedBy` at `at`, as the page makes one. */
export function decisionClaim(at: Date, change: Partial<DecisionClaim> = {}): DecisionClaim {
  return {
    decision: 'APPROVED',
    decidedBy: 'bob@example.com',
    decidedAt: at.toISOString(),
    setAsActive: false,
    consentToPrepare: false,
    claimId: `claim-${at.getTime()}-${Math.random().toString(36).slice(2)}`,
    claimedAt: at.toISOString(),
    ...change,
  };
}

/** The staleness bound of a claim made at `at`: claims at or before it are taken over. */
export function staleBefore(at: Date): string {
  return new Date(at.getTime() - DECISION_CLAIM_LEASE_SECONDS * 1000).toISOString();
}
