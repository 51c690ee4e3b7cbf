import { ValidationError } from '../../../lambdas/iot-api/field-rules';
import {
  parseAnswerMigrationProposalRequest,
  parseAwaitBatchOfferRequest,
  parseLandBatchRequest,
  parsePlanInboundRequest,
} from '../../../lambdas/migration/target-migration-requests';
import { certificateIdOf, MIGRATION_ID, RUN_NAME, SOURCE_ACCOUNT } from './migration-fixtures';
import { targetExecutionIdOf } from './target-migration-fixture';

const TARGET_RUN = RUN_NAME.replace('-out-', '-in-');
const EXECUTION_ID = targetExecutionIdOf(RUN_NAME);

function rejectedField(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    if (error instanceof ValidationError) return error.field;
    throw error;
  }
  throw new Error('expected a ValidationError, but the event was accepted');
}

const planEvent = { migrationId: MIGRATION_ID, sourceRunName: RUN_NAME, runName: TARGET_RUN, executionId: EXECUTION_ID };
const landEvent = {
  sourceRunName: RUN_NAME,
  runName: TARGET_RUN,
  migrationId: MIGRATION_ID,
  batch: 3,
  certificateIds: [certificateIdOf(1), certificateIdOf(2).toUpperCase()],
  offered: true,
  executionId: EXECUTION_ID,
  requestedBy: 'alice@example.com',
  approvedBy: 'dave@example.com',
  sourceAwsAccount: SOURCE_ACCOUNT,
};

describe('parsePlanInboundRequest', () => {
  it('reads the source run and this execution', () => {
    expect(parsePlanInboundRequest(planEvent)).toEqual(planEvent);
  });

  it.each([
    ['migrationId', { migrationId: 'no spaces allowed' }],
    ['sourceRunName', { sourceRunName: 'other-migration-out-1700000000000' }],
    ['runName', { runName: `${TARGET_RUN}0` }],
    ['executionId', { executionId: '' }],
  ])('names %s when it is wrong', (field, change) => {
    expect(rejectedField(() => parsePlanInboundRequest({ ...planEvent, ...change }))).toBe(field);
  });
});

describe('parseAwaitBatchOfferRequest', () => {
  it('reads the run, the batch and the token', () => {
    expect(parseAwaitBatchOfferRequest({ sourceRunName: RUN_NAME, batch: 0, taskToken: 'token' })).toEqual({
      sourceRunName: RUN_NAME,
      batch: 0,
      taskToken: 'token',
    });
  });

  it.each([
    ['sourceRunName', { sourceRunName: TARGET_RUN }],
    ['batch', { batch: -1 }],
    ['batch', { batch: 1.5 }],
    ['taskToken', { taskToken: 'x'.repeat(1025) }],
  ])('names %s when it is wrong', (field, change) => {
    expect(rejectedField(() => parseAwaitBatchOfferRequest({ sourceRunName: RUN_NAME, batch: 0, taskToken: 'token', ...change }))).toBe(
      field,
    );
  });
});

describe('parseLandBatchRequest', () => {
  it('reads the batch, lower-cases its ids and carries the invocation', () => {
    expect(parseLandBatchRequest(landEvent, 'invocation-1')).toEqual({
      ...landEvent,
      certificateIds: [certificateIdOf(1), certificateIdOf(2)],
      invocationId: 'invocation-1',
    });
  });

  it.each([
    ['certificateIds', { certificateIds: [] }],
    ['certificateIds[1]', { certificateIds: [certificateIdOf(1), 'nope'] }],
    ['offered', { offered: 'yes' }],
    ['sourceAwsAccount', { sourceAwsAccount: '12' }],
    ['runName', { runName: 'eu-fleet-2026_11-in-1' }],
    ['batch', { batch: undefined }],
  ])('names %s when it is wrong', (field, change) => {
    expect(rejectedField(() => parseLandBatchRequest({ ...landEvent, ...change }, 'invocation-1'))).toBe(field);
  });
});

describe('parseAnswerMigrationProposalRequest', () => {
  it('reads the decision, who decided and why not', () => {
    expect(
      parseAnswerMigrationProposalRequest({ sourceRunName: RUN_NAME, decision: 'REJECTED', decidedBy: 'dave', rejectReason: 'not ours' }),
    ).toEqual({
      sourceRunName: RUN_NAME,
      decision: 'REJECTED',
      decidedBy: 'dave',
      rejectReason: 'not ours',
    });
  });

  it('names the decision when it is not one of the proposal decisions', () => {
    expect(rejectedField(() => parseAnswerMigrationProposalRequest({ sourceRunName: RUN_NAME, decision: 'MAYBE' }))).toBe('decision');
  });
});
