import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SFNClient, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { migrationRecordKeys } from '../../../lambdas/cross-account/migration-exchange-store';
import { handler as answerHandler } from '../../../lambdas/handlers/migration-answer-proposal';
import { handler as awaitHandler } from '../../../lambdas/handlers/migration-await-batch-offer';
import { HANDLER_ENVIRONMENT } from '../../../lambdas/handlers/handler-environment';
import { handler as landHandler } from '../../../lambdas/handlers/migration-land-batch';
import { handler as planHandler } from '../../../lambdas/handlers/migration-plan-inbound';
import { MIGRATION_ID, RUN_NAME } from '../migration/migration-fixtures';
import { batchOfferOf, proposalOf } from '../migration/target-migration-fixture';
import { lambdaContext, SOURCE_ACCOUNT, TARGET_ACCOUNT } from './handler-fixtures';

const dynamodb = mockClient(DynamoDBClient);
const sfn = mockClient(SFNClient);
const events = mockClient(EventBridgeClient);
const EXCHANGE_OBJECT = { bucket: 'certflow-migrations-111111111111-us-east-1', key: 'exchange/m/run/x.json', sha256: 'a'.repeat(64) };
const RUN_RECORD = {
  proposalId: migrationRecordKeys.run(RUN_NAME),
  kind: 'MIGRATION',
  side: 'TARGET',
  migrationId: MIGRATION_ID,
  runName: RUN_NAME,
  sourceAwsAccount: SOURCE_ACCOUNT,
  targetAwsAccount: TARGET_ACCOUNT,
  executionId: 'arn:aws:states:us-east-1:222222222222:execution:CertflowTarget-Migration:run',
  batchCount: 2,
  proposal: proposalOf(RUN_NAME, EXCHANGE_OBJECT),
  createdAt: '2026-12-01T10:00:00.000Z',
  updatedAt: '2026-12-01T10:00:00.000Z',
};

beforeEach(() => {
  dynamodb.reset();
  sfn.reset();
  events.reset();
  process.env[HANDLER_ENVIRONMENT.proposalTableName] = 'certflow-proposals';
  process.env[HANDLER_ENVIRONMENT.eventBusName] = 'certflow-inbound-transfers';
  dynamodb.on(GetItemCommand).resolves({ Item: marshall(RUN_RECORD, { removeUndefinedValues: true }) });
  sfn.on(SendTaskSuccessCommand).resolves({});
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'event-1' }] });
});

describe('the target migration handlers', () => {
  it.each([
    ['plan', planHandler, { migrationId: MIGRATION_ID, sourceRunName: RUN_NAME, runName: 'other', executionId: 'e' }, 'runName'],
    ['await offer', awaitHandler, { sourceRunName: RUN_NAME, batch: 'one', taskToken: 't' }, 'batch'],
    ['land', landHandler, { sourceRunName: RUN_NAME, migrationId: MIGRATION_ID }, 'certificateIds'],
    ['answer', answerHandler, { sourceRunName: RUN_NAME, decision: 'PERHAPS' }, 'decision'],
  ])('%s: refuses an invalid event, naming the field, before any AWS call', async (_step, handler, event, field) => {
    await expect(handler(event, lambdaContext())).rejects.toMatchObject({ name: 'ValidationError', field });
    expect(dynamodb.calls()).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('await offer: keeps the token and wakes its own item when the offer is there already', async () => {
    dynamodb.on(UpdateItemCommand).resolves({
      Attributes: marshall({
        proposalId: migrationRecordKeys.batch(RUN_NAME, 1),
        offer: batchOfferOf(RUN_NAME, 1, EXCHANGE_OBJECT),
        taskToken: 't-1',
      }),
    });
    expect(await awaitHandler({ sourceRunName: RUN_NAME, batch: 1, taskToken: 't-1' }, lambdaContext())).toEqual({ waiting: true });
    expect(dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, { TableName: 'certflow-proposals' });
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 't-1' });
  });

  it("answer: puts the decision on this side's bus", async () => {
    expect(await answerHandler({ sourceRunName: RUN_NAME, decision: 'APPROVED', decidedBy: 'dave' }, lambdaContext())).toEqual({
      sent: true,
    });
    expect(events).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: [expect.objectContaining({ EventBusName: 'certflow-inbound-transfers', DetailType: 'MigrationDecided' })],
    });
  });
});
