import { randomBytes } from 'node:crypto';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { ApprovalLinkSigner } from '../../../lambdas/approvals/approval-link-signer';
import {
  parseApprovalTaskInput,
  requestApproval,
  type ApprovalTaskInput,
  type RequestApprovalDeps,
} from '../../../lambdas/approvals/request-approval';
import { approvalTableFixture, type ApprovalTableFixture } from './approval-table-fixture';
import { migrationSummary } from './migration-summary-fixture';

const snsMock = mockClient(SNSClient);
const NOW = new Date('2026-11-24T10:00:00Z');
let table: ApprovalTableFixture;
let deps: RequestApprovalDeps;
let counter = 0;

beforeAll(async () => {
  table = await approvalTableFixture();
  deps = {
    store: table.store,
    sns: new SNSClient({ region: 'us-east-1' }),
    signer: new ApprovalLinkSigner(randomBytes(32)),
    topicArn: 'arn:aws:sns:us-east-1:111111111111:source-approvers',
    approvers: ['bob@example.com', 'alice@example.com'],
    approvalPageUrl: 'https://approvals.example.com/prod/approval',
    reminderLeadSeconds: 3600,
    now: () => NOW,
  };
});
afterAll(() => table.close());
beforeEach(() => {
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ $metadata: {}, MessageId: 'm-1' });
});

/** A migration's task input as the workflow sends it: no certificateId. */
function migrationTaskInput(change: Partial<ApprovalTaskInput> = {}): ApprovalTaskInput {
  counter += 1;
  return {
    taskToken: `token-${counter}`,
    executionId: `arn:aws:states:us-east-1:111111111111:execution:Migration:run-${counter}`,
    side: 'SOURCE',
    migration: migrationSummary(),
    sourceAwsAccount: '111111111111',
    targetAwsAccount: '222222222222',
    transferMessage: 'fleet move',
    requestedBy: 'alice@example.com',
    reason: 'EU data residency',
    preparation: { deactivate: false, detachPolicies: [], attachedThings: [] },
    deadlineSeconds: 86400,
    ...change,
  };
}

function published(): Array<{ subject: string | undefined; message: string }> {
  return snsMock
    .commandCalls(PublishCommand)
    .map((call) => ({ subject: call.args[0].input.Subject, message: call.args[0].input.Message ?? '' }));
}

describe('requestApproval for a migration', () => {
  it('stores the migration summary without a certificate id and notifies with the counts', async () => {
    const input = migrationTaskInput();
    const result = await requestApproval(deps, input);

    const stored = await deps.store.get(result.requestId);
    expect(stored).toMatchObject({
      status: 'PENDING',
      migration: migrationSummary(),
      preparation: { deactivate: false, detachPolicies: [], attachedThings: [] },
    });
    expect(stored).not.toHaveProperty('certificateId');
    const [notification, ...others] = published();
    expect(others).toHaveLength(0);
    expect(notification?.subject).toBe('certflow: approve moving 10000 certificates to 222222222222');
    const message = notification?.message ?? '';
    for (const line of [
      'certflow asks for your approval to move 10000 AWS IoT certificates from account 111111111111 to account 222222222222 (migration eu-fleet-2026_11).',
      '  Requested by:  "alice@example.com"',
      '  Migration:     eu-fleet-2026_11',
      '  Certificates:  10000',
      '  By status:     ACTIVE 3, INACTIVE 9995, PENDING_TRANSFER 2',
      '  With policies: 5 (detached before the transfer)',
      '  With things:   7',
      '  To deactivate: 3 (ACTIVE: set INACTIVE, their devices disconnect)',
      '  Already done:  11 (skipped: moved by an earlier run)',
      '  Will fail:     2 (missing, pending transfer to another account, ...)',
      `  Examples:      ${'1'.repeat(64)}`,
      `                 ${'5'.repeat(64)}`,
      '  Needs first:   deactivate 3 ACTIVE certificates (devices using them will disconnect) and detach the policies of 5 certificates',
    ]) {
      expect(message.split('\n')).toContain(line);
    }
    expect(message).not.toContain('6'.repeat(64));
    expect(message).not.toContain('Certificate: ');
    expect(message).not.toContain(input.taskToken);
  });

  it('keeps no certificate preparation for a migration, even one the task sends', async () => {
    const result = await requestApproval(
      deps,
      migrationTaskInput({ preparation: { deactivate: true, detachPolicies: ['p'], attachedThings: [] } }),
    );
    expect((await deps.store.get(result.requestId))?.preparation).toEqual({ deactivate: false, detachPolicies: [], attachedThings: [] });
  });

  it('asks the target side to accept the whole batch', async () => {
    await requestApproval(deps, migrationTaskInput({ side: 'TARGET', migration: migrationSummary({ certificateCount: 1 }) }));
    const [notification] = published();
    expect(notification?.subject).toBe('certflow: approve accepting 1 certificate from 111111111111');
    expect(notification?.message).toContain(
      'Account 111111111111 offers 1 AWS IoT certificate to this account (222222222222) (migration eu-fleet-2026_11).',
    );
    expect(notification?.message).toContain('and the transfers are rejected');
    expect(notification?.message).not.toContain('Needs first');
  });
});

describe('parseApprovalTaskInput for a migration', () => {
  const valid = migrationTaskInput();
  const refusal = (event: Record<string, unknown>): unknown => {
    try {
      parseApprovalTaskInput(event);
    } catch (error) {
      return error;
    }
    throw new Error('parseApprovalTaskInput accepted the input');
  };

  it('accepts a migration summary instead of a certificate id', () => {
    const parsed = parseApprovalTaskInput(valid);
    expect(parsed).toEqual(valid);
    expect(parsed).not.toHaveProperty('certificateId');
  });

  it('takes a null certificateId as absent', () => {
    expect(parseApprovalTaskInput({ ...valid, certificateId: null }).migration).toEqual(migrationSummary());
  });

  it('keeps only the summary fields', () => {
    expect(parseApprovalTaskInput({ ...valid, migration: { ...migrationSummary(), extra: '<b>' } }).migration).toEqual(migrationSummary());
  });

  it("keeps the certificate list's key, a file of this migration", () => {
    const key = 'migrations/eu-fleet-2026_11/runs/run-1/transfer-items.json';
    expect(parseApprovalTaskInput({ ...valid, migration: migrationSummary({ certificateListKey: key }) }).migration).toEqual(
      migrationSummary({ certificateListKey: key }),
    );
    expect(parseApprovalTaskInput({ ...valid, migration: { ...migrationSummary(), certificateListKey: null } }).migration).toEqual(
      migrationSummary(),
    );
  });

  it.each([
    ['a number', 7],
    ['a key outside migrations/', 'runs/run-1/transfer-items.json'],
    ["another migration's file", 'migrations/other-fleet/runs/run-1/transfer-items.json'],
    ["the migration's folder itself", 'migrations/eu-fleet-2026_11/'],
    ['a key that climbs out with ..', 'migrations/eu-fleet-2026_11/../other/offers.json'],
    ['a key with a control character', 'migrations/eu-fleet-2026_11/runs/\n/transfer-items.json'],
    ['a key of more than 1024 characters', `migrations/eu-fleet-2026_11/${'k'.repeat(1000)}`],
  ])('refuses a certificateListKey that is %s, naming the field', (_case, certificateListKey) => {
    expect(refusal({ ...valid, migration: { ...migrationSummary(), certificateListKey } })).toMatchObject({
      name: 'ValidationError',
      field: 'migration.certificateListKey',
    });
  });

  it('accepts an empty batch with no statuses and no samples', () => {
    const empty = migrationSummary({
      certificateCount: 0,
      statusCounts: {},
      withPolicies: 0,
      withThings: 0,
      toDeactivate: 0,
      alreadyDone: 0,
      notTransferable: 0,
      sampleCertificateIds: [],
    });
    expect(parseApprovalTaskInput({ ...valid, migration: empty }).migration).toEqual(empty);
  });

  it.each([
    ['both a certificate id and a migration', { certificateId: 'c'.repeat(64) }, 'give either certificateId or migration, not both'],
    ['a null migration and no certificate id', { migration: null }, 'is required unless migration is given'],
    ['neither a certificate id nor a migration', { migration: undefined }, 'is required unless migration is given'],
  ])('refuses %s, naming certificateId', (_case, change, rule) => {
    expect(refusal({ ...valid, ...change })).toMatchObject({ name: 'ValidationError', field: 'certificateId', rule });
  });

  const statuses = 'ACTIVE, INACTIVE, REVOKED, PENDING_TRANSFER, REGISTER_INACTIVE, PENDING_ACTIVATION';
  it.each([
    ['a list', [], 'migration', 'must be an object'],
    ['a string', 'm-1', 'migration', 'must be an object'],
    ['no migrationId', { migrationId: undefined }, 'migration.migrationId', 'must be 1 to 48 letters, digits, hyphens or underscores'],
    ['an empty migrationId', { migrationId: '' }, 'migration.migrationId', 'must be 1 to 48 letters, digits, hyphens or underscores'],
    [
      'a migrationId of 49 characters',
      { migrationId: 'm'.repeat(49) },
      'migration.migrationId',
      'must be 1 to 48 letters, digits, hyphens or underscores',
    ],
    [
      'a migrationId with a slash',
      { migrationId: 'eu/fleet' },
      'migration.migrationId',
      'must be 1 to 48 letters, digits, hyphens or underscores',
    ],
    ['a negative certificateCount', { certificateCount: -1 }, 'migration.certificateCount', 'must be a whole number, at least 0'],
    ['a fractional certificateCount', { certificateCount: 1.5 }, 'migration.certificateCount', 'must be a whole number, at least 0'],
    ['a certificateCount as text', { certificateCount: '10' }, 'migration.certificateCount', 'must be a whole number, at least 0'],
    ['no certificateCount', { certificateCount: undefined }, 'migration.certificateCount', 'must be a whole number, at least 0'],
    ['statusCounts as a list', { statusCounts: [] }, 'migration.statusCounts', 'must be an object of certificate status to count'],
    ['no statusCounts', { statusCounts: undefined }, 'migration.statusCounts', 'must be an object of certificate status to count'],
    [
      'an unknown status',
      { statusCounts: { ACTIVE: 1, active: 2 } },
      'migration.statusCounts',
      `keys must be one of ${statuses} (got "active")`,
    ],
    [
      'a negative status count',
      { statusCounts: { INACTIVE: -3 } },
      'migration.statusCounts',
      'INACTIVE must be a whole number, at least 0',
    ],
    [
      'a status count as text',
      { statusCounts: { INACTIVE: '3' } },
      'migration.statusCounts',
      'INACTIVE must be a whole number, at least 0',
    ],
    ['a fractional withPolicies', { withPolicies: 0.5 }, 'migration.withPolicies', 'must be a whole number, at least 0'],
    ['a negative withThings', { withThings: -1 }, 'migration.withThings', 'must be a whole number, at least 0'],
    ['a null toDeactivate', { toDeactivate: null }, 'migration.toDeactivate', 'must be a whole number, at least 0'],
    ['an infinite alreadyDone', { alreadyDone: Infinity }, 'migration.alreadyDone', 'must be a whole number, at least 0'],
    ['a boolean notTransferable', { notTransferable: true }, 'migration.notTransferable', 'must be a whole number, at least 0'],
    [
      'no sampleCertificateIds',
      { sampleCertificateIds: undefined },
      'migration.sampleCertificateIds',
      'must be a list of at most 20 certificate ids',
    ],
    [
      '21 sampleCertificateIds',
      { sampleCertificateIds: Array.from({ length: 21 }, () => 'a'.repeat(64)) },
      'migration.sampleCertificateIds',
      'must be a list of at most 20 certificate ids (got 21)',
    ],
    [
      'a sample that is no certificate id',
      { sampleCertificateIds: ['a'.repeat(64), 'xyz'] },
      'migration.sampleCertificateIds',
      'item 2 must be exactly 64 characters long (got 3)',
    ],
    [
      'a sample that is a number',
      { sampleCertificateIds: [7] },
      'migration.sampleCertificateIds',
      'item 1 is required and must be a string',
    ],
  ])('refuses a migration with %s, naming the field', (_case, change, field, rule) => {
    const migration = Array.isArray(change) || typeof change !== 'object' ? change : { ...migrationSummary(), ...change };
    expect(refusal({ ...valid, migration })).toMatchObject({ name: 'ValidationError', field, rule });
  });
});
