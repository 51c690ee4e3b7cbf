import {
  AcceptCertificateTransferCommand,
  DescribeCertificateCommand,
  IoTClient,
  RejectCertificateTransferCommand,
} from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { answerOffers, type AnswerBatchContext } from '../../../lambdas/migration/answer-offers';
import { MigrationProgress } from '../../../lambdas/migration/migration-progress';
import { InMemoryAuditTrail, UnreachableAuditTrail } from '../audit-trail/in-memory-audit-trail';
import {
  certificateArnOf,
  certificateIdOf,
  freshRunName,
  iotError,
  OTHER_ACCOUNT,
  progressTableFixture,
  SOURCE_ACCOUNT,
  TARGET_ACCOUNT,
  type ProgressTableFixture,
} from './migration-fixtures';

const iot = mockClient(IoTClient);
const NOW = new Date('2026-11-24T12:00:00.000Z');
const TARGET_EXECUTION_ID = `arn:aws:states:us-east-1:${TARGET_ACCOUNT}:execution:CertflowTarget-Migration:eu-fleet-in-1`;
let table: ProgressTableFixture;

beforeAll(async () => {
  table = await progressTableFixture();
});
afterAll(() => table.close());
beforeEach(() => {
  iot.reset();
  iot.on(AcceptCertificateTransferCommand).resolves({ $metadata: { requestId: 'accept-1' } });
  iot.on(RejectCertificateTransferCommand).resolves({ $metadata: { requestId: 'reject-1' } });
  // The item retries wait a random share of their backoff: none, here.
  jest.spyOn(Math, 'random').mockReturnValue(0);
});
afterEach(() => jest.restoreAllMocks());

function batchOf(numbers: number[], change: Partial<AnswerBatchContext> = {}, invocationId = 'invocation-1') {
  const context: AnswerBatchContext = {
    runName: freshRunName(),
    executionId: TARGET_EXECUTION_ID,
    requestedBy: 'alice@example.com',
    approvedBy: 'dave@example.com',
    sourceAwsAccount: SOURCE_ACCOUNT,
    decision: 'APPROVED',
    setAsActive: true,
    ...change,
  };
  return { context, invocationId, items: numbers.map((n) => ({ certificateId: certificateIdOf(n) })) };
}

function depsWith(auditTrail: InMemoryAuditTrail) {
  return { iot: new IoTClient({}), auditTrail, accountId: TARGET_ACCOUNT, now: () => NOW, progress: table.progress };
}

describe('answerOffers', () => {
  it('accepts each pending certificate when the target approvers approved, as they chose to activate it', async () => {
    const auditTrail = new InMemoryAuditTrail();
    const outcomes = await answerOffers(depsWith(auditTrail), batchOf([1, 2]));
    expect(outcomes).toEqual([
      { certificateId: certificateIdOf(1), outcome: 'ACCEPTED', previousStatus: 'PENDING_TRANSFER' },
      { certificateId: certificateIdOf(2), outcome: 'ACCEPTED', previousStatus: 'PENDING_TRANSFER' },
    ]);
    expect(iot).toHaveReceivedCommandWith(AcceptCertificateTransferCommand, { certificateId: certificateIdOf(1), setAsActive: true });
    expect(iot).not.toHaveReceivedCommand(RejectCertificateTransferCommand);
    expect(
      auditTrail.rows.map((row) => [
        row.certificateId,
        row.action,
        row.outcome,
        row.sourceAwsAccount,
        row.targetAwsAccount,
        row.setAsActive,
        row.certificateStatus,
      ]),
    ).toEqual([
      [certificateIdOf(1), 'AcceptCertificateTransfer', 'SUCCEEDED', SOURCE_ACCOUNT, TARGET_ACCOUNT, true, 'ACTIVE'],
      [certificateIdOf(2), 'AcceptCertificateTransfer', 'SUCCEEDED', SOURCE_ACCOUNT, TARGET_ACCOUNT, true, 'ACTIVE'],
    ]);
    expect(auditTrail.rows[0]).toMatchObject({
      executionId: TARGET_EXECUTION_ID,
      approvedBy: 'dave@example.com',
      requestedBy: 'alice@example.com',
      invocationId: 'invocation-1',
    });
  });

  it('accepts a certificate as INACTIVE unless the approvers chose to activate it', async () => {
    const auditTrail = new InMemoryAuditTrail();
    await answerOffers(depsWith(auditTrail), batchOf([1], { setAsActive: false }));
    expect(iot).toHaveReceivedCommandWith(AcceptCertificateTransferCommand, { certificateId: certificateIdOf(1), setAsActive: false });
    expect(auditTrail.rows[0]).toMatchObject({ setAsActive: false, certificateStatus: 'INACTIVE' });
  });

  it('rejects each certificate with the reason when the target approvers rejected the batch', async () => {
    const auditTrail = new InMemoryAuditTrail();
    const outcomes = await answerOffers(
      depsWith(auditTrail),
      batchOf([1, 2], { decision: 'REJECTED', rejectReason: 'unknown devices', setAsActive: false }),
    );
    expect(outcomes.map((outcome) => [outcome.certificateId, outcome.outcome])).toEqual([
      [certificateIdOf(1), 'REJECTED'],
      [certificateIdOf(2), 'REJECTED'],
    ]);
    expect(iot).toHaveReceivedCommandWith(RejectCertificateTransferCommand, {
      certificateId: certificateIdOf(2),
      rejectReason: 'unknown devices',
    });
    expect(iot).not.toHaveReceivedCommand(AcceptCertificateTransferCommand);
    expect(auditTrail.rows.map((row) => [row.action, row.outcome, row.message])).toEqual([
      ['RejectCertificateTransfer', 'SUCCEEDED', 'unknown devices'],
      ['RejectCertificateTransfer', 'SUCCEEDED', 'unknown devices'],
    ]);
  });

  it('reports a certificate that can no longer be accepted as FAILED and goes on with the rest', async () => {
    iot
      .on(AcceptCertificateTransferCommand, { certificateId: certificateIdOf(1) })
      .rejects(iotError('TransferAlreadyCompletedException', 'the transfer was cancelled'));
    iot.on(DescribeCertificateCommand).rejects(iotError('ResourceNotFoundException', 'not in this account'));
    const auditTrail = new InMemoryAuditTrail();
    const batch = batchOf([1, 2]);
    await table.progress.setTotal(batch.context.runName, 'answer', 2);
    const outcomes = await answerOffers(depsWith(auditTrail), batch);
    expect(outcomes).toEqual([
      {
        certificateId: certificateIdOf(1),
        outcome: 'FAILED',
        errorName: 'TransferAlreadyCompletedException',
        errorMessage: expect.stringContaining('the transfer was cancelled'),
        previousStatus: 'PENDING_TRANSFER',
      },
      { certificateId: certificateIdOf(2), outcome: 'ACCEPTED', previousStatus: 'PENDING_TRANSFER' },
    ]);
    expect(auditTrail.rows.map((row) => [row.certificateId, row.outcome, row.errorName])).toEqual([
      [certificateIdOf(1), 'FAILED', 'TransferAlreadyCompletedException'],
      [certificateIdOf(2), 'SUCCEEDED', undefined],
    ]);
    expect(await table.progress.read(batch.context.runName)).toEqual({ answer: { total: 2, done: 1, failed: 1 } });
  });

  it('counts as ACCEPTED a certificate an earlier attempt already accepted here from the same source', async () => {
    iot.on(AcceptCertificateTransferCommand).rejects(iotError('TransferAlreadyCompletedException', 'already accepted'));
    iot.on(DescribeCertificateCommand).resolves({
      certificateDescription: {
        certificateId: certificateIdOf(1),
        certificateArn: certificateArnOf(certificateIdOf(1), TARGET_ACCOUNT),
        status: 'ACTIVE',
        ownedBy: TARGET_ACCOUNT,
        previousOwnedBy: SOURCE_ACCOUNT,
        transferData: { acceptDate: NOW },
      },
      $metadata: { requestId: 'describe-1' },
    });
    const auditTrail = new InMemoryAuditTrail();
    const outcomes = await answerOffers(depsWith(auditTrail), batchOf([1]));
    expect(outcomes).toEqual([{ certificateId: certificateIdOf(1), outcome: 'ACCEPTED', previousStatus: 'PENDING_TRANSFER' }]);
    expect(auditTrail.rows).toEqual([expect.objectContaining({ outcome: 'SUCCEEDED', alreadyApplied: true })]);
  });

  it('does not count as accepted a certificate that came from another source account', async () => {
    iot.on(AcceptCertificateTransferCommand).rejects(iotError('TransferAlreadyCompletedException', 'already accepted'));
    iot.on(DescribeCertificateCommand).resolves({
      certificateDescription: {
        certificateId: certificateIdOf(1),
        status: 'ACTIVE',
        ownedBy: TARGET_ACCOUNT,
        previousOwnedBy: OTHER_ACCOUNT,
        transferData: { acceptDate: NOW },
      },
      $metadata: {},
    });
    const [outcome] = await answerOffers(depsWith(new InMemoryAuditTrail()), batchOf([1]));
    expect(outcome).toMatchObject({ outcome: 'FAILED', errorName: 'TransferAlreadyCompletedException' });
  });

  it('reports a certificate still throttled after the item retries as FAILED with the IoT error name, and goes on with the rest', async () => {
    iot
      .on(AcceptCertificateTransferCommand, { certificateId: certificateIdOf(2) })
      .rejects(iotError('ThrottlingException', 'Rate exceeded'));
    const batch = batchOf([1, 2, 3]);
    await table.progress.setTotal(batch.context.runName, 'answer', 3);
    const outcomes = await answerOffers(depsWith(new InMemoryAuditTrail()), batch);
    expect(outcomes).toEqual([
      { certificateId: certificateIdOf(1), outcome: 'ACCEPTED', previousStatus: 'PENDING_TRANSFER' },
      {
        certificateId: certificateIdOf(2),
        outcome: 'FAILED',
        errorName: 'ThrottlingException',
        errorMessage: 'Rate exceeded',
        previousStatus: 'PENDING_TRANSFER',
      },
      { certificateId: certificateIdOf(3), outcome: 'ACCEPTED', previousStatus: 'PENDING_TRANSFER' },
    ]);
    expect(iot.commandCalls(AcceptCertificateTransferCommand, { certificateId: certificateIdOf(2) })).toHaveLength(5);
    expect(await table.progress.read(batch.context.runName)).toEqual({ answer: { total: 3, done: 2, failed: 1 } });
  });

  it('reports a rejection still unavailable after the item retries as FAILED with the IoT error name', async () => {
    iot.on(RejectCertificateTransferCommand).rejects(iotError('ServiceUnavailableException', 'try again later'));
    const outcomes = await answerOffers(depsWith(new InMemoryAuditTrail()), batchOf([1], { decision: 'REJECTED', rejectReason: 'no' }));
    expect(outcomes).toEqual([
      {
        certificateId: certificateIdOf(1),
        outcome: 'FAILED',
        errorName: 'ServiceUnavailableException',
        errorMessage: 'try again later',
        previousStatus: 'PENDING_TRANSFER',
      },
    ]);
    expect(iot).toHaveReceivedCommandTimes(RejectCertificateTransferCommand, 5);
  });

  it('fails the batch, uncounted, with AuditTrailUnavailable when the audit trail stays unreachable, so the workflow retries it', async () => {
    const auditTrail = new UnreachableAuditTrail();
    auditTrail.unreachableFor.add(certificateIdOf(2));
    const batch = batchOf([1, 2]);
    await table.progress.setTotal(batch.context.runName, 'answer', 2);
    await expect(answerOffers(depsWith(auditTrail), batch)).rejects.toMatchObject({ name: 'AuditTrailUnavailable' });
    expect(iot).not.toHaveReceivedCommandWith(AcceptCertificateTransferCommand, { certificateId: certificateIdOf(2) });
    expect(await table.progress.read(batch.context.runName)).toEqual({ answer: { total: 2, done: 0, failed: 0 } });

    auditTrail.unreachableFor.clear();
    const outcomes = await answerOffers(depsWith(auditTrail), { ...batch, invocationId: 'invocation-2' });
    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['ACCEPTED', 'ACCEPTED']);
    expect(iot.commandCalls(AcceptCertificateTransferCommand, { certificateId: certificateIdOf(1) })).toHaveLength(1);
  });

  it('returns its outcomes when its progress cannot be counted: the counters only show progress', async () => {
    const deps = { ...depsWith(new InMemoryAuditTrail()), progress: new MigrationProgress(table.dynamodb, 'no-such-progress-table') };
    expect(await answerOffers(deps, batchOf([1]))).toEqual([
      { certificateId: certificateIdOf(1), outcome: 'ACCEPTED', previousStatus: 'PENDING_TRANSFER' },
    ]);
  });

  it('answers nothing twice and writes no second audit row when the same batch runs again in the same execution', async () => {
    const auditTrail = new InMemoryAuditTrail();
    const batch = batchOf([1, 2]);
    await table.progress.setTotal(batch.context.runName, 'answer', 2);
    const first = await answerOffers(depsWith(auditTrail), batch);
    const rows = [...auditTrail.rows];
    const again = await answerOffers(depsWith(auditTrail), { ...batch, invocationId: 'invocation-2' });
    expect(again).toEqual(first);
    expect(auditTrail.rows).toEqual(rows);
    expect(iot).toHaveReceivedCommandTimes(AcceptCertificateTransferCommand, 2);
    expect(await table.progress.read(batch.context.runName)).toEqual({ answer: { total: 2, done: 2, failed: 0 } });
  });

  it('recognises a rejection it already made by its audit row, since the certificate is gone from this account', async () => {
    const auditTrail = new InMemoryAuditTrail();
    const batch = batchOf([1], { decision: 'REJECTED', rejectReason: 'no' });
    await answerOffers(depsWith(auditTrail), batch);
    iot.on(RejectCertificateTransferCommand).rejects(iotError('ResourceNotFoundException', 'gone'));
    expect(await answerOffers(depsWith(auditTrail), { ...batch, invocationId: 'invocation-2' })).toEqual([
      { certificateId: certificateIdOf(1), outcome: 'REJECTED', previousStatus: 'PENDING_TRANSFER' },
    ]);
    expect(iot).toHaveReceivedCommandTimes(RejectCertificateTransferCommand, 1);
  });
});
