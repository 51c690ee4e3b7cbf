import {
  DetachThingPrincipalCommand,
  ListPrincipalThingsCommand,
  AttachPolicyCommand,
  DescribeCertificateCommand,
  DetachPolicyCommand,
  IoTClient,
  ListAttachedPoliciesCommand,
  TransferCertificateCommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { AuditRow } from '../../../lambdas/audit-trail/audit-row';
import type { CertificateToTransfer } from '../../../lambdas/migration/inspect-certificates';
import { MigrationProgress } from '../../../lambdas/migration/migration-progress';
import { transferCertificates, type TransferBatchContext } from '../../../lambdas/migration/transfer-certificates';
import { InMemoryAuditTrail, UnreachableAuditTrail } from '../audit-trail/in-memory-audit-trail';
import {
  certificateArnOf,
  certificateIdOf,
  EXECUTION_ID,
  freshRunName,
  iotError,
  progressTableFixture,
  SOURCE_ACCOUNT,
  TARGET_ACCOUNT,
  type ProgressTableFixture,
} from './migration-fixtures';

const iot = mockClient(IoTClient);
const NOW = new Date('2026-11-24T10:00:00.000Z');
let table: ProgressTableFixture;

beforeAll(async () => {
  table = await progressTableFixture();
});
afterAll(() => table.close());
beforeEach(() => {
  iot.reset();
  iot.on(UpdateCertificateCommand).resolves({ $metadata: { requestId: 'update-1' } });
  iot.on(DetachPolicyCommand).resolves({ $metadata: { requestId: 'detach-1' } });
  iot.on(AttachPolicyCommand).resolves({ $metadata: { requestId: 'attach-1' } });
  iot.on(TransferCertificateCommand).callsFake((input: { certificateId: string }) => ({
    transferredCertificateArn: certificateArnOf(input.certificateId),
    $metadata: { requestId: `transfer-${input.certificateId.slice(-2)}` },
  }));
  // The item retries wait a random share of their backoff: none, here.
  jest.spyOn(Math, 'random').mockReturnValue(0);
});
afterEach(() => jest.restoreAllMocks());

function item(n: number, status: 'ACTIVE' | 'INACTIVE', policies: string[] = [], thingCount = 0): CertificateToTransfer {
  return { certificateId: certificateIdOf(n), certificateArn: certificateArnOf(certificateIdOf(n)), status, policies, thingCount };
}

function batchOf(items: CertificateToTransfer[], change: Partial<TransferBatchContext> = {}, invocationId = 'invocation-1') {
  const context: TransferBatchContext = {
    runName: freshRunName(),
    executionId: EXECUTION_ID,
    targetAwsAccount: TARGET_ACCOUNT,
    transferMessage: 'fleet move',
    requestedBy: 'alice@example.com',
    approvedBy: 'bob@example.com',
    consentToPrepare: true,
    ...change,
  };
  return { context, invocationId, items };
}

function depsWith(auditTrail: InMemoryAuditTrail) {
  return { iot: new IoTClient({}), auditTrail, accountId: SOURCE_ACCOUNT, now: () => NOW, progress: table.progress };
}

/** The IoT commands sent, in order, by their class name. */
function commandsSent(): string[] {
  return iot.calls().map((call) => (call.args[0] as object).constructor.name);
}

function successfulTransfers(rows: readonly AuditRow[], certificateId: string): AuditRow[] {
  return rows.filter((row) => row.certificateId === certificateId && row.action === 'TransferCertificate' && row.outcome === 'SUCCEEDED');
}

describe('transferCertificates', () => {
  it('detaches the things of a certificate that has some before offering it, each an audited DetachThingPrincipal', async () => {
    iot.on(ListPrincipalThingsCommand).resolves({ $metadata: {}, things: ['sensor-1'] });
    iot.on(DetachThingPrincipalCommand).resolves({ $metadata: { requestId: 'detach-thing-1' } });
    const auditTrail = new InMemoryAuditTrail();
    const outcomes = await transferCertificates(depsWith(auditTrail), batchOf([item(1, 'INACTIVE', [], 1)]));
    expect(outcomes).toEqual([{ certificateId: certificateIdOf(1), outcome: 'OFFERED', previousStatus: 'INACTIVE' }]);
    expect(iot).toHaveReceivedCommandWith(DetachThingPrincipalCommand, {
      thingName: 'sensor-1',
      principal: certificateArnOf(certificateIdOf(1)),
    });
    expect(auditTrail.rows.map((row) => [row.action, row.thingName ?? ''])).toEqual([
      ['DetachThingPrincipal', 'sensor-1'],
      ['TransferCertificate', ''],
    ]);
  });

  it('offers an INACTIVE certificate without policies with one TransferCertificate and one SUCCEEDED audit row', async () => {
    const auditTrail = new InMemoryAuditTrail();
    const outcomes = await transferCertificates(depsWith(auditTrail), batchOf([item(1, 'INACTIVE')]));
    expect(outcomes).toEqual([{ certificateId: certificateIdOf(1), outcome: 'OFFERED', previousStatus: 'INACTIVE' }]);
    expect(commandsSent()).toEqual(['TransferCertificateCommand']);
    expect(iot).toHaveReceivedCommandWith(TransferCertificateCommand, {
      certificateId: certificateIdOf(1),
      targetAwsAccount: TARGET_ACCOUNT,
      transferMessage: '[certflow-migration] fleet move',
    });
    expect(auditTrail.rows).toHaveLength(1);
    expect(auditTrail.rows[0]).toMatchObject({
      certificateId: certificateIdOf(1),
      action: 'TransferCertificate',
      outcome: 'SUCCEEDED',
      sourceAwsAccount: SOURCE_ACCOUNT,
      targetAwsAccount: TARGET_ACCOUNT,
      message: '[certflow-migration] fleet move',
      requestedBy: 'alice@example.com',
      approvedBy: 'bob@example.com',
      executionId: EXECUTION_ID,
      invocationId: 'invocation-1',
      awsRequestId: `transfer-${certificateIdOf(1).slice(-2)}`,
      transferredCertificateArn: certificateArnOf(certificateIdOf(1)),
      certificateStatus: 'PENDING_TRANSFER',
      recordedAt: NOW.toISOString(),
    });
  });

  it('deactivates an ACTIVE certificate and detaches its policies before offering it, when the approvers consented', async () => {
    const auditTrail = new InMemoryAuditTrail();
    const outcomes = await transferCertificates(depsWith(auditTrail), batchOf([item(1, 'ACTIVE', ['fleet', 'telemetry'])]));
    expect(outcomes).toEqual([{ certificateId: certificateIdOf(1), outcome: 'OFFERED', previousStatus: 'ACTIVE' }]);
    expect(commandsSent()).toEqual([
      'UpdateCertificateCommand',
      'DetachPolicyCommand',
      'DetachPolicyCommand',
      'TransferCertificateCommand',
    ]);
    expect(iot).toHaveReceivedCommandWith(UpdateCertificateCommand, { certificateId: certificateIdOf(1), newStatus: 'INACTIVE' });
    expect(iot).toHaveReceivedCommandWith(DetachPolicyCommand, { policyName: 'telemetry', target: certificateArnOf(certificateIdOf(1)) });
    expect(auditTrail.rows.map((row) => [row.action, row.outcome, row.policyName ?? row.previousStatus ?? row.targetAwsAccount])).toEqual([
      ['UpdateCertificate', 'SUCCEEDED', 'ACTIVE'],
      ['DetachPolicy', 'SUCCEEDED', 'fleet'],
      ['DetachPolicy', 'SUCCEEDED', 'telemetry'],
      ['TransferCertificate', 'SUCCEEDED', TARGET_ACCOUNT],
    ]);
  });

  it('fails an ACTIVE certificate as ConsentRequired when the approvers did not consent, without touching it or writing an audit row', async () => {
    const auditTrail = new InMemoryAuditTrail();
    const outcomes = await transferCertificates(depsWith(auditTrail), batchOf([item(1, 'ACTIVE')], { consentToPrepare: false }));
    expect(outcomes).toEqual([
      {
        certificateId: certificateIdOf(1),
        outcome: 'FAILED',
        errorName: 'ConsentRequired',
        errorMessage: 'the certificate is ACTIVE and the approvers did not consent to prepare it',
        previousStatus: 'ACTIVE',
      },
    ]);
    expect(iot.calls()).toHaveLength(0);
    expect(auditTrail.rows).toEqual([]);
  });

  it('fails an INACTIVE certificate with policies as ConsentRequired without consent, naming how many policies', async () => {
    const auditTrail = new InMemoryAuditTrail();
    const [outcome] = await transferCertificates(
      depsWith(auditTrail),
      batchOf([item(1, 'INACTIVE', ['fleet', 'telemetry'])], { consentToPrepare: false }),
    );
    expect(outcome).toMatchObject({
      outcome: 'FAILED',
      errorName: 'ConsentRequired',
      errorMessage: 'the certificate is INACTIVE with 2 policies attached and the approvers did not consent to prepare it',
    });
    expect(iot.calls()).toHaveLength(0);
    expect(auditTrail.rows).toEqual([]);
  });

  it('offers what needs no preparation without consent, and refuses only what does', async () => {
    const auditTrail = new InMemoryAuditTrail();
    const outcomes = await transferCertificates(
      depsWith(auditTrail),
      batchOf([item(1, 'ACTIVE'), item(2, 'INACTIVE'), item(3, 'INACTIVE', ['fleet'])], { consentToPrepare: false }),
    );
    expect(outcomes.map((outcome) => [outcome.certificateId, outcome.outcome, outcome.errorName])).toEqual([
      [certificateIdOf(1), 'FAILED', 'ConsentRequired'],
      [certificateIdOf(2), 'OFFERED', undefined],
      [certificateIdOf(3), 'FAILED', 'ConsentRequired'],
    ]);
    expect(auditTrail.rows.map((row) => [row.certificateId, row.action, row.outcome])).toEqual([
      [certificateIdOf(2), 'TransferCertificate', 'SUCCEEDED'],
    ]);
  });

  it('restores a prepared certificate after the transfer failed for good: policies attached again, then ACTIVE', async () => {
    iot.on(TransferCertificateCommand).rejects(iotError('InvalidRequestException', 'the target account cannot receive certificates'));
    const auditTrail = new InMemoryAuditTrail();
    const outcomes = await transferCertificates(depsWith(auditTrail), batchOf([item(1, 'ACTIVE', ['fleet'])]));
    expect(outcomes).toEqual([
      {
        certificateId: certificateIdOf(1),
        outcome: 'FAILED',
        errorName: 'InvalidRequestException',
        errorMessage: 'the target account cannot receive certificates',
        previousStatus: 'ACTIVE',
      },
    ]);
    expect(commandsSent()).toEqual([
      'UpdateCertificateCommand',
      'DetachPolicyCommand',
      'TransferCertificateCommand',
      'AttachPolicyCommand',
      'UpdateCertificateCommand',
    ]);
    expect(iot).toHaveReceivedNthCommandWith(5, UpdateCertificateCommand, { certificateId: certificateIdOf(1), newStatus: 'ACTIVE' });
    expect(iot).toHaveReceivedCommandWith(AttachPolicyCommand, { policyName: 'fleet', target: certificateArnOf(certificateIdOf(1)) });
    expect(auditTrail.rows.map((row) => [row.action, row.outcome, row.errorName])).toEqual([
      ['UpdateCertificate', 'SUCCEEDED', undefined],
      ['DetachPolicy', 'SUCCEEDED', undefined],
      ['TransferCertificate', 'FAILED', 'InvalidRequestException'],
      ['AttachPolicy', 'SUCCEEDED', undefined],
      ['UpdateCertificate', 'SUCCEEDED', undefined],
    ]);
    expect(successfulTransfers(auditTrail.rows, certificateIdOf(1))).toEqual([]);
  });

  it('restores what preparation may have changed when preparation itself failed for good', async () => {
    iot.on(DetachPolicyCommand).rejects(iotError('UnauthorizedException', 'not allowed to detach'));
    const outcomes = await transferCertificates(depsWith(new InMemoryAuditTrail()), batchOf([item(1, 'ACTIVE', ['fleet'])]));
    expect(outcomes[0]).toMatchObject({ outcome: 'FAILED', errorName: 'UnauthorizedException' });
    expect(commandsSent()).toEqual(['UpdateCertificateCommand', 'DetachPolicyCommand', 'AttachPolicyCommand', 'UpdateCertificateCommand']);
    expect(iot).not.toHaveReceivedCommand(TransferCertificateCommand);
  });

  it('says so in the failure when restoring failed too', async () => {
    iot.on(TransferCertificateCommand).rejects(iotError('InvalidRequestException', 'no'));
    iot.on(AttachPolicyCommand).rejects(iotError('UnauthorizedException', 'not allowed to attach'));
    const [outcome] = await transferCertificates(depsWith(new InMemoryAuditTrail()), batchOf([item(1, 'ACTIVE', ['fleet'])]));
    expect(outcome).toMatchObject({
      outcome: 'FAILED',
      errorName: 'InvalidRequestException',
      errorMessage: 'no (restoring its status and policies failed too: not allowed to attach)',
    });
  });

  it('does not restore a certificate that needed no preparation', async () => {
    iot.on(TransferCertificateCommand).rejects(iotError('UnauthorizedException', 'no'));
    const [outcome] = await transferCertificates(depsWith(new InMemoryAuditTrail()), batchOf([item(1, 'INACTIVE')]));
    expect(outcome).toMatchObject({ outcome: 'FAILED', errorName: 'UnauthorizedException', previousStatus: 'INACTIVE' });
    expect(commandsSent()).toEqual(['TransferCertificateCommand']);
  });

  it('counts as OFFERED a transfer that had already taken effect (the certificate pending with the same message)', async () => {
    iot.on(TransferCertificateCommand).rejects(iotError('CertificateStateException', 'the certificate is PENDING_TRANSFER'));
    iot.on(DescribeCertificateCommand).resolves({
      certificateDescription: {
        certificateId: certificateIdOf(1),
        certificateArn: certificateArnOf(certificateIdOf(1)),
        status: 'PENDING_TRANSFER',
        transferData: { transferMessage: '[certflow-migration] fleet move' },
      },
      $metadata: { requestId: 'describe-1' },
    });
    const auditTrail = new InMemoryAuditTrail();
    const outcomes = await transferCertificates(depsWith(auditTrail), batchOf([item(1, 'INACTIVE')]));
    expect(outcomes).toEqual([{ certificateId: certificateIdOf(1), outcome: 'OFFERED', previousStatus: 'INACTIVE' }]);
    expect(successfulTransfers(auditTrail.rows, certificateIdOf(1))).toEqual([expect.objectContaining({ alreadyApplied: true })]);
  });

  it('goes on after a failed certificate, and counts what was offered and what failed', async () => {
    iot.on(TransferCertificateCommand, { certificateId: certificateIdOf(2) }).rejects(iotError('UnauthorizedException', 'no'));
    const batch = batchOf([item(1, 'INACTIVE'), item(2, 'INACTIVE'), item(3, 'ACTIVE'), item(4, 'INACTIVE')], { consentToPrepare: false });
    await table.progress.setTotal(batch.context.runName, 'transfer', 4);
    const outcomes = await transferCertificates(depsWith(new InMemoryAuditTrail()), batch);
    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['OFFERED', 'FAILED', 'FAILED', 'OFFERED']);
    expect(await table.progress.read(batch.context.runName)).toEqual({ transfer: { total: 4, done: 2, failed: 2 } });
  });

  it('reports a certificate still throttled after the item retries as FAILED with the IoT error name, and goes on with the rest', async () => {
    iot.on(TransferCertificateCommand, { certificateId: certificateIdOf(2) }).rejects(iotError('ThrottlingException', 'Rate exceeded'));
    const batch = batchOf([item(1, 'INACTIVE'), item(2, 'INACTIVE'), item(3, 'INACTIVE')]);
    await table.progress.setTotal(batch.context.runName, 'transfer', 3);
    const outcomes = await transferCertificates(depsWith(new InMemoryAuditTrail()), batch);
    expect(outcomes).toEqual([
      { certificateId: certificateIdOf(1), outcome: 'OFFERED', previousStatus: 'INACTIVE' },
      {
        certificateId: certificateIdOf(2),
        outcome: 'FAILED',
        errorName: 'ThrottlingException',
        errorMessage: 'Rate exceeded',
        previousStatus: 'INACTIVE',
      },
      { certificateId: certificateIdOf(3), outcome: 'OFFERED', previousStatus: 'INACTIVE' },
    ]);
    expect(iot.commandCalls(TransferCertificateCommand, { certificateId: certificateIdOf(2) })).toHaveLength(5);
    expect(await table.progress.read(batch.context.runName)).toEqual({ transfer: { total: 3, done: 2, failed: 1 } });
  });

  it('restores a prepared certificate whose transfer was still unavailable after the item retries, and reports it FAILED', async () => {
    iot.on(TransferCertificateCommand).rejects(iotError('ServiceUnavailableException', 'try again later'));
    const outcomes = await transferCertificates(depsWith(new InMemoryAuditTrail()), batchOf([item(1, 'ACTIVE', ['fleet'])]));
    expect(outcomes).toEqual([
      {
        certificateId: certificateIdOf(1),
        outcome: 'FAILED',
        errorName: 'ServiceUnavailableException',
        errorMessage: 'try again later',
        previousStatus: 'ACTIVE',
      },
    ]);
    expect(iot).toHaveReceivedCommandWith(AttachPolicyCommand, { policyName: 'fleet', target: certificateArnOf(certificateIdOf(1)) });
    expect(iot).toHaveReceivedNthCommandWith(iot.calls().length, UpdateCertificateCommand, {
      certificateId: certificateIdOf(1),
      newStatus: 'ACTIVE',
    });
  });

  it('restores what preparation changed when preparation was still throttled after the item retries', async () => {
    iot.on(DetachPolicyCommand).rejects(iotError('ThrottlingException', 'Rate exceeded'));
    const [outcome] = await transferCertificates(depsWith(new InMemoryAuditTrail()), batchOf([item(1, 'ACTIVE', ['fleet'])]));
    expect(outcome).toMatchObject({ outcome: 'FAILED', errorName: 'ThrottlingException' });
    expect(iot).not.toHaveReceivedCommand(TransferCertificateCommand);
    expect(iot).toHaveReceivedCommandWith(UpdateCertificateCommand, { certificateId: certificateIdOf(1), newStatus: 'ACTIVE' });
  });

  it('fails the batch, uncounted, with AuditTrailUnavailable when the audit trail stays unreachable, so the workflow retries it', async () => {
    const auditTrail = new UnreachableAuditTrail();
    auditTrail.unreachableFor.add(certificateIdOf(2));
    const batch = batchOf([item(1, 'INACTIVE'), item(2, 'INACTIVE')]);
    await table.progress.setTotal(batch.context.runName, 'transfer', 2);
    await expect(transferCertificates(depsWith(auditTrail), batch)).rejects.toMatchObject({ name: 'AuditTrailUnavailable' });
    expect(iot).not.toHaveReceivedCommandWith(TransferCertificateCommand, { certificateId: certificateIdOf(2) });
    expect(await table.progress.read(batch.context.runName)).toEqual({ transfer: { total: 2, done: 0, failed: 0 } });
  });

  it('finishes a batch retried after an audit trail outage without offering a certificate twice', async () => {
    const auditTrail = new UnreachableAuditTrail();
    auditTrail.unreachableFor.add(certificateIdOf(2));
    const batch = batchOf([item(1, 'INACTIVE'), item(2, 'INACTIVE')]);
    await table.progress.setTotal(batch.context.runName, 'transfer', 2);
    await expect(transferCertificates(depsWith(auditTrail), batch)).rejects.toMatchObject({ name: 'AuditTrailUnavailable' });

    auditTrail.unreachableFor.clear();
    const outcomes = await transferCertificates(depsWith(auditTrail), { ...batch, invocationId: 'invocation-2' });
    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['OFFERED', 'OFFERED']);
    expect(iot.commandCalls(TransferCertificateCommand, { certificateId: certificateIdOf(1) })).toHaveLength(1);
    for (const n of [1, 2]) expect(successfulTransfers(auditTrail.rows, certificateIdOf(n))).toHaveLength(1);
    expect(await table.progress.read(batch.context.runName)).toEqual({ transfer: { total: 2, done: 2, failed: 0 } });
  });

  it('starts no certificate after its time budget, reporting the rest NotAttempted untouched, so none is cut off halfway', async () => {
    const auditTrail = new InMemoryAuditTrail();
    // Each transfer takes 6 minutes: the 10-minute budget is spent after the second certificate.
    let current = NOW;
    iot.on(TransferCertificateCommand).callsFake(() => {
      current = new Date(current.getTime() + 6 * 60_000);
      return { $metadata: {} };
    });
    const outcomes = await transferCertificates(
      { ...depsWith(auditTrail), now: () => current },
      batchOf([item(1, 'INACTIVE'), item(2, 'INACTIVE'), item(3, 'INACTIVE'), item(4, 'INACTIVE')]),
    );
    expect(outcomes.map((outcome) => [outcome.outcome, outcome.errorName])).toEqual([
      ['OFFERED', undefined],
      ['OFFERED', undefined],
      ['FAILED', 'NotAttempted'],
      ['FAILED', 'NotAttempted'],
    ]);
    expect(commandsSent()).toEqual(['TransferCertificateCommand', 'TransferCertificateCommand']);
  });

  it('returns its outcomes when its progress cannot be counted: the counters only show progress', async () => {
    const deps = { ...depsWith(new InMemoryAuditTrail()), progress: new MigrationProgress(table.dynamodb, 'no-such-progress-table') };
    const outcomes = await transferCertificates(deps, batchOf([item(1, 'INACTIVE')]));
    expect(outcomes).toEqual([{ certificateId: certificateIdOf(1), outcome: 'OFFERED', previousStatus: 'INACTIVE' }]);
  });

  it('writes no second audit row and calls no Action again when the same batch runs again in the same execution', async () => {
    const auditTrail = new InMemoryAuditTrail();
    const batch = batchOf([item(1, 'ACTIVE', ['fleet']), item(2, 'INACTIVE')]);
    await table.progress.setTotal(batch.context.runName, 'transfer', 2);
    const first = await transferCertificates(depsWith(auditTrail), batch);
    const rowsAfterFirst = [...auditTrail.rows];
    const callsAfterFirst = iot.calls().length;

    const again = await transferCertificates(depsWith(auditTrail), { ...batch, invocationId: 'invocation-2' });
    expect(again).toEqual(first);
    expect(auditTrail.rows).toEqual(rowsAfterFirst);
    expect(iot.calls()).toHaveLength(callsAfterFirst);
    for (const n of [1, 2]) expect(successfulTransfers(auditTrail.rows, certificateIdOf(n))).toHaveLength(1);
    expect(await table.progress.read(batch.context.runName)).toEqual({ transfer: { total: 2, done: 2, failed: 0 } });
  });

  it('writes new audit rows for a new run of the migration (another execution)', async () => {
    const auditTrail = new InMemoryAuditTrail();
    await transferCertificates(depsWith(auditTrail), batchOf([item(1, 'INACTIVE')]));
    iot.on(TransferCertificateCommand).resolves({ $metadata: {} });
    await transferCertificates(depsWith(auditTrail), batchOf([item(1, 'INACTIVE')], { executionId: `${EXECUTION_ID}-resumed` }));
    expect(successfulTransfers(auditTrail.rows, certificateIdOf(1)).map((row) => row.executionId)).toEqual([
      EXECUTION_ID,
      `${EXECUTION_ID}-resumed`,
    ]);
  });

  it('offers a certificate whose policy was already detached, as DetachPolicy and ListAttachedPolicies show', async () => {
    iot.on(DetachPolicyCommand).rejects(iotError('ResourceNotFoundException', 'not attached'));
    iot.on(ListAttachedPoliciesCommand).resolves({ policies: [], $metadata: {} });
    const [outcome] = await transferCertificates(depsWith(new InMemoryAuditTrail()), batchOf([item(1, 'INACTIVE', ['fleet'])]));
    expect(outcome).toMatchObject({ outcome: 'OFFERED' });
  });
});
