import {
  AttachPolicyCommand,
  CreatePolicyCommand,
  DescribeCertificateCommand,
  ListAttachedPoliciesCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import { DescribeExecutionCommand, StopExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { startWorkflowExecution, StartRequestRefused } from '../../cli/start-request-client';
import { approvalRequestId } from '../../lambdas/approvals/approval-request';
import { APPROVAL_EXPIRED_REASON } from '../../lib/inbound-transfer-workflow';
import { principalCredentialsFor } from '../../local/sandbox-accounts';
import { approvalLinkFor, submitDecision } from './approval-links';
import {
  auditSummary,
  createCertificate,
  eventually,
  finishedExecution,
  operatorArn,
  startExecution,
  startSandboxFixture,
  startThroughApi,
  type SandboxFixture,
} from './sandbox-fixture';
import { recordStartRequest } from './start-requests';

const SOURCE_APPROVER = 'source-approver-1@example.com';
const TARGET_APPROVER = 'target-approver-1@example.com';
const REQUESTER = 'requester@example.com';

let fixture: SandboxFixture;
let source: string;
let target: string;
let sourceIot: IoTClient;
let targetIot: IoTClient;
let sourceSfn: SFNClient;
let targetSfn: SFNClient;

beforeAll(async () => {
  fixture = await startSandboxFixture();
  ({ source, target } = fixture.sandbox.accounts);
  sourceIot = fixture.iot(source);
  targetIot = fixture.iot(target);
  sourceSfn = fixture.sfn(source);
  targetSfn = fixture.sfn(target);
}, 180_000);
afterAll(() => fixture?.close());

const outputs = (stack: 'CertflowSource' | 'CertflowTarget') => fixture.sandbox.stacks[stack]?.outputs ?? {};
const functionArn = (account: string, name: string | undefined) =>
  `arn:aws:lambda:${fixture.sandbox.region}:${account}:function:${name ?? ''}`;

async function certificateIn(iot: IoTClient, certificateId: string) {
  try {
    return (await iot.send(new DescribeCertificateCommand({ certificateId }))).certificateDescription;
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

async function attachedPolicies(iot: IoTClient, certificateArn: string): Promise<string[]> {
  const page = await iot.send(new ListAttachedPoliciesCommand({ target: certificateArn }));
  return (page.policies ?? []).map((policy) => policy.policyName ?? '');
}

/** An ACTIVE certificate with a policy attached: it needs preparation before AWS IoT lets it go. */
async function activeCertificateWithPolicy(): Promise<{ certificateId: string; certificateArn: string; policyName: string }> {
  const certificate = await createCertificate(sourceIot, true);
  const policyName = `device-${certificate.certificateId.slice(0, 8)}`;
  await sourceIot.send(
    new CreatePolicyCommand({
      policyName,
      policyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] }),
    }),
  );
  await sourceIot.send(new AttachPolicyCommand({ policyName, target: certificate.certificateArn }));
  return { ...certificate, policyName };
}

/** Started as people start it: through the start API, by REQUESTER's role session. */
function startOutbound(certificateId: string, extra: Record<string, unknown> = {}, requester = REQUESTER): Promise<string> {
  return startThroughApi(fixture.sandbox, operatorArn(source, requester), 'transfer', {
    certificateId,
    targetAwsAccount: target,
    transferMessage: 'fleet moves to the new account',
    reason: 'account migration',
    // These tests cover the path for a target that runs no certflow: offered after the source
    // approval, reviewed there by the poller (cutover-transfers.test.ts covers the proposal path).
    targetRunsCertflow: false,
    ...extra,
  });
}

async function decide(approver: string, certificateId: string, decision: Record<string, string>): Promise<void> {
  const link = await eventually(`a link for ${approver}`, async () => approvalLinkFor(fixture.sandbox, approver, certificateId));
  const answer = await submitDecision(link, decision);
  expect(answer.status).toBe(200);
}

async function pendingInSource(certificateId: string): Promise<void> {
  await eventually('the certificate to be offered', async () =>
    (await certificateIn(sourceIot, certificateId))?.status === 'PENDING_TRANSFER' ? true : undefined,
  );
}

/** Runs the target's scheduled poller once and returns the inbound review it started for the certificate. */
async function inboundReviewFor(certificateId: string): Promise<string> {
  const poller = functionArn(target, outputs('CertflowTarget').PollerFunctionName);
  const result = (await fixture.sandbox.invoke(poller, {})) as { started: string[] };
  const name = result.started.find((started) => started.includes(certificateId));
  if (!name) throw new Error(`the poller started no review for ${certificateId}: ${JSON.stringify(result)}`);
  return `${(outputs('CertflowTarget').InboundStateMachineArn ?? '').replace(':stateMachine:', ':execution:')}:${name}`;
}

/**
 * Runs the source's scheduled sweep of followed offers (the fixture runs no schedules) until
 * the outbound execution has finished: it wakes the FollowOffer step once the target decided.
 */
async function sweptUntilFinished(outbound: string, timeoutMs = 45_000) {
  const sweep = functionArn(source, outputs('CertflowSource').FollowSweepFunctionName);
  return eventually(
    `execution ${outbound} to finish after a sweep`,
    async () => {
      await fixture.sandbox.invoke(sweep, {});
      const described = await sourceSfn.send(new DescribeExecutionCommand({ executionArn: outbound }));
      return described.status === 'RUNNING' ? undefined : described;
    },
    timeoutMs,
  );
}

function outcomeOf(output: string | undefined): string | undefined {
  return (JSON.parse(output ?? '{}') as { outcome?: string }).outcome;
}

const sourceAudit = (certificateId: string) =>
  fixture.auditTrail(source, 'CertflowSource').query('byCertificate', certificateId).then(auditSummary);
const targetAudit = (certificateId: string) =>
  fixture.auditTrail(target, 'CertflowTarget').query('byCertificate', certificateId).then(auditSummary);

describe('transfer workflows in the sandbox, to a target offered without a proposal', () => {
  it('moves a certificate through both approvals, preparing it with consent, and leaves it ACTIVE in the target as chosen', async () => {
    const { certificateId, policyName } = await activeCertificateWithPolicy();
    const outbound = await startOutbound(certificateId);
    await decide(SOURCE_APPROVER, certificateId, { decision: 'APPROVED', consentToPrepare: 'true' });
    await pendingInSource(certificateId);
    const inbound = await inboundReviewFor(certificateId);
    await decide(TARGET_APPROVER, certificateId, { decision: 'APPROVED', setAsActive: 'true' });

    const inboundResult = await finishedExecution(targetSfn, inbound);
    expect([inboundResult.status, outcomeOf(inboundResult.output)]).toEqual(['SUCCEEDED', 'ACCEPTED']);
    const outboundResult = await sweptUntilFinished(outbound);
    expect([outboundResult.status, outcomeOf(outboundResult.output)]).toEqual(['SUCCEEDED', 'TRANSFERRED']);

    expect(await certificateIn(sourceIot, certificateId)).toBeUndefined();
    expect(await certificateIn(targetIot, certificateId)).toMatchObject({ status: 'ACTIVE', ownedBy: target, previousOwnedBy: source });
    expect(await sourceAudit(certificateId)).toEqual([
      'ApprovalGranted SUCCEEDED',
      `UpdateCertificate SUCCEEDED INACTIVE`,
      `DetachPolicy SUCCEEDED ${policyName}`,
      'TransferCertificate SUCCEEDED PENDING_TRANSFER',
    ]);
    expect(await targetAudit(certificateId)).toEqual(['ApprovalGranted SUCCEEDED', 'AcceptCertificateTransfer SUCCEEDED ACTIVE']);
  });

  it('accepts the certificate INACTIVE when the target approver does not set it active', async () => {
    const { certificateId } = await createCertificate(sourceIot);
    const outbound = await startOutbound(certificateId);
    await decide(SOURCE_APPROVER, certificateId, { decision: 'APPROVED' });
    await pendingInSource(certificateId);
    const inbound = await inboundReviewFor(certificateId);
    await decide(TARGET_APPROVER, certificateId, { decision: 'APPROVED' });
    expect(outcomeOf((await finishedExecution(targetSfn, inbound)).output)).toBe('ACCEPTED');
    expect(outcomeOf((await sweptUntilFinished(outbound)).output)).toBe('TRANSFERRED');
    expect(await certificateIn(targetIot, certificateId)).toMatchObject({ status: 'INACTIVE', ownedBy: target });
    expect(await sourceAudit(certificateId)).toEqual(['ApprovalGranted SUCCEEDED', 'TransferCertificate SUCCEEDED PENDING_TRANSFER']);
    expect(await targetAudit(certificateId)).toEqual(['ApprovalGranted SUCCEEDED', 'AcceptCertificateTransfer SUCCEEDED INACTIVE']);
  });

  it('changes nothing when the source approver rejects', async () => {
    const { certificateId, certificateArn, policyName } = await activeCertificateWithPolicy();
    const outbound = await startOutbound(certificateId);
    await decide(SOURCE_APPROVER, certificateId, { decision: 'REJECTED', rejectReason: 'devices still in the field' });
    const result = await finishedExecution(sourceSfn, outbound);
    expect([result.status, outcomeOf(result.output)]).toEqual(['SUCCEEDED', 'SOURCE_REJECTED']);
    expect(await certificateIn(sourceIot, certificateId)).toMatchObject({ status: 'ACTIVE', ownedBy: source });
    expect(await attachedPolicies(sourceIot, certificateArn)).toEqual([policyName]);
    expect(await certificateIn(targetIot, certificateId)).toBeUndefined();
    expect(await sourceAudit(certificateId)).toEqual(['ApprovalRejected SUCCEEDED']);
    expect(await targetAudit(certificateId)).toEqual([]);
  });

  it('returns the certificate to the source when the target rejects, with the reason', async () => {
    const { certificateId } = await createCertificate(sourceIot);
    const outbound = await startOutbound(certificateId);
    await decide(SOURCE_APPROVER, certificateId, { decision: 'APPROVED' });
    await pendingInSource(certificateId);
    const inbound = await inboundReviewFor(certificateId);
    await decide(TARGET_APPROVER, certificateId, { decision: 'REJECTED', rejectReason: 'unknown device type' });
    expect(outcomeOf((await finishedExecution(targetSfn, inbound)).output)).toBe('REJECTED');
    const result = await sweptUntilFinished(outbound);
    expect(outcomeOf(result.output)).toBe('TARGET_REJECTED');
    expect(JSON.parse(result.output ?? '{}')).toMatchObject({ follow: { rejectReason: 'unknown device type' } });
    expect(await certificateIn(sourceIot, certificateId)).toMatchObject({
      status: 'INACTIVE',
      ownedBy: source,
      transferData: { rejectReason: 'unknown device type' },
    });
    expect(await certificateIn(targetIot, certificateId)).toBeUndefined();
    expect(await sourceAudit(certificateId)).toEqual(['ApprovalGranted SUCCEEDED', 'TransferCertificate SUCCEEDED PENDING_TRANSFER']);
    expect(await targetAudit(certificateId)).toEqual(['ApprovalRejected SUCCEEDED', 'RejectCertificateTransfer SUCCEEDED']);
  });

  it('restores the status and policies preparation changed after the target rejects', async () => {
    const { certificateId, certificateArn, policyName } = await activeCertificateWithPolicy();
    const outbound = await startOutbound(certificateId);
    await decide(SOURCE_APPROVER, certificateId, { decision: 'APPROVED', consentToPrepare: 'true' });
    await pendingInSource(certificateId);
    await inboundReviewFor(certificateId);
    await decide(TARGET_APPROVER, certificateId, { decision: 'REJECTED', rejectReason: 'not ours' });
    expect(outcomeOf((await sweptUntilFinished(outbound)).output)).toBe('TARGET_REJECTED');
    expect(await certificateIn(sourceIot, certificateId)).toMatchObject({ status: 'ACTIVE', ownedBy: source });
    expect(await attachedPolicies(sourceIot, certificateArn)).toEqual([policyName]);
    expect(await certificateIn(targetIot, certificateId)).toBeUndefined();
    expect(await targetAudit(certificateId)).toEqual(['ApprovalRejected SUCCEEDED', 'RejectCertificateTransfer SUCCEEDED']);
    expect(await sourceAudit(certificateId)).toEqual([
      'ApprovalGranted SUCCEEDED',
      'UpdateCertificate SUCCEEDED INACTIVE',
      `DetachPolicy SUCCEEDED ${policyName}`,
      'TransferCertificate SUCCEEDED PENDING_TRANSFER',
      `AttachPolicy SUCCEEDED ${policyName}`,
      'UpdateCertificate SUCCEEDED ACTIVE',
    ]);
  });

  it('ends as CANCELLED when the requester cancels the pending transfer', async () => {
    const { certificateId } = await createCertificate(sourceIot);
    const outbound = await startOutbound(certificateId);
    await decide(SOURCE_APPROVER, certificateId, { decision: 'APPROVED' });
    await pendingInSource(certificateId);
    const cancel = functionArn(source, outputs('CertflowSource').CancelFunctionName);
    await fixture.sandbox.invoke(cancel, { certificateId, targetAwsAccount: target, requestedBy: REQUESTER });
    const result = await sweptUntilFinished(outbound);
    expect([result.status, outcomeOf(result.output)]).toEqual(['SUCCEEDED', 'CANCELLED']);
    expect(await certificateIn(sourceIot, certificateId)).toMatchObject({ status: 'INACTIVE', ownedBy: source });
    expect(await certificateIn(targetIot, certificateId)).toBeUndefined();
    expect(await sourceAudit(certificateId)).toEqual([
      'ApprovalGranted SUCCEEDED',
      'TransferCertificate SUCCEEDED PENDING_TRANSFER',
      'CancelCertificateTransfer SUCCEEDED INACTIVE',
    ]);
    expect(await targetAudit(certificateId)).toEqual([]);
  });

  it('expires the request when nobody approves by the approval deadline, and the link then refuses', async () => {
    const { certificateId } = await createCertificate(sourceIot);
    const outbound = await startOutbound(certificateId);
    const link = await eventually('the source link', async () => approvalLinkFor(fixture.sandbox, SOURCE_APPROVER, certificateId));
    const result = await finishedExecution(sourceSfn, outbound);
    expect([result.status, outcomeOf(result.output)]).toEqual(['SUCCEEDED', 'APPROVAL_EXPIRED']);
    const late = await submitDecision(link, { decision: 'APPROVED' });
    expect(late.status).toBe(410);
    expect(await certificateIn(sourceIot, certificateId)).toMatchObject({ status: 'INACTIVE', ownedBy: source });
    expect(await certificateIn(targetIot, certificateId)).toBeUndefined();
    expect(await sourceAudit(certificateId)).toEqual(['ApprovalExpired SUCCEEDED']);
    expect(await targetAudit(certificateId)).toEqual([]);
  });

  it('rejects the offer with an expiry reason when the target approvers do not decide by the deadline', async () => {
    const { certificateId } = await createCertificate(sourceIot);
    const outbound = await startOutbound(certificateId);
    await decide(SOURCE_APPROVER, certificateId, { decision: 'APPROVED' });
    await pendingInSource(certificateId);
    const inbound = await inboundReviewFor(certificateId);
    expect(outcomeOf((await finishedExecution(targetSfn, inbound)).output)).toBe('EXPIRED');
    const result = await sweptUntilFinished(outbound);
    expect(outcomeOf(result.output)).toBe('TARGET_REJECTED');
    expect(await certificateIn(sourceIot, certificateId)).toMatchObject({
      status: 'INACTIVE',
      ownedBy: source,
      transferData: { rejectReason: APPROVAL_EXPIRED_REASON },
    });
    expect(await certificateIn(targetIot, certificateId)).toBeUndefined();
    expect(await sourceAudit(certificateId)).toEqual(['ApprovalGranted SUCCEEDED', 'TransferCertificate SUCCEEDED PENDING_TRANSFER']);
    expect(await targetAudit(certificateId)).toEqual(['ApprovalExpired SUCCEEDED', 'RejectCertificateTransfer SUCCEEDED']);
  });

  it('cancels the transfer when the target does not decide by the transfer deadline', async () => {
    const { certificateId } = await createCertificate(sourceIot);
    const outbound = await startOutbound(certificateId);
    await decide(SOURCE_APPROVER, certificateId, { decision: 'APPROVED' });
    const result = await finishedExecution(sourceSfn, outbound, 60_000);
    expect([result.status, outcomeOf(result.output)]).toEqual(['SUCCEEDED', 'TRANSFER_EXPIRED']);
    expect(await certificateIn(sourceIot, certificateId)).toMatchObject({ status: 'INACTIVE', ownedBy: source });
    expect(await certificateIn(targetIot, certificateId)).toBeUndefined();
    expect(await sourceAudit(certificateId)).toEqual([
      'ApprovalGranted SUCCEEDED',
      'TransferCertificate SUCCEEDED PENDING_TRANSFER',
      'CancelCertificateTransfer SUCCEEDED INACTIVE',
    ]);
    expect(await targetAudit(certificateId)).toEqual([]);
  });

  it('restores the certificate and fails when preparation cannot finish (IoT keeps failing DetachPolicy)', async () => {
    const { certificateId, certificateArn, policyName } = await activeCertificateWithPolicy();
    const outbound = await startOutbound(certificateId);
    fixture.sandbox.iot.setFaults({ DetachPolicy: { errorRate: 1, errorType: 'ServiceUnavailableException' } });
    try {
      await decide(SOURCE_APPROVER, certificateId, { decision: 'APPROVED', consentToPrepare: 'true' });
      const result = await finishedExecution(sourceSfn, outbound);
      expect([result.status, result.error]).toEqual(['FAILED', 'ServiceUnavailableException']);
    } finally {
      fixture.sandbox.iot.setFaults({});
    }
    expect(await certificateIn(sourceIot, certificateId)).toMatchObject({ status: 'ACTIVE', ownedBy: source });
    expect(await attachedPolicies(sourceIot, certificateArn)).toEqual([policyName]);
    expect(await sourceAudit(certificateId)).toEqual([
      'ApprovalGranted SUCCEEDED',
      'UpdateCertificate SUCCEEDED INACTIVE',
      `DetachPolicy FAILED ${policyName}`,
      `AttachPolicy SUCCEEDED ${policyName}`,
      'UpdateCertificate SUCCEEDED ACTIVE',
    ]);
    expect(await targetAudit(certificateId)).toEqual([]);
  });

  it('fails early, naming the rule, when the input is bad', async () => {
    const executionArn = await startThroughApi(fixture.sandbox, operatorArn(source, REQUESTER), 'transfer', {
      certificateId: 'abc',
      targetAwsAccount: target,
    });
    const result = await finishedExecution(sourceSfn, executionArn);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ValidationError');
    expect(result.cause).toContain('certificateId: must be exactly 64 characters long (got 3)');
  });
});

describe('who may start an outbound transfer', () => {
  const transferArn = () => outputs('CertflowSource').OutboundStateMachineArn;
  const requestInput = (certificateId: string) => ({ certificateId, targetAwsAccount: target, targetRunsCertflow: false });

  it('fails UnverifiedRequest a StartExecution made directly, whatever requester it claims: nothing changes, one audit row', async () => {
    const { certificateId, certificateArn, policyName } = await activeCertificateWithPolicy();
    const forged = await startExecution(sourceSfn, transferArn(), {
      ...requestInput(certificateId),
      requestedBy: 'someone-else@example.com',
      requestedByArn: operatorArn(source, 'someone-else@example.com'),
    });
    const result = await finishedExecution(sourceSfn, forged);
    expect([result.status, result.error]).toEqual(['FAILED', 'UnverifiedRequest']);
    expect(result.cause).toContain('not started through the start API');
    expect(await certificateIn(sourceIot, certificateId)).toMatchObject({ status: 'ACTIVE', ownedBy: source });
    expect(await attachedPolicies(sourceIot, certificateArn)).toEqual([policyName]);
    expect(await sourceAudit(certificateId)).toEqual(['RequestUnverified FAILED UnverifiedRequest']);
    expect(fixture.sandbox.notifications.list().filter((sent) => sent.message.includes(certificateId))).toEqual([]);
  });

  it('fails UnverifiedRequest an execution whose input is not the one its start request recorded', async () => {
    const { certificateId } = await activeCertificateWithPolicy();
    const name = `swapped-${certificateId.slice(0, 8)}`;
    const requester = { requestedBy: REQUESTER, requestedByArn: operatorArn(source, REQUESTER) };
    // A start request for one input (as the API records it) and an execution of that name with another.
    await recordStartRequest(fixture.startRequestStore(source), {
      stateMachineArn: transferArn() ?? '',
      executionName: name,
      callerArn: requester.requestedByArn,
      input: requestInput(certificateId),
    });
    const swapped = await startExecution(
      sourceSfn,
      transferArn(),
      { ...requestInput(certificateId), ...requester, reason: 'swapped' },
      name,
    );
    const result = await finishedExecution(sourceSfn, swapped);
    expect([result.status, result.error]).toEqual(['FAILED', 'UnverifiedRequest']);
    expect(result.cause).toContain('input is not the one the start API recorded');
    expect(await certificateIn(sourceIot, certificateId)).toMatchObject({ status: 'ACTIVE' });
    expect(await sourceAudit(certificateId)).toEqual(['RequestUnverified FAILED UnverifiedRequest']);
  });

  it('answers an unsigned or wrongly signed call to the start API 403, as API Gateway does, and starts nothing', async () => {
    const apiUrl = outputs('CertflowSource').StartApiUrl ?? '';
    const unsigned = await fetch(`${apiUrl}workflows/transfer/executions`, { method: 'POST', body: '{"input":{}}' });
    expect([unsigned.status, await unsigned.json()]).toEqual([403, { message: 'Missing Authentication Token' }]);
    const wrongSecret = await startWorkflowExecution({
      apiUrl,
      region: fixture.sandbox.region,
      credentials: { accessKeyId: principalCredentialsFor(operatorArn(source, REQUESTER)).accessKeyId, secretAccessKey: 'guessed' },
      workflow: 'transfer',
      input: requestInput('c'.repeat(64)),
    }).catch((error: unknown) => error);
    expect(wrongSecret).toMatchObject({
      statusCode: 403,
      message: expect.stringMatching(/^The request signature we calculated does not match the signature you provided\./),
    });
  });

  it('refuses 400, naming the field, a start request whose input names its own requester', async () => {
    const refused = await startThroughApi(fixture.sandbox, operatorArn(source, REQUESTER), 'transfer', {
      ...requestInput('c'.repeat(64)),
      requestedBy: SOURCE_APPROVER,
    }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(StartRequestRefused);
    expect(refused).toMatchObject({ statusCode: 400, field: 'input.requestedBy' });
  });

  it("takes the requester from the caller's role session e-mail: that approver is not asked and the others see the ARN", async () => {
    const { certificateId } = await activeCertificateWithPolicy();
    const callerArn = operatorArn(source, SOURCE_APPROVER.toUpperCase());
    const outbound = await startThroughApi(fixture.sandbox, callerArn, 'transfer', requestInput(certificateId));
    const notified = await eventually('the source approvers to be notified', async () => {
      const sent = fixture.sandbox.notifications.list().filter((notification) => notification.message.includes(certificateId));
      return sent.length > 0 ? sent : undefined;
    });
    expect(notified.map((notification) => notification.attributes.approver)).not.toContain(SOURCE_APPROVER);
    expect(notified[0]?.message).toContain(callerArn);
    const request = await fixture.approvalStore(source, 'CertflowSource').get(approvalRequestId(outbound, 'SOURCE'));
    expect(request).toMatchObject({ requestedBy: SOURCE_APPROVER.toUpperCase(), requestedByArn: callerArn });
    expect(request?.approvers).not.toContain(SOURCE_APPROVER);
    await sourceSfn.send(new StopExecutionCommand({ executionArn: outbound }));
  });
});
