import { ValidationError } from '../../../lambdas/iot-api/field-rules';
import {
  parseAnswerBatch,
  parseFinishRunRequest,
  parseInspectBatch,
  MIGRATION_ID_MAX_LENGTH,
  parseMigrationId,
  parseOutboundMigrationRequest,
  parseSummarizeRequest,
  parseTransferBatch,
} from '../../../lambdas/migration/migration-requests';
import {
  certificateArnOf,
  certificateIdOf,
  EXECUTION_ID,
  MIGRATION_ID,
  RUN_NAME,
  SOURCE_ACCOUNT,
  TARGET_ACCOUNT,
} from './migration-fixtures';

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
      reason: 'EU fleet',
      ...migration,
    },
    runName: RUN_NAME,
    executionId: EXECUTION_ID,
    ...change,
  };
}

const inspectItem = (n: number) => ({
  certificateId: certificateIdOf(n),
  certificateArn: certificateArnOf(certificateIdOf(n)),
  status: 'INACTIVE',
});
const transferItem = (n: number) => ({ ...inspectItem(n), policies: ['fleet-policy'], thingCount: 1 });

function transferEvent(batchInput: Record<string, unknown> = {}, items: unknown[] = [transferItem(1), transferItem(2)]) {
  return {
    Items: items,
    BatchInput: {
      runName: RUN_NAME,
      executionId: EXECUTION_ID,
      targetAwsAccount: TARGET_ACCOUNT,
      transferMessage: 'fleet move',
      requestedBy: 'alice',
      approvedBy: 'bob',
      consentToPrepare: true,
      ...batchInput,
    },
  };
}

function answerEvent(batchInput: Record<string, unknown> = {}, items: unknown[] = [{ certificateId: certificateIdOf(1) }]) {
  return {
    Items: items,
    BatchInput: {
      runName: RUN_NAME,
      executionId: EXECUTION_ID,
      sourceAwsAccount: SOURCE_ACCOUNT,
      decision: 'APPROVED',
      setAsActive: 'true',
      requestedBy: 'alice',
      approvedBy: 'dave',
      ...batchInput,
    },
  };
}

function summarizeEvent(plan: Record<string, unknown> = {}, change: Record<string, unknown> = {}) {
  return {
    migrationId: MIGRATION_ID,
    runName: RUN_NAME,
    plan: {
      certificateCount: 3,
      duplicateCount: 0,
      itemsKey: 'items.json',
      itemCount: 2,
      settledKey: 'settled.json',
      settledCount: 1,
      mapResultsPrefix: 'map-results',
      ...plan,
    },
    inspectionManifestKey: 'map-results/run/manifest.json',
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
    unprocessedOutcome: 'NOT_APPROVED',
    reconcile: 'OFFERS',
    targetAwsAccount: TARGET_ACCOUNT,
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
      reason: 'EU fleet',
    });
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
    ['the reason is too long', 'reason', () => parseOutboundMigrationRequest(runStartEvent({ reason: 'r'.repeat(257) }))],
    ['the run name is not an execution name', 'runName', () => parseOutboundMigrationRequest(runStartEvent({}, { runName: 'run one' }))],
    ['the run name is too long', 'runName', () => parseOutboundMigrationRequest(runStartEvent({}, { runName: 'r'.repeat(81) }))],
    ['the execution id is missing', 'executionId', () => parseOutboundMigrationRequest(runStartEvent({}, { executionId: undefined }))],
  ])('refuses a run start where %s, naming %s', (_case, field, parse) => {
    expect(rejectedField(parse)).toBe(field);
  });
});

describe('parseInspectBatch', () => {
  it('reads the batch items and the run name', () => {
    expect(parseInspectBatch({ Items: [inspectItem(1), inspectItem(2)], BatchInput: { runName: RUN_NAME } })).toEqual({
      runName: RUN_NAME,
      items: [inspectItem(1), inspectItem(2)],
    });
  });

  it.each([
    ['there are no items', 'Items', { Items: [], BatchInput: { runName: RUN_NAME } }],
    ['the items are not a list', 'Items', { Items: 'all', BatchInput: { runName: RUN_NAME } }],
    [
      'the fourth item has a bad certificate id',
      'Items[3].certificateId',
      {
        Items: [inspectItem(1), inspectItem(2), inspectItem(3), { ...inspectItem(4), certificateId: 'xyz' }],
        BatchInput: { runName: RUN_NAME },
      },
    ],
    ['an item is not an object', 'Items[1]', { Items: [inspectItem(1), 'cert'], BatchInput: { runName: RUN_NAME } }],
    [
      'an item has no ARN',
      'Items[0].certificateArn',
      { Items: [{ ...inspectItem(1), certificateArn: '' }], BatchInput: { runName: RUN_NAME } },
    ],
    [
      'an item has no status',
      'Items[1].status',
      { Items: [inspectItem(1), { ...inspectItem(2), status: undefined }], BatchInput: { runName: RUN_NAME } },
    ],
    ['the batch input is missing', 'BatchInput', { Items: [inspectItem(1)] }],
    ['the batch input has no run name', 'BatchInput.runName', { Items: [inspectItem(1)], BatchInput: {} }],
  ])('refuses a batch where %s, naming %s', (_case, field, event) => {
    expect(rejectedField(() => parseInspectBatch(event))).toBe(field);
  });
});

describe('parseSummarizeRequest', () => {
  it('reads the run, the plan and the inspection results', () => {
    expect(parseSummarizeRequest(summarizeEvent())).toEqual(summarizeEvent());
  });

  it.each([
    ['null', null],
    ['absent', undefined],
  ])(
    'takes an inspection manifest key that is %s as an inspection skipped because nothing was left to inspect',
    (_case, inspectionManifestKey) => {
      expect(parseSummarizeRequest(summarizeEvent({ itemCount: 0 }, { inspectionManifestKey })).inspectionManifestKey).toBeNull();
    },
  );

  it.each([
    ['the plan is missing', 'plan', summarizeEvent({}, { plan: null })],
    ['the item count is negative', 'plan.itemCount', summarizeEvent({ itemCount: -1 })],
    ['the certificate count is not whole', 'plan.certificateCount', summarizeEvent({ certificateCount: 2.5 })],
    ['the settled key is missing', 'plan.settledKey', summarizeEvent({ settledKey: undefined })],
    ['the inspection manifest key is empty', 'inspectionManifestKey', summarizeEvent({}, { inspectionManifestKey: '' })],
    ['the inspection manifest key is not a string', 'inspectionManifestKey', summarizeEvent({}, { inspectionManifestKey: 42 })],
    ['the migration id is missing', 'migrationId', summarizeEvent({}, { migrationId: undefined })],
  ])('refuses a request where %s, naming %s', (_case, field, event) => {
    expect(rejectedField(() => parseSummarizeRequest(event))).toBe(field);
  });
});

describe('parseTransferBatch', () => {
  it('reads the items and the context every item shares', () => {
    expect(parseTransferBatch(transferEvent(), 'invocation-1')).toEqual({
      invocationId: 'invocation-1',
      items: [transferItem(1), transferItem(2)],
      context: {
        runName: RUN_NAME,
        executionId: EXECUTION_ID,
        targetAwsAccount: TARGET_ACCOUNT,
        transferMessage: 'fleet move',
        requestedBy: 'alice',
        approvedBy: 'bob',
        consentToPrepare: true,
      },
    });
  });

  it('reads consent as Step Functions passes it, as a string, and defaults it to false', () => {
    expect(parseTransferBatch(transferEvent({ consentToPrepare: 'true' }), 'i').context.consentToPrepare).toBe(true);
    expect(parseTransferBatch(transferEvent({ consentToPrepare: 'false' }), 'i').context.consentToPrepare).toBe(false);
    expect(parseTransferBatch(transferEvent({ consentToPrepare: undefined }), 'i').context.consentToPrepare).toBe(false);
  });

  it('takes a null transfer message as none', () => {
    expect(parseTransferBatch(transferEvent({ transferMessage: null }), 'i').context.transferMessage).toBeUndefined();
  });

  it.each([
    ['the target account is not 12 digits', 'BatchInput.targetAwsAccount', transferEvent({ targetAwsAccount: '22222222222a' })],
    ['the execution id is missing', 'BatchInput.executionId', transferEvent({ executionId: undefined })],
    ['consent is not a boolean', 'BatchInput.consentToPrepare', transferEvent({ consentToPrepare: 'yes' })],
    ['the transfer message is too long', 'BatchInput.transferMessage', transferEvent({ transferMessage: 'm'.repeat(129) })],
    ['the approver is empty', 'BatchInput.approvedBy', transferEvent({ approvedBy: '' })],
    ['the requester is too long', 'BatchInput.requestedBy', transferEvent({ requestedBy: 'r'.repeat(257) })],
    ['the run name is missing', 'BatchInput.runName', transferEvent({ runName: undefined })],
    ['the policies are not names', 'Items[1].policies', transferEvent({}, [transferItem(1), { ...transferItem(2), policies: [1] }])],
    ['the thing count is negative', 'Items[0].thingCount', transferEvent({}, [{ ...transferItem(1), thingCount: -1 }])],
    [
      'the third certificate id is too short',
      'Items[2].certificateId',
      transferEvent({}, [transferItem(1), transferItem(2), { ...transferItem(3), certificateId: 'abc' }]),
    ],
  ])('refuses a batch where %s, naming %s', (_case, field, event) => {
    expect(rejectedField(() => parseTransferBatch(event, 'invocation-1'))).toBe(field);
  });
});

describe('parseAnswerBatch', () => {
  it('reads the decision, the source account and setAsActive', () => {
    expect(parseAnswerBatch(answerEvent(), 'invocation-1')).toEqual({
      invocationId: 'invocation-1',
      items: [{ certificateId: certificateIdOf(1) }],
      context: {
        runName: RUN_NAME,
        executionId: EXECUTION_ID,
        requestedBy: 'alice',
        approvedBy: 'dave',
        sourceAwsAccount: SOURCE_ACCOUNT,
        decision: 'APPROVED',
        setAsActive: true,
        rejectReason: undefined,
      },
    });
  });

  it('reads a rejection with its reason', () => {
    const { context } = parseAnswerBatch(
      answerEvent({ decision: 'REJECTED', rejectReason: 'unknown devices', setAsActive: undefined }),
      'i',
    );
    expect(context).toMatchObject({ decision: 'REJECTED', rejectReason: 'unknown devices', setAsActive: false });
  });

  it.each([
    ['the decision is neither APPROVED nor REJECTED', 'BatchInput.decision', answerEvent({ decision: 'MAYBE' })],
    ['the source account is missing', 'BatchInput.sourceAwsAccount', answerEvent({ sourceAwsAccount: undefined })],
    ['the reject reason is too long', 'BatchInput.rejectReason', answerEvent({ decision: 'REJECTED', rejectReason: 'r'.repeat(129) })],
    ['setAsActive is not a boolean', 'BatchInput.setAsActive', answerEvent({ setAsActive: 'on' })],
    [
      'the second certificate id is not hex',
      'Items[1].certificateId',
      answerEvent({}, [{ certificateId: certificateIdOf(1) }, { certificateId: 'z'.repeat(64) }]),
    ],
  ])('refuses a batch where %s, naming %s', (_case, field, event) => {
    expect(rejectedField(() => parseAnswerBatch(event, 'invocation-1'))).toBe(field);
  });
});

describe('parseFinishRunRequest', () => {
  it('reads the run files, the outcome of unprocessed items, and how failed items are checked on the source side', () => {
    expect(parseFinishRunRequest(finishEvent())).toEqual({ ...finishEvent(), decision: null });
  });

  it('reads the target approvers decision, which decides whether failed items are checked as acceptances', () => {
    expect(
      parseFinishRunRequest(finishEvent({ reconcile: 'ACCEPTANCES', targetAwsAccount: undefined, decision: 'REJECTED' })).decision,
    ).toBe('REJECTED');
    expect(() => parseFinishRunRequest(finishEvent({ decision: 'MAYBE' }))).toThrow(expect.objectContaining({ field: 'decision' }));
  });

  it('reads the target side request, which checks acceptances and names no target account', () => {
    expect(parseFinishRunRequest(finishEvent({ reconcile: 'ACCEPTANCES', targetAwsAccount: undefined }))).toMatchObject({
      reconcile: 'ACCEPTANCES',
      targetAwsAccount: null,
    });
    expect(parseFinishRunRequest(finishEvent({ reconcile: 'ACCEPTANCES', targetAwsAccount: null })).targetAwsAccount).toBeNull();
  });

  it('takes a null results manifest as a map that did not run', () => {
    expect(parseFinishRunRequest(finishEvent({ resultsManifestKey: null })).resultsManifestKey).toBeNull();
  });

  it.each([
    ['the unprocessed outcome is not NOT_APPROVED', 'unprocessedOutcome', finishEvent({ unprocessedOutcome: 'OFFERED' })],
    ['the settled key is missing', 'settledKey', finishEvent({ settledKey: undefined })],
    ['the items key is empty', 'itemsKey', finishEvent({ itemsKey: '' })],
    ['the run name is missing', 'runName', finishEvent({ runName: undefined })],
    ['it does not say how to check failed items', 'reconcile', finishEvent({ reconcile: undefined })],
    ['the check is neither OFFERS nor ACCEPTANCES', 'reconcile', finishEvent({ reconcile: 'offers' })],
    ['offers are checked without a target account', 'targetAwsAccount', finishEvent({ targetAwsAccount: undefined })],
    ['offers are checked against a target account that is not 12 digits', 'targetAwsAccount', finishEvent({ targetAwsAccount: '2222' })],
  ])('refuses a request where %s, naming %s', (_case, field, event) => {
    expect(rejectedField(() => parseFinishRunRequest(event))).toBe(field);
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
    expect(parseFinishRunRequest(finishEvent({ migrationId, runName }))).toMatchObject({ migrationId, runName });
  });

  it.each([[''], ['A'.repeat(49)], ['eu.fleet'], ['../x'], [42]])('refuses %p', (value) => {
    expect(rejectedField(() => parseMigrationId(value, 'offers.migrationId'))).toBe('offers.migrationId');
  });
});
