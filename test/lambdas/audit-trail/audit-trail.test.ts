import { DynamoDBClient, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { auditRowId } from '../../../lambdas/audit-trail/audit-row';
import { DynamoDbAuditTrail } from '../../../lambdas/audit-trail/audit-trail';

const dynamodb = mockClient(DynamoDBClient);
const trail = new DynamoDbAuditTrail(new DynamoDBClient({}), 'audit');
const CERTIFICATE_ID = 'c'.repeat(64);

beforeEach(() => dynamodb.reset());

describe('auditRowId', () => {
  const scope = { certificateId: CERTIFICATE_ID, action: 'TransferCertificate' as const, executionId: 'exec-1', invocationId: 'inv-1' };

  it('is the same for a retried invocation of the same step with the same outcome', () => {
    expect(auditRowId(scope, 'SUCCEEDED')).toBe(auditRowId({ ...scope, invocationId: 'inv-2' }, 'SUCCEEDED'));
  });

  it('differs by outcome, error name, Action and execution', () => {
    const ids = new Set([
      auditRowId(scope, 'SUCCEEDED'),
      auditRowId(scope, 'FAILED', 'ThrottlingException'),
      auditRowId(scope, 'FAILED', 'CertificateStateException'),
      auditRowId({ ...scope, action: 'CancelCertificateTransfer' }, 'SUCCEEDED'),
      auditRowId({ ...scope, executionId: 'exec-2' }, 'SUCCEEDED'),
    ]);
    expect(ids.size).toBe(5);
  });

  it('falls back to the Lambda invocation outside a workflow', () => {
    const withoutExecution = { ...scope, executionId: undefined };
    expect(auditRowId(withoutExecution, 'SUCCEEDED')).not.toBe(auditRowId({ ...withoutExecution, invocationId: 'inv-2' }, 'SUCCEEDED'));
  });
});

describe('DynamoDbAuditTrail', () => {
  it('reads a row with a consistent read', async () => {
    dynamodb.on(GetItemCommand).resolves({ $metadata: {}, Item: marshall({ rowId: 'r1', certificateId: CERTIFICATE_ID }) });
    await expect(trail.find('r1')).resolves.toEqual({ rowId: 'r1', certificateId: CERTIFICATE_ID });
    expect(dynamodb).toHaveReceivedCommandWith(GetItemCommand, {
      TableName: 'audit',
      ConsistentRead: true,
      Key: marshall({ rowId: 'r1' }),
    });
  });

  it('queries an index newest first and follows pages up to the limit', async () => {
    dynamodb
      .on(QueryCommand)
      .resolvesOnce({
        $metadata: {},
        Items: [marshall({ rowId: 'r3' }), marshall({ rowId: 'r2' })],
        LastEvaluatedKey: marshall({ rowId: 'r2' }),
      })
      .resolvesOnce({ $metadata: {}, Items: [marshall({ rowId: 'r1' })] });

    const rows = await trail.query('byExecution', 'exec-1', { limit: 3 });

    expect(rows.map((row) => row.rowId)).toEqual(['r3', 'r2', 'r1']);
    expect(dynamodb).toHaveReceivedNthCommandWith(1, QueryCommand, {
      IndexName: 'byExecution',
      ScanIndexForward: false,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': 'executionId' },
    });
    expect(dynamodb).toHaveReceivedNthCommandWith(2, QueryCommand, { ExclusiveStartKey: marshall({ rowId: 'r2' }) });
  });

  it('finds the newest success of an Action past pages the filter left empty', async () => {
    dynamodb
      .on(QueryCommand)
      .resolvesOnce({ $metadata: {}, Items: [], LastEvaluatedKey: marshall({ rowId: 'x' }) })
      .resolvesOnce({ $metadata: {}, Items: [marshall({ rowId: 'r9', targetAwsAccount: '222222222222' })] });

    await expect(trail.latestSuccess(CERTIFICATE_ID, 'TransferCertificate')).resolves.toMatchObject({ rowId: 'r9' });
    expect(dynamodb).toHaveReceivedCommandTimes(QueryCommand, 2);
  });
});
