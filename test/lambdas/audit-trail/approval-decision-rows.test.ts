import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { decisionAuditRow, type ApprovalStepScope } from '../../../lambdas/approvals/approval-decision-audit';
import { approvalRequestId, type ApprovalRequest } from '../../../lambdas/approvals/approval-request';
import { APPROVAL_DECISION_ACTIONS, migrationAuditKey } from '../../../lambdas/audit-trail/audit-row';
import { AUDIT_INDEXES, AUDIT_PARTITION_KEY, AUDIT_SORT_KEY, DynamoDbAuditTrail } from '../../../lambdas/audit-trail/audit-trail';
import { startLocalDynamoDb, type LocalDynamoDb } from '../../../local/dynamodb/local-dynamodb';

const NOW = new Date('2026-11-24T10:00:00Z');
const EXECUTION_ID = 'arn:aws:states:eu-west-1:111111111111:execution:CertflowSource-Outbound:run-1';
let dynamo: LocalDynamoDb;
let client: DynamoDBClient;
let trail: DynamoDbAuditTrail;

beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
  client = new DynamoDBClient({
    endpoint: dynamo.url,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIA111111111111LOCL', secretAccessKey: 'x' },
  });
  // Shaped as the AuditTable construct shapes it.
  const indexes = Object.values(AUDIT_INDEXES);
  await client.send(
    new CreateTableCommand({
      TableName: 'audit',
      AttributeDefinitions: [AUDIT_PARTITION_KEY, AUDIT_SORT_KEY, ...indexes.map((index) => index.partitionKey)].map((name) => ({
        AttributeName: name,
        AttributeType: 'S',
      })),
      KeySchema: [{ AttributeName: AUDIT_PARTITION_KEY, KeyType: 'HASH' }],
      GlobalSecondaryIndexes: indexes.map((index) => ({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: AUDIT_SORT_KEY, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  trail = new DynamoDbAuditTrail(client, 'audit');
});
afterAll(async () => {
  client.destroy();
  await dynamo.close();
});

function request(change: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    requestId: approvalRequestId(EXECUTION_ID, 'SOURCE'),
    side: 'SOURCE',
    executionId: EXECUTION_ID,
    taskToken: 'SECRET',
    certificateId: 'c'.repeat(64),
    sourceAwsAccount: '111111111111',
    targetAwsAccount: '222222222222',
    requestedBy: 'alice@example.com',
    preparation: { deactivate: false, detachPolicies: [], attachedThings: [] },
    approvers: ['bob@example.com'],
    status: 'APPROVED',
    createdAt: NOW.toISOString(),
    expiresAt: NOW.getTime() / 1000 + 3600,
    ...change,
  };
}

const scope = (side: 'SOURCE' | 'TARGET' = 'SOURCE'): ApprovalStepScope => ({
  executionId: EXECUTION_ID,
  side,
  requestId: approvalRequestId(EXECUTION_ID, side),
  invocationId: 'invocation-1',
});

describe('approval decision rows in the audit table', () => {
  it('are found by approver, requester, execution and certificate, and never hold the task token', async () => {
    const row = decisionAuditRow(
      scope(),
      'ApprovalGranted',
      request(),
      { outcome: 'SUCCEEDED', approvedBy: 'bob@example.com', consentToPrepare: true },
      NOW,
    );

    expect(await trail.record(row)).toBe(true);

    for (const [index, key] of [
      ['byApprover', 'bob@example.com'],
      ['byRequester', 'alice@example.com'],
      ['byExecution', EXECUTION_ID],
      ['byCertificate', 'c'.repeat(64)],
    ] as const) {
      expect(await trail.query(index, key)).toEqual([row]);
    }
    expect(JSON.stringify(row)).not.toContain('SECRET');
  });

  it('are written once per execution, side and ending: a retried step finds its row there', async () => {
    const again = decisionAuditRow(
      { ...scope(), invocationId: 'invocation-2' },
      'ApprovalGranted',
      request(),
      { outcome: 'SUCCEEDED', approvedBy: 'bob@example.com' },
      new Date(NOW.getTime() + 1000),
    );
    expect(await trail.record(again)).toBe(false);
  });

  it('have one id per ending and side', () => {
    const ids = new Set(
      APPROVAL_DECISION_ACTIONS.flatMap((action) =>
        (['SOURCE', 'TARGET'] as const).map(
          (side) =>
            decisionAuditRow(scope(side), action, request(), { outcome: action === 'ApprovalUnverified' ? 'FAILED' : 'SUCCEEDED' }, NOW)
              .rowId,
        ),
      ),
    );
    expect(ids.size).toBe(APPROVAL_DECISION_ACTIONS.length * 2);
  });

  it('of a migration are keyed migration:<id>, which no certificate id can be', async () => {
    const migrationRow = decisionAuditRow(
      scope('TARGET'),
      'ApprovalRejected',
      request({ certificateId: undefined, migration: { migrationId: 'eu-fleet' } as ApprovalRequest['migration'] }),
      { outcome: 'SUCCEEDED', approvedBy: 'tara@example.com', message: 'wrong fleet' },
      NOW,
    );
    expect(migrationRow).toMatchObject({
      certificateId: migrationAuditKey('eu-fleet'),
      migrationId: 'eu-fleet',
      approvalSide: 'TARGET',
      message: 'wrong fleet',
    });
    await trail.record(migrationRow);
    expect(await trail.query('byCertificate', 'migration:eu-fleet')).toEqual([migrationRow]);
  });
});
