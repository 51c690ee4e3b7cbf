import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  CreateThingTypeCommand,
  DescribeCertificateCommand,
  DescribeThingCommand,
  ListAttachedPoliciesCommand,
  ListPrincipalThingsCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetExecutionHistoryCommand, ListExecutionsCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { credentialsFor } from '../../local/sandbox-accounts';
import { approvalLinkFor, submitDecision } from './approval-links';
import {
  createCertificate,
  eventually,
  finishedExecution,
  operatorArn,
  startThroughApi,
  startSandboxFixture,
  type SandboxFixture,
} from './sandbox-fixture';

/**
 * The cutover as it runs: both accounts decide on a proposal before the certificate
 * changes, then prepare, offer, accept and land follow by messages. Everything is on,
 * the target's poller and the reminder sweep included.
 */
const SOURCE_APPROVER = 'source-approver-1@example.com';
const TARGET_APPROVER = 'target-approver-1@example.com';
const REQUESTER = 'requester@example.com';
const STRANGER = '333333333333';

let fixture: SandboxFixture;
let source: string;
let target: string;
let sourceIot: IoTClient;
let targetIot: IoTClient;
let sourceSfn: SFNClient;
let targetSfn: SFNClient;

beforeAll(async () => {
  fixture = await startSandboxFixture({ schedules: true });
  ({ source, target } = fixture.sandbox.accounts);
  sourceIot = fixture.iot(source);
  targetIot = fixture.iot(target);
  sourceSfn = fixture.sfn(source);
  targetSfn = fixture.sfn(target);
}, 180_000);
afterAll(() => fixture?.close());

const outputs = (stack: 'CertflowSource' | 'CertflowTarget') => fixture.sandbox.stacks[stack]?.outputs ?? {};

async function certificateIn(iot: IoTClient, certificateId: string) {
  try {
    return (await iot.send(new DescribeCertificateCommand({ certificateId }))).certificateDescription;
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

const policiesOf = async (iot: IoTClient, certificateArn: string) =>
  ((await iot.send(new ListAttachedPoliciesCommand({ target: certificateArn }))).policies ?? []).map((policy) => policy.policyName);
const thingsOf = async (iot: IoTClient, certificateArn: string) =>
  (await iot.send(new ListPrincipalThingsCommand({ principal: certificateArn }))).things ?? [];
const policyDocument = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] });

/** An ACTIVE device certificate with a policy and a typed thing, as a fleet has them; the target has the policy and the type. */
async function deviceCertificate(options: { policyInTarget?: boolean } = {}) {
  const certificate = await createCertificate(sourceIot, true);
  const suffix = certificate.certificateId.slice(0, 8);
  const policyName = `device-${suffix}`;
  const thingName = `sensor-${suffix}`;
  await sourceIot.send(new CreatePolicyCommand({ policyName, policyDocument }));
  await sourceIot.send(new AttachPolicyCommand({ policyName, target: certificate.certificateArn }));
  for (const iot of [sourceIot, targetIot]) {
    await iot.send(new CreateThingTypeCommand({ thingTypeName: 'sensor' })).catch((error: unknown) => {
      if (!(error instanceof Error && error.name === 'ResourceAlreadyExistsException')) throw error;
    });
  }
  await sourceIot.send(new CreateThingCommand({ thingName, thingTypeName: 'sensor', attributePayload: { attributes: { floor: '3' } } }));
  await sourceIot.send(new AttachThingPrincipalCommand({ thingName, principal: certificate.certificateArn }));
  if (options.policyInTarget ?? true) await targetIot.send(new CreatePolicyCommand({ policyName, policyDocument }));
  return { ...certificate, policyName, thingName, targetArn: certificate.certificateArn.replace(`:${source}:`, `:${target}:`) };
}

/** Started as people start it: through the start API, by REQUESTER's role session. */
function startOutbound(certificateId: string): Promise<string> {
  return startThroughApi(fixture.sandbox, operatorArn(source, REQUESTER), 'transfer', {
    certificateId,
    targetAwsAccount: target,
    transferMessage: 'fleet moves to the new account',
    reason: 'account consolidation',
  });
}

async function decide(approver: string, certificateId: string, decision: Record<string, string>): Promise<void> {
  const link = await eventually(`a link for ${approver}`, async () => approvalLinkFor(fixture.sandbox, approver, certificateId));
  const answer = await submitDecision(link, decision);
  expect(answer.status).toBe(200);
}

const outputOf = (output: string | undefined) => JSON.parse(output ?? '{}') as { outcome?: string; downtimeSeconds?: number | null };
const reviewArn = () => outputs('CertflowTarget').ProposalReviewStateMachineArn ?? '';

/** The review execution the target's receiver started for the proposal about this certificate. */
async function reviewFor(certificateId: string): Promise<string> {
  return eventually(`the proposal review of ${certificateId}`, async () => {
    const { executions } = await targetSfn.send(new ListExecutionsCommand({ stateMachineArn: reviewArn() }));
    for (const execution of executions ?? []) {
      const history = await targetSfn.send(new GetExecutionHistoryCommand({ executionArn: execution.executionArn, maxResults: 30 }));
      if (JSON.stringify(history.events).includes(certificateId)) return execution.executionArn;
    }
    return undefined;
  });
}

/** Every audit row of both accounts for the certificate, as `Action OUTCOME detail`, oldest first. */
async function auditOf(account: string, stack: 'CertflowSource' | 'CertflowTarget', certificateId: string): Promise<string[]> {
  const rows = await fixture.auditTrail(account, stack).query('byCertificate', certificateId);
  return [...rows]
    .sort((a, b) => a.recordedAt.localeCompare(b.recordedAt))
    .map((row) =>
      [row.action, row.outcome, row.policyName ?? row.thingName ?? row.certificateStatus ?? row.errorName ?? ''].join(' ').trim(),
    );
}

async function inboundReviews(): Promise<number> {
  const { executions } = await targetSfn.send(
    new ListExecutionsCommand({ stateMachineArn: outputs('CertflowTarget').InboundStateMachineArn }),
  );
  return (executions ?? []).length;
}

describe('the cutover between two accounts running certflow', () => {
  it('lands the certificate ACTIVE in the target with its policy and thing after both approve, and reports the downtime', async () => {
    const device = await deviceCertificate();
    const outbound = await startOutbound(device.certificateId);
    await decide(SOURCE_APPROVER, device.certificateId, { decision: 'APPROVED', consentToPrepare: 'true' });
    const review = await reviewFor(device.certificateId);
    // Nothing has changed while the target decides.
    expect(await certificateIn(sourceIot, device.certificateId)).toMatchObject({ status: 'ACTIVE' });
    expect(await thingsOf(sourceIot, device.certificateArn)).toEqual([device.thingName]);
    await decide(TARGET_APPROVER, device.certificateId, { decision: 'APPROVED', setAsActive: 'true' });

    const reviewResult = await finishedExecution(targetSfn, review);
    expect([reviewResult.status, outputOf(reviewResult.output).outcome]).toEqual(['SUCCEEDED', 'LANDED']);
    const outboundResult = await finishedExecution(sourceSfn, outbound);
    expect([outboundResult.status, outputOf(outboundResult.output).outcome]).toEqual(['SUCCEEDED', 'TRANSFERRED']);
    const downtime = outputOf(outboundResult.output).downtimeSeconds;
    expect(typeof downtime).toBe('number');
    expect(downtime).toBeGreaterThan(0);
    expect(outputOf(reviewResult.output).downtimeSeconds).toBe(downtime);

    expect(await certificateIn(sourceIot, device.certificateId)).toBeUndefined();
    expect(await thingsOf(sourceIot, device.certificateArn).catch(() => [])).toEqual([]);
    expect(await certificateIn(targetIot, device.certificateId)).toMatchObject({
      status: 'ACTIVE',
      ownedBy: target,
      previousOwnedBy: source,
    });
    expect(await policiesOf(targetIot, device.targetArn)).toEqual([device.policyName]);
    expect(await thingsOf(targetIot, device.targetArn)).toEqual([device.thingName]);
    expect(await targetIot.send(new DescribeThingCommand({ thingName: device.thingName }))).toMatchObject({
      thingTypeName: 'sensor',
      attributes: { floor: '3' },
    });

    expect(await auditOf(source, 'CertflowSource', device.certificateId)).toEqual([
      'ApprovalGranted SUCCEEDED',
      'UpdateCertificate SUCCEEDED INACTIVE',
      `DetachPolicy SUCCEEDED ${device.policyName}`,
      `DetachThingPrincipal SUCCEEDED ${device.thingName}`,
      'TransferCertificate SUCCEEDED PENDING_TRANSFER',
    ]);
    expect(await auditOf(target, 'CertflowTarget', device.certificateId)).toEqual([
      'ApprovalGranted SUCCEEDED',
      'AcceptCertificateTransfer SUCCEEDED ACTIVE',
      `AttachPolicy SUCCEEDED ${device.policyName}`,
      `CreateThing SUCCEEDED ${device.thingName}`,
      `AttachThingPrincipal SUCCEEDED ${device.thingName}`,
    ]);
    // The poller ran all along (schedules on) and started no single review for the proposal's offer.
    expect(await inboundReviews()).toBe(0);
  });

  it('never touches the certificate when the target approvers reject the proposal', async () => {
    const device = await deviceCertificate();
    const outbound = await startOutbound(device.certificateId);
    await decide(SOURCE_APPROVER, device.certificateId, { decision: 'APPROVED', consentToPrepare: 'true' });
    const review = await reviewFor(device.certificateId);
    await decide(TARGET_APPROVER, device.certificateId, { decision: 'REJECTED', rejectReason: 'not in this account' });

    expect(outputOf((await finishedExecution(targetSfn, review)).output).outcome).toBe('REJECTED');
    const outboundResult = await finishedExecution(sourceSfn, outbound);
    expect(outputOf(outboundResult.output)).toMatchObject({
      outcome: 'TARGET_REJECTED',
      targetDecision: { decision: 'REJECTED', rejectReason: 'not in this account', decidedBy: TARGET_APPROVER },
    });
    expect(await certificateIn(sourceIot, device.certificateId)).toMatchObject({ status: 'ACTIVE' });
    expect(await policiesOf(sourceIot, device.certificateArn)).toEqual([device.policyName]);
    expect(await thingsOf(sourceIot, device.certificateArn)).toEqual([device.thingName]);
    expect(await certificateIn(targetIot, device.certificateId)).toBeUndefined();
    expect(await auditOf(source, 'CertflowSource', device.certificateId)).toEqual(['ApprovalGranted SUCCEEDED']);
    expect(await auditOf(target, 'CertflowTarget', device.certificateId)).toEqual(['ApprovalRejected SUCCEEDED']);
  });

  it('never touches the certificate when the target approvers let the proposal expire', async () => {
    const device = await deviceCertificate();
    const outbound = await startOutbound(device.certificateId);
    await decide(SOURCE_APPROVER, device.certificateId, { decision: 'APPROVED', consentToPrepare: 'true' });
    const review = await reviewFor(device.certificateId);

    expect(outputOf((await finishedExecution(targetSfn, review, 60_000)).output).outcome).toBe('EXPIRED');
    expect(outputOf((await finishedExecution(sourceSfn, outbound)).output).outcome).toBe('TARGET_APPROVAL_EXPIRED');
    expect(await certificateIn(sourceIot, device.certificateId)).toMatchObject({ status: 'ACTIVE' });
    expect(await thingsOf(sourceIot, device.certificateArn)).toEqual([device.thingName]);
    expect(await auditOf(source, 'CertflowSource', device.certificateId)).toEqual(['ApprovalGranted SUCCEEDED']);
    expect(await auditOf(target, 'CertflowTarget', device.certificateId)).toEqual(['ApprovalExpired SUCCEEDED']);
  }, 90_000);

  it('fails the target review before anyone is asked when the certificate cannot land, and changes nothing', async () => {
    const device = await deviceCertificate({ policyInTarget: false });
    const outbound = await startOutbound(device.certificateId);
    await decide(SOURCE_APPROVER, device.certificateId, { decision: 'APPROVED', consentToPrepare: 'true' });
    const review = await reviewFor(device.certificateId);

    const reviewResult = await finishedExecution(targetSfn, review);
    expect([reviewResult.status, reviewResult.error]).toEqual(['FAILED', 'LandingNotPossible']);
    expect(reviewResult.cause).toContain(`policy ${device.policyName} does not exist in this account`);
    expect(outputOf((await finishedExecution(sourceSfn, outbound)).output).outcome).toBe('LANDING_NOT_POSSIBLE');
    expect(approvalLinkFor(fixture.sandbox, TARGET_APPROVER, device.certificateId)).toBeUndefined();
    expect(await certificateIn(sourceIot, device.certificateId)).toMatchObject({ status: 'ACTIVE' });
    expect(await auditOf(source, 'CertflowSource', device.certificateId)).toEqual(['ApprovalGranted SUCCEEDED']);
    expect(await auditOf(target, 'CertflowTarget', device.certificateId)).toEqual([]);
  });

  it('changes nothing when a message is delivered twice, and ignores one from an account that is not the peer', async () => {
    const { certificateId } = await createCertificate(sourceIot);
    await startOutbound(certificateId);
    await decide(SOURCE_APPROVER, certificateId, { decision: 'APPROVED' });
    const review = await reviewFor(certificateId);
    const delivered = fixture.sandbox.events
      .deliveries()
      .find(
        (delivery) =>
          delivery.targetArn.startsWith('arn:aws:lambda:') &&
          delivery.event['detail-type'] === 'TransferProposed' &&
          JSON.stringify(delivery.event).includes(certificateId),
      );
    expect(delivered).toBeDefined();
    const receiver = delivered?.targetArn ?? '';

    expect(await fixture.sandbox.invoke(receiver, delivered?.event)).toMatchObject({ kind: 'duplicate' });
    const forged = { ...delivered?.event, account: STRANGER };
    expect(await fixture.sandbox.invoke(receiver, forged)).toMatchObject({ kind: 'ignored' });
    const { executions } = await targetSfn.send(new ListExecutionsCommand({ stateMachineArn: reviewArn() }));
    expect((executions ?? []).filter((execution) => execution.executionArn === review)).toHaveLength(1);

    // Another account cannot even put an event on the target's bus: its policy admits only the source.
    const strangerEvents = new EventBridgeClient({
      region: fixture.sandbox.region,
      endpoint: fixture.sandbox.endpoints.events,
      credentials: credentialsFor(STRANGER),
    });
    const busArn = `arn:aws:events:${fixture.sandbox.region}:${target}:event-bus/${outputs('CertflowTarget').EventBusName ?? ''}`;
    const answer = await strangerEvents.send(
      new PutEventsCommand({
        Entries: [
          { EventBusName: busArn, Source: 'certflow.source', DetailType: 'CertificateOffered', Detail: JSON.stringify({ certificateId }) },
        ],
      }),
    );
    strangerEvents.destroy();
    expect(answer.FailedEntryCount).toBe(1);
    expect(answer.Entries?.[0]?.ErrorCode).toBe('AccessDeniedException');
  });

  it('acts on no approval forged with a task token read from the execution history', async () => {
    const device = await deviceCertificate();
    const outbound = await startOutbound(device.certificateId);
    const token = await eventually('the approval task token in the history', async () => {
      const { events } = await sourceSfn.send(new GetExecutionHistoryCommand({ executionArn: outbound }));
      const scheduled = (events ?? []).find(
        (event) => event.type === 'TaskScheduled' && (event.taskScheduledEventDetails?.parameters ?? '').includes('taskToken'),
      );
      const parameters = JSON.parse(scheduled?.taskScheduledEventDetails?.parameters ?? '{}') as { Payload?: { taskToken?: string } };
      return parameters.Payload?.taskToken;
    });
    await sourceSfn.send(
      new SendTaskSuccessCommand({
        taskToken: token,
        output: JSON.stringify({
          decision: 'APPROVED',
          approvedBy: 'nobody-real@example.com',
          rejectReason: null,
          setAsActive: false,
          consentToPrepare: true,
        }),
      }),
    );
    const result = await finishedExecution(sourceSfn, outbound);
    expect([result.status, result.error]).toEqual(['FAILED', 'UnverifiedDecision']);
    expect(await certificateIn(sourceIot, device.certificateId)).toMatchObject({ status: 'ACTIVE' });
    expect(await policiesOf(sourceIot, device.certificateArn)).toEqual([device.policyName]);
    expect(await auditOf(source, 'CertflowSource', device.certificateId)).toEqual(['ApprovalUnverified FAILED UnverifiedDecision']);
  });
});
