import { ValidationError } from '../../../lambdas/iot-api/field-rules';
import {
  MIGRATION_ID_MAX_LENGTH,
  parseAwaitLandings,
  parseCutoverBatch,
  parseFinishOutboundRequest,
  parseMigrationId,
  parseOutboundMigrationRequest,
  parseProposeMigration,
} from '../../../lambdas/migration/migration-requests';
import { certificateArnOf, certificateIdOf, EXECUTION_ID, MIGRATION_ID, RUN_NAME, TARGET_ACCOUNT } from './migration-fixtures';

/** The field a ValidationError names, or a failure when the call did not throw one. */
function rejectedField(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    if (error instanceof ValidationError) return error.field;
    throw error;
  }
  throw new Error('expected a ValidationError, but the event was accepted');
}

function runStartEvent(migration: Record<string, unknown> = {}, change: Record<string, unknown> = {}) {
  return {
    migration: {
      migrationId: MIGRATION_ID,
      targetAwsAccount: TARGET_ACCOUNT,
      transferMessage: 'fleet move',
      requestedBy: 'alice@example.com',
      requestedByArn: 'arn:aws:sts::111111111111:assumed-role/migrator/alice',
      reason: 'EU fleet',
      ...migration,
    },
    runName: RUN_NAME,
    executionId: EXECUTION_ID,
    ...change,
  };
}

const cutoverItem = (n: number, position = n - 1) => ({
  certificateId: certificateIdOf(n),
  certificateArn: certificateArnOf(certificateIdOf(n)),
  status: 'ACTIVE',
  policies: ['fleet-policy'],
  position,
});

function cutoverEvent(
  batchInput: Record<string, unknown> = {},
  items: unknown[] = [cutoverItem(1), cutoverItem(2)],
  change: Record<string, unknown> = {},
) {
  return {
    Items: items,
    BatchInput: {
      migrationId: MIGRATION_ID,
      runName: RUN_NAME,
      executionId: EXECUTION_ID,
      targetAwsAccount: TARGET_ACCOUNT,
      transferMessage: 'fleet move',
      requestedBy: 'alice',
      approvedBy: 'bob',
      consentToPrepare: true,
      batchSize: 10,
      ...batchInput,
    },
    ...change,
  };
}

function proposeEvent(change: Record<string, unknown> = {}, plan: Record<string, unknown> = {}) {
  return {
    migrationId: MIGRATION_ID,
    runName: RUN_NAME,
    executionId: EXECUTION_ID,
    targetAwsAccount: TARGET_ACCOUNT,
    requestedBy: 'alice@example.com',
    reason: 'EU fleet',
    transferMessage: 'fleet move',
    sourceApprovedBy: 'bob@example.com',
    plan: { itemsKey: 'items.json', batchSize: 10, batchCount: 3, activeCount: 12, policies: { 'fleet-policy': 25 }, ...plan },
    taskToken: 'token-1',
    ...change,
  };
}

function finishEvent(change: Record<string, unknown> = {}) {
  return {
    migrationId: MIGRATION_ID,
    runName: RUN_NAME,
    settledKey: 'settled.json',
    itemsKey: 'items.json',
    resultsManifestKey: 'map-results/run/manifest.json',
    batchCount: 3,
    unprocessedOutcome: 'TARGET_REJECTED',
    ...change,
  };
}

describe('parseOutboundMigrationRequest', () => {
  it('carries the execution input on with every field present', () => {
    expect(parseOutboundMigrationRequest(runStartEvent())).toEqual({
      migrationId: MIGRATION_ID,
      runName: RUN_NAME,
      executionId: EXECUTION_ID,
      targetAwsAccount: TARGET_ACCOUNT,
      transferMessage: 'fleet move',
      requestedBy: 'alice@example.com',
      requestedByArn: 'arn:aws:sts::111111111111:assumed-role/migrator/alice',
      reason: 'EU fleet',
    });
  });

  it('takes an absent requester ARN as null (a run not started through the start API)', () => {
    expect(parseOutboundMigrationRequest(runStartEvent({ requestedByArn: undefined })).requestedByArn).toBeNull();
  });

  it('turns an absent message and reason into null, as the workflow passes them on', () => {
    const request = parseOutboundMigrationRequest(runStartEvent({ transferMessage: null, reason: undefined }));
    expect(request.transferMessage).toBeNull();
    expect(request.reason).toBeNull();
  });

  it.each([
    ['the event is not an object', 'event', () => parseOutboundMigrationRequest('start')],
    ['the execution input is missing', 'migration', () => parseOutboundMigrationRequest({ runName: RUN_NAME, executionId: EXECUTION_ID })],
    ['the migration id has a slash', 'migrationId', () => parseOutboundMigrationRequest(runStartEvent({ migrationId: 'eu/fleet' }))],
    [
      'the target account is not 12 digits',
      'targetAwsAccount',
      () => parseOutboundMigrationRequest(runStartEvent({ targetAwsAccount: '2222' })),
    ],
    [
      'the transfer message is too long',
      'transferMessage',
      () => parseOutboundMigrationRequest(runStartEvent({ transferMessage: 'm'.repeat(129) })),
    ],
    ['no one requested it', 'requestedBy', () => parseOutboundMigrationRequest(runStartEvent({ requestedBy: '  ' }))],
    ['the requester ARN is empty', 'requestedByArn', () => parseOutboundMigrationRequest(runStartEvent({ requestedByArn: '' }))],
    ['the reason is too long', 'reason', () => parseOutboundMigrationRequest(runStartEvent({ reason: 'r'.repeat(257) }))],
    ['the run name is not an execution name', 'runName', () => parseOutboundMigrationRequest(runStartEvent({}, { runName: 'run one' }))],
    ['the run name is too long', 'runName', () => parseOutboundMigrationRequest(runStartEvent({}, { runName: 'r'.repeat(81) }))],
    ['the execution id is missing', 'executionId', () => parseOutboundMigrationRequest(runStartEvent({}, { executionId: undefined }))],
  ])('refuses a run start where %s, naming %s', (_case, field, parse) => {
    expect(rejectedField(parse)).toBe(field);
  });
});

describe('parseCutoverBatch', () => {
  it('reads the items with their positions and the context every item shares', () => {
    expect(parseCutoverBatch(cutoverEvent(), 'invocation-1')).toEqual({
      invocationId: 'invocation-1',
      items: [cutoverItem(1), cutoverItem(2)],
      context: {
        executionId: EXECUTION_ID,
        requestedBy: 'alice',
        approvedBy: 'bob',
        migrationId: MIGRATION_ID,
        runName: RUN_NAME,
        targetAwsAccount: TARGET_ACCOUNT,
        transferMessage: 'fleet move',
        consentToPrepare: true,
        batchSize: 10,
      },
    });
  });

  it('reads consent as Step Functions passes it, as a string, and defaults it to false', () => {
    expect(parseCutoverBatch(cutoverEvent({ consentToPrepare: 'true' }), 'i').context.consentToPrepare).toBe(true);
    expect(parseCutoverBatch(cutoverEvent({ consentToPrepare: undefined }), 'i').context.consentToPrepare).toBe(false);
  });

  it('reads the failure a Catch hands on, with its Error and Cause, and no failure when there is none', () => {
    const caught = parseCutoverBatch(cutoverEvent({}, undefined, { failure: { Error: 'States.Timeout', Cause: 'c'.repeat(40) } }), 'i');
    expect(caught.failure).toEqual({ error: 'States.Timeout', cause: 'c'.repeat(40) });
    expect(parseCutoverBatch(cutoverEvent({}, undefined, { failure: { Error: 'Lambda.Unknown' } }), 'i').failure).toEqual({
      error: 'Lambda.Unknown',
      cause: '',
    });
    expect(parseCutoverBatch(cutoverEvent({}, undefined, { failure: null }), 'i')).not.toHaveProperty('failure');
  });

  it.each([
    ['there are no items', 'Items', () => cutoverEvent({}, [])],
    ['the items are not a list', 'Items', () => cutoverEvent({}, { 0: cutoverItem(1) } as unknown as unknown[])],
    ['an item is not an object', 'Items[1]', () => cutoverEvent({}, [cutoverItem(1), 'x'])],
    [
      'the second certificate id is not hex',
      'Items[1].certificateId',
      () => cutoverEvent({}, [cutoverItem(1), { ...cutoverItem(2), certificateId: 'z'.repeat(64) }]),
    ],
    ['an item has no ARN', 'Items[0].certificateArn', () => cutoverEvent({}, [{ ...cutoverItem(1), certificateArn: undefined }])],
    ['an item has no status', 'Items[0].status', () => cutoverEvent({}, [{ ...cutoverItem(1), status: '' }])],
    ['the policies are not names', 'Items[1].policies', () => cutoverEvent({}, [cutoverItem(1), { ...cutoverItem(2), policies: [7] }])],
    ['a position is negative', 'Items[0].position', () => cutoverEvent({}, [cutoverItem(1, -1)])],
    ['a position is not whole', 'Items[0].position', () => cutoverEvent({}, [cutoverItem(1, 0.5)])],
    ['the batch input is missing', 'BatchInput', () => ({ Items: [cutoverItem(1)] })],
    ['the migration id is missing', 'BatchInput.migrationId', () => cutoverEvent({ migrationId: undefined })],
    ['the run name is missing', 'BatchInput.runName', () => cutoverEvent({ runName: undefined })],
    ['the execution id is missing', 'BatchInput.executionId', () => cutoverEvent({ executionId: undefined })],
    ['the target account is not 12 digits', 'BatchInput.targetAwsAccount', () => cutoverEvent({ targetAwsAccount: '22' })],
    ['the transfer message is too long', 'BatchInput.transferMessage', () => cutoverEvent({ transferMessage: 'm'.repeat(129) })],
    ['the requester is too long', 'BatchInput.requestedBy', () => cutoverEvent({ requestedBy: 'r'.repeat(2049) })],
    ['the approver is empty', 'BatchInput.approvedBy', () => cutoverEvent({ approvedBy: '' })],
    ['consent is not a boolean', 'BatchInput.consentToPrepare', () => cutoverEvent({ consentToPrepare: 'yes' })],
    ['the batch size is missing', 'BatchInput.batchSize', () => cutoverEvent({ batchSize: undefined })],
    ['the failure is not an object', 'failure', () => cutoverEvent({}, undefined, { failure: 'boom' })],
    ['the failure has no Error', 'failure.Error', () => cutoverEvent({}, undefined, { failure: { Cause: 'why' } })],
    ['the failure Cause is not text', 'failure.Cause', () => cutoverEvent({}, undefined, { failure: { Error: 'E', Cause: 3 } })],
  ])('refuses a batch where %s, naming %s', (_case, field, event) => {
    expect(rejectedField(() => parseCutoverBatch(event(), 'i'))).toBe(field);
  });
});

describe('parseProposeMigration', () => {
  it('reads the run, who asked and approved, the plan figures and the task token', () => {
    expect(parseProposeMigration(proposeEvent())).toEqual({
      migrationId: MIGRATION_ID,
      runName: RUN_NAME,
      executionId: EXECUTION_ID,
      targetAwsAccount: TARGET_ACCOUNT,
      requestedBy: 'alice@example.com',
      reason: 'EU fleet',
      transferMessage: 'fleet move',
      sourceApprovedBy: 'bob@example.com',
      itemsKey: 'items.json',
      batchSize: 10,
      batchCount: 3,
      activeCount: 12,
      policies: { 'fleet-policy': 25 },
      taskToken: 'token-1',
    });
  });

  it('turns an absent reason and message into null', () => {
    expect(parseProposeMigration(proposeEvent({ reason: undefined, transferMessage: null }))).toMatchObject({
      reason: null,
      transferMessage: null,
    });
  });

  it.each([
    ['the event is not an object', 'event', () => 'propose'],
    ['the run name is not an execution name', 'runName', () => proposeEvent({ runName: 'run one' })],
    ['the migration id has a dot', 'migrationId', () => proposeEvent({ migrationId: 'eu.fleet' })],
    ['the execution id is missing', 'executionId', () => proposeEvent({ executionId: undefined })],
    ['the target account is not 12 digits', 'targetAwsAccount', () => proposeEvent({ targetAwsAccount: '2222' })],
    ['no one requested it', 'requestedBy', () => proposeEvent({ requestedBy: ' ' })],
    ['the reason is too long', 'reason', () => proposeEvent({ reason: 'r'.repeat(257) })],
    ['the transfer message is not text', 'transferMessage', () => proposeEvent({ transferMessage: 5 })],
    ['no source approver is named', 'sourceApprovedBy', () => proposeEvent({ sourceApprovedBy: undefined })],
    ['the plan is missing', 'plan', () => proposeEvent({ plan: undefined })],
    ['the items key is empty', 'plan.itemsKey', () => proposeEvent({}, { itemsKey: '' })],
    ['the batch size is not whole', 'plan.batchSize', () => proposeEvent({}, { batchSize: 2.5 })],
    ['the batch count is negative', 'plan.batchCount', () => proposeEvent({}, { batchCount: -1 })],
    ['the ACTIVE count is text', 'plan.activeCount', () => proposeEvent({}, { activeCount: '12' })],
    ['the policies are not an object', 'plan.policies', () => proposeEvent({}, { policies: ['fleet-policy'] })],
    ['a policy count is negative', 'plan.policies.fleet-policy', () => proposeEvent({}, { policies: { 'fleet-policy': -2 } })],
    ['the task token is missing', 'taskToken', () => proposeEvent({ taskToken: undefined })],
    ['the task token is too long', 'taskToken', () => proposeEvent({ taskToken: 't'.repeat(8193) })],
  ])('refuses a proposal step where %s, naming %s', (_case, field, event) => {
    expect(rejectedField(() => parseProposeMigration(event()))).toBe(field);
  });
});

describe('parseAwaitLandings', () => {
  it('reads the run name, the batch count and the task token', () => {
    expect(parseAwaitLandings({ runName: RUN_NAME, batchCount: 250, taskToken: 'token-2' })).toEqual({
      runName: RUN_NAME,
      batchCount: 250,
      taskToken: 'token-2',
    });
  });

  it.each([
    ['the event is a list', 'event', []],
    ['the run name is missing', 'runName', { batchCount: 1, taskToken: 't' }],
    ['the run name has a slash', 'runName', { runName: 'a/b', batchCount: 1, taskToken: 't' }],
    ['the batch count is text', 'batchCount', { runName: RUN_NAME, batchCount: '1', taskToken: 't' }],
    ['the batch count is negative', 'batchCount', { runName: RUN_NAME, batchCount: -1, taskToken: 't' }],
    ['the task token is empty', 'taskToken', { runName: RUN_NAME, batchCount: 1, taskToken: '' }],
  ])('refuses a wait where %s, naming %s', (_case, field, event) => {
    expect(rejectedField(() => parseAwaitLandings(event))).toBe(field);
  });
});

describe('parseFinishOutboundRequest', () => {
  it('reads the run files, the cutover map results, the batch count and the outcome of unprocessed items', () => {
    expect(parseFinishOutboundRequest(finishEvent())).toEqual({
      migrationId: MIGRATION_ID,
      runName: RUN_NAME,
      settledKey: 'settled.json',
      itemsKey: 'items.json',
      resultsManifestKey: 'map-results/run/manifest.json',
      batchCount: 3,
      unprocessedOutcome: 'TARGET_REJECTED',
    });
  });

  it('takes a null or absent results manifest as a map that did not run', () => {
    expect(parseFinishOutboundRequest(finishEvent({ resultsManifestKey: null })).resultsManifestKey).toBeNull();
    expect(parseFinishOutboundRequest(finishEvent({ resultsManifestKey: undefined })).resultsManifestKey).toBeNull();
  });

  it("reads the cutover map's error (Error and Cause, as a Catch gives it) for the report of a failed cutover", () => {
    expect(
      parseFinishOutboundRequest(finishEvent({ cutoverFailure: { Error: 'States.ExceedToleratedFailureThreshold', Cause: 'too many' } }))
        .cutoverFailure,
    ).toEqual({ error: 'States.ExceedToleratedFailureThreshold', cause: 'too many' });
    expect(parseFinishOutboundRequest(finishEvent({ cutoverFailure: { Error: 'States.Runtime' } })).cutoverFailure).toEqual({
      error: 'States.Runtime',
      cause: '',
    });
    expect(parseFinishOutboundRequest(finishEvent())).not.toHaveProperty('cutoverFailure');
  });

  it('reads NOT_APPROVED as an outcome of unprocessed items too', () => {
    expect(parseFinishOutboundRequest(finishEvent({ unprocessedOutcome: 'NOT_APPROVED' })).unprocessedOutcome).toBe('NOT_APPROVED');
  });

  it.each([
    ['the event is not an object', 'event', null],
    ['the unprocessed outcome is not one it knows', 'unprocessedOutcome', finishEvent({ unprocessedOutcome: 'REJECTED' })],
    ['the unprocessed outcome is missing', 'unprocessedOutcome', finishEvent({ unprocessedOutcome: undefined })],
    ['the run name is missing', 'runName', finishEvent({ runName: undefined })],
    ['the migration id is too long', 'migrationId', finishEvent({ migrationId: 'm'.repeat(49) })],
    ['the settled key is missing', 'settledKey', finishEvent({ settledKey: undefined })],
    ['the items key is empty', 'itemsKey', finishEvent({ itemsKey: '' })],
    ['the results manifest key is not text', 'resultsManifestKey', finishEvent({ resultsManifestKey: 7 })],
    ['the batch count is missing', 'batchCount', finishEvent({ batchCount: undefined })],
    ['the cutover failure is text', 'cutoverFailure', finishEvent({ cutoverFailure: 'failed' })],
    ['the cutover failure has no error name', 'cutoverFailure.Error', finishEvent({ cutoverFailure: { Cause: 'x' } })],
  ])('refuses a report request where %s, naming %s', (_case, field, event) => {
    expect(rejectedField(() => parseFinishOutboundRequest(event))).toBe(field);
  });
});

describe('parseMigrationId', () => {
  it('accepts 1 to 48 letters, digits, hyphens and underscores (an execution name must fit after it)', () => {
    expect(MIGRATION_ID_MAX_LENGTH).toBe(48);
    expect(parseMigrationId('m')).toBe('m');
    expect(parseMigrationId('A'.repeat(48))).toBe('A'.repeat(48));
    expect(parseMigrationId(MIGRATION_ID)).toBe(MIGRATION_ID);
  });

  it.each(['out', 'in'])('leaves room for the longest id in a run name <id>-%s-<13-digit time> that the steps accept', (side) => {
    const migrationId = parseMigrationId('A'.repeat(MIGRATION_ID_MAX_LENGTH));
    const runName = `${migrationId}-${side}-${9_999_999_999_999}`;
    expect(parseFinishOutboundRequest(finishEvent({ migrationId, runName }))).toMatchObject({ migrationId, runName });
  });

  it.each([[''], ['A'.repeat(49)], ['eu.fleet'], ['../x'], [42]])('refuses %p', (value) => {
    expect(rejectedField(() => parseMigrationId(value, 'offers.migrationId'))).toBe('offers.migrationId');
  });
});
