import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  AcceptCertificateTransferCommand,
  CancelCertificateTransferCommand,
  DescribeCertificateCommand,
  ListCertificatesCommand,
  RejectCertificateTransferCommand,
  TransferCertificateCommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { DescribeExecutionCommand, SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { approvalRequestId } from '../../lambdas/approvals/approval-request';
import {
  createCertificate,
  eventually,
  finishedExecution,
  operatorArn,
  startThroughApi,
  startSandboxFixture,
  type SandboxFixture,
} from './sandbox-fixture';

/** The sandbox as a whole, driven with real SDK clients over HTTP: no mocks. */
describe('the sandbox endpoints', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'certflow-e2e-'));
  let fixture: SandboxFixture;
  let source: string;
  let target: string;
  beforeAll(async () => {
    fixture = await startSandboxFixture({ dataDir });
    ({ source, target } = fixture.sandbox.accounts);
  }, 180_000);
  afterAll(async () => {
    await fixture?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('moves a certificate between two accounts with the four transfer Actions, and answers their errors as AWS does', async () => {
    const sourceIot = fixture.iot(source);
    const targetIot = fixture.iot(target);
    const active = await createCertificate(sourceIot, true);
    await expect(
      sourceIot.send(new TransferCertificateCommand({ certificateId: active.certificateId, targetAwsAccount: target })),
    ).rejects.toMatchObject({
      name: 'CertificateStateException',
      $metadata: { httpStatusCode: 406 },
    });

    const offered = await createCertificate(sourceIot);
    await sourceIot.send(
      new TransferCertificateCommand({ certificateId: offered.certificateId, targetAwsAccount: target, transferMessage: 'yours' }),
    );
    const seenByTarget = await targetIot.send(new DescribeCertificateCommand({ certificateId: offered.certificateId }));
    expect(seenByTarget.certificateDescription).toMatchObject({
      status: 'PENDING_TRANSFER',
      ownedBy: source,
      transferData: { transferMessage: 'yours' },
    });
    await expect(sourceIot.send(new AcceptCertificateTransferCommand({ certificateId: offered.certificateId }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: expect.any(Number) },
    });
    await targetIot.send(new AcceptCertificateTransferCommand({ certificateId: offered.certificateId, setAsActive: true }));
    expect(
      (await targetIot.send(new DescribeCertificateCommand({ certificateId: offered.certificateId }))).certificateDescription,
    ).toMatchObject({
      status: 'ACTIVE',
      ownedBy: target,
      previousOwnedBy: source,
    });
    await expect(targetIot.send(new RejectCertificateTransferCommand({ certificateId: offered.certificateId }))).rejects.toMatchObject({
      name: 'TransferAlreadyCompletedException',
    });

    const withdrawn = await createCertificate(sourceIot);
    await sourceIot.send(new TransferCertificateCommand({ certificateId: withdrawn.certificateId, targetAwsAccount: target }));
    await expect(targetIot.send(new CancelCertificateTransferCommand({ certificateId: withdrawn.certificateId }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: expect.any(Number) },
    });
    await sourceIot.send(new CancelCertificateTransferCommand({ certificateId: withdrawn.certificateId }));
    expect(
      (await sourceIot.send(new DescribeCertificateCommand({ certificateId: withdrawn.certificateId }))).certificateDescription?.status,
    ).toBe('INACTIVE');

    const refused = await createCertificate(sourceIot);
    await sourceIot.send(new TransferCertificateCommand({ certificateId: refused.certificateId, targetAwsAccount: target }));
    await targetIot.send(new RejectCertificateTransferCommand({ certificateId: refused.certificateId, rejectReason: 'not ours' }));
    expect(
      (await sourceIot.send(new DescribeCertificateCommand({ certificateId: refused.certificateId }))).certificateDescription,
    ).toMatchObject({
      status: 'INACTIVE',
      transferData: { rejectReason: 'not ours' },
    });
    await expect(targetIot.send(new DescribeCertificateCommand({ certificateId: refused.certificateId }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('pages ListCertificates with pageSize and marker', async () => {
    const iot = fixture.iot(source);
    for (let index = 0; index < 5; index += 1) await createCertificate(iot);
    const seen = new Set<string>();
    let marker: string | undefined;
    let pages = 0;
    do {
      const page = await iot.send(new ListCertificatesCommand({ pageSize: 2, marker }));
      expect((page.certificates ?? []).length).toBeLessThanOrEqual(2);
      for (const certificate of page.certificates ?? []) seen.add(certificate.certificateId ?? '');
      marker = page.nextMarker;
      pages += 1;
    } while (marker);
    expect(seen.size).toBeGreaterThanOrEqual(5);
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  it('answers requests above the quota with ThrottlingException and changes nothing for them', async () => {
    const iot = fixture.iot(source, 1);
    const { certificateId } = await createCertificate(iot);
    const attempts = await Promise.allSettled(
      Array.from({ length: 40 }, () => iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'ACTIVE' }))),
    );
    const throttled = attempts.filter(
      (attempt) => attempt.status === 'rejected' && (attempt.reason as Error).name === 'ThrottlingException',
    );
    expect(throttled.length).toBeGreaterThan(0);
    expect(attempts.length - throttled.length).toBeGreaterThan(0);
  });

  it('completes a waiting callback task with SendTaskSuccess and fails one with SendTaskFailure', async () => {
    const sourceSfn = fixture.sfn(source);
    const store = fixture.approvalStore(source, 'CertflowSource');
    const startWaiting = async () => {
      const { certificateId } = await createCertificate(fixture.iot(source));
      const executionArn = await startThroughApi(fixture.sandbox, operatorArn(source, 'requester@example.com'), 'transfer', {
        certificateId,
        targetAwsAccount: target,
      });
      const request = await eventually('the approval request', () => store.get(approvalRequestId(executionArn, 'SOURCE')));
      return { executionArn, taskToken: request.taskToken };
    };

    const approved = await startWaiting();
    await sourceSfn.send(
      new SendTaskSuccessCommand({
        taskToken: approved.taskToken,
        output: JSON.stringify({
          decision: 'REJECTED',
          approvedBy: 'ops@example.com',
          rejectReason: 'decided by API',
          setAsActive: false,
          consentToPrepare: false,
        }),
      }),
    );
    // The callback reaches the waiting task; the workflow then checks it against the approval
    // record, which no approver decided, and stops (see cutover-transfers.test.ts).
    const completed = await finishedExecution(sourceSfn, approved.executionArn);
    expect(completed).toMatchObject({ status: 'FAILED', error: 'UnverifiedDecision' });
    await expect(sourceSfn.send(new SendTaskSuccessCommand({ taskToken: approved.taskToken, output: '{}' }))).rejects.toMatchObject({
      name: expect.stringMatching(/^(TaskTimedOut|TaskDoesNotExist|InvalidToken)$/),
    });

    const failed = await startWaiting();
    await sourceSfn.send(
      new SendTaskFailureCommand({ taskToken: failed.taskToken, error: 'ApproverUnavailable', cause: 'nobody on call' }),
    );
    const failedExecution = await finishedExecution(sourceSfn, failed.executionArn);
    expect(failedExecution).toMatchObject({ status: 'FAILED', error: 'ApproverUnavailable', cause: 'nobody on call' });
  });

  it('keeps certificates, transfers and waiting executions across a restart on the same data folder', async () => {
    const sourceIot = fixture.iot(source);
    const { certificateId } = await createCertificate(sourceIot);
    await sourceIot.send(new TransferCertificateCommand({ certificateId, targetAwsAccount: target, transferMessage: 'before restart' }));
    const waiting = await createCertificate(sourceIot);
    const executionArn = await startThroughApi(fixture.sandbox, operatorArn(source, 'requester@example.com'), 'transfer', {
      certificateId: waiting.certificateId,
      targetAwsAccount: target,
    });
    const store = fixture.approvalStore(source, 'CertflowSource');
    const request = await eventually('the approval request', () => store.get(approvalRequestId(executionArn, 'SOURCE')));

    await fixture.close();
    fixture = await startSandboxFixture({ dataDir });

    const afterIot = fixture.iot(target);
    expect((await afterIot.send(new DescribeCertificateCommand({ certificateId }))).certificateDescription).toMatchObject({
      status: 'PENDING_TRANSFER',
      transferData: { transferMessage: 'before restart' },
    });
    const afterSfn = fixture.sfn(source);
    expect((await afterSfn.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');
    await afterSfn.send(
      new SendTaskSuccessCommand({
        taskToken: request.taskToken,
        output: JSON.stringify({
          decision: 'REJECTED',
          approvedBy: 'ops@example.com',
          rejectReason: 'after restart',
          setAsActive: false,
          consentToPrepare: false,
        }),
      }),
    );
    // The token survived the restart: the callback completes the task (and the workflow, which
    // finds no approver's decision in the record, stops with UnverifiedDecision).
    expect(await finishedExecution(afterSfn, executionArn)).toMatchObject({ status: 'FAILED', error: 'UnverifiedDecision' });
  });
});
