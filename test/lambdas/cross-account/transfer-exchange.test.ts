import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { SFNClient, SendTaskSuccessCommand, StartExecutionCommand, TaskDoesNotExist } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { proposalTableFixture, type ProposalTableFixture } from './proposal-table-fixture';
import { proposalIdOf, type ProposalStore } from '../../../lambdas/cross-account/proposal-store';
import { receiveSourceMessage, reviewExecutionName, executionArnOf } from '../../../lambdas/cross-account/receive-source-message';
import { receiveTargetMessage } from '../../../lambdas/cross-account/receive-target-message';
import { parseTransferEvent } from '../../../lambdas/cross-account/transfer-messages';
import type { CertificateFacts, LandingPlan } from '../../../lambdas/cutover/certificate-facts';
import { answerProposal, readOffer, reportLanded } from '../../../lambdas/inbound-workflow/proposal-review';
import { offerToTarget, readLanding } from '../../../lambdas/outbound-workflow/offer-to-target';
import { proposeToTarget, readTargetDecision } from '../../../lambdas/outbound-workflow/propose-to-target';

const SOURCE = '111111111111';
const TARGET = '222222222222';
const STRANGER = '333333333333';
const CERTIFICATE_ID = 'c'.repeat(64);
const REVIEW_MACHINE = `arn:aws:states:us-east-1:${TARGET}:stateMachine:CertflowTarget-ProposalReview`;
const FACTS: CertificateFacts = {
  certificateId: CERTIFICATE_ID,
  certificateArn: `arn:aws:iot:us-east-1:${SOURCE}:cert/${CERTIFICATE_ID}`,
  status: 'ACTIVE',
  subject: 'CN=sensor-17',
  policies: ['sensor-policy'],
  things: [{ thingName: 'sensor-17', thingTypeName: 'sensor', attributes: { floor: '3' } }],
};
const LANDING: LandingPlan = {
  policies: ['sensor-policy'],
  things: [{ thingName: 'sensor-17', thingTypeName: 'sensor', attributes: { floor: '3' }, action: 'CREATE' }],
};
const REQUEST = {
  certificateId: CERTIFICATE_ID,
  targetAwsAccount: TARGET,
  transferMessage: 'fleet move',
  requestedBy: 'alice@example.com',
  reason: 'new account',
  restoreOnFailure: true,
  targetRunsCertflow: true,
};

const eventsMock = mockClient(EventBridgeClient);
const sfnMock = mockClient(SFNClient);
let tables: ProposalTableFixture;

const proposalTable = (): Promise<ProposalStore> => tables.newStore();

beforeAll(async () => {
  tables = await proposalTableFixture();
});

afterAll(() => tables.close());

beforeEach(() => {
  eventsMock.reset();
  sfnMock.reset();
  eventsMock.on(PutEventsCommand).resolves({ $metadata: {}, FailedEntryCount: 0, Entries: [{ EventId: 'event-1' }] });
  sfnMock.on(SendTaskSuccessCommand).resolves({ $metadata: {} });
  sfnMock.on(StartExecutionCommand).resolves({ $metadata: {}, executionArn: 'arn', startDate: new Date() });
});

/** The events the last PutEvents calls sent, as EventBridge would deliver them to the peer (with the sender's account). */
function sentEvents(account: string): unknown[] {
  return eventsMock
    .commandCalls(PutEventsCommand)
    .flatMap((call) => call.args[0].input.Entries ?? [])
    .map((entry: PutEventsRequestEntry) => ({
      account,
      source: entry.Source,
      'detail-type': entry.DetailType,
      detail: JSON.parse(entry.Detail ?? '{}') as unknown,
    }));
}

function lastSent(account: string): unknown {
  const all = sentEvents(account);
  return all[all.length - 1];
}

let executions = 0;

async function sides() {
  executions += 1;
  const sourceStore = await proposalTable();
  const targetStore = await proposalTable();
  const events = new EventBridgeClient({ region: 'us-east-1' });
  const sfn = new SFNClient({ region: 'us-east-1' });
  const source = { store: sourceStore, sender: { events, busName: 'certflow-outbound-transfers' }, accountId: SOURCE };
  const target = { store: targetStore, sender: { events, busName: 'certflow-inbound-transfers' }, accountId: TARGET };
  const sourceReceiver = { store: sourceStore, sfn, peerAccount: TARGET, ownAccount: SOURCE };
  const targetReceiver = { store: targetStore, sfn, peerAccount: SOURCE, ownAccount: TARGET, reviewStateMachineArn: REVIEW_MACHINE };
  const executionId = `arn:aws:states:us-east-1:${SOURCE}:execution:CertflowSource-OutboundTransfer:run-${executions}`;
  const proposalId = proposalIdOf(executionId);
  const reviewExecution = executionArnOf(REVIEW_MACHINE, reviewExecutionName(proposalId));
  return { source, target, sourceReceiver, targetReceiver, executionId, proposalId, reviewExecution };
}

describe('parseTransferEvent', () => {
  const proposed = {
    account: SOURCE,
    source: 'certflow.source',
    'detail-type': 'TransferProposed',
    detail: {
      proposalId: 'p'.repeat(32),
      certificateId: CERTIFICATE_ID,
      sourceAwsAccount: SOURCE,
      targetAwsAccount: TARGET,
      sentAt: '2026-12-01T10:00:00.000Z',
      certificate: FACTS,
      requestedBy: 'alice@example.com',
      reason: null,
      transferMessage: null,
      sourceApprovedBy: 'bob@example.com',
    },
  };
  const expected = { from: 'SOURCE' as const, peerAccount: SOURCE, ownAccount: TARGET };

  it('accepts a proposal from the configured peer', () => {
    expect(parseTransferEvent(proposed, expected)).toMatchObject({ type: 'TransferProposed', detail: { certificate: FACTS } });
  });

  it('refuses an event sent from another account, whatever its detail says', () => {
    expect(() => parseTransferEvent({ ...proposed, account: STRANGER }, expected)).toThrow(
      /event.account 333333333333 is not the configured peer account 111111111111/,
    );
  });

  it('refuses a message about a transfer between other accounts', () => {
    expect(() => parseTransferEvent({ ...proposed, detail: { ...proposed.detail, targetAwsAccount: STRANGER } }, expected)).toThrow(
      /not between 111111111111 and 222222222222/,
    );
  });

  it("refuses the other side's message types and sources", () => {
    expect(() => parseTransferEvent({ ...proposed, 'detail-type': 'ProposalDecided' }, expected)).toThrow(/detail-type must be one of/);
    expect(() => parseTransferEvent({ ...proposed, source: 'certflow.target' }, expected)).toThrow(/event.source must be certflow.source/);
  });

  it('names the field and the rule of a bad detail', () => {
    expect(() =>
      parseTransferEvent(
        { ...proposed, detail: { ...proposed.detail, certificate: { ...FACTS, things: [{ thingName: 'bad name', attributes: {} }] } } },
        expected,
      ),
    ).toThrow('detail.certificate.things[0].thingName: must match the pattern [a-zA-Z0-9:_-]+');
    expect(() => parseTransferEvent({ ...proposed, detail: { ...proposed.detail, proposalId: 'short' } }, expected)).toThrow(
      'detail.proposalId: must be 32 characters of [A-Za-z0-9_-]',
    );
  });
});

describe('the exchange between the two sides', () => {
  it('proposes, records the approval, offers, and reads the landing with the downtime from deactivation to ready', async () => {
    const { source, target, sourceReceiver, targetReceiver, executionId, proposalId, reviewExecution } = await sides();

    await proposeToTarget(source, {
      taskToken: 'SOURCE-TOKEN-1',
      executionId,
      request: REQUEST,
      certificate: FACTS,
      sourceApprovedBy: 'bob@example.com',
    });
    expect(await receiveSourceMessage(targetReceiver, lastSent(SOURCE))).toEqual({
      kind: 'started',
      proposalId,
      executionName: reviewExecutionName(proposalId),
    });
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: REVIEW_MACHINE,
      name: reviewExecutionName(proposalId),
      input: JSON.stringify({ proposalId }),
    });

    await answerProposal(target, {
      executionId: reviewExecution,
      proposalId,
      decision: 'APPROVED',
      decidedBy: 'tara@example.com',
      rejectReason: null,
      setAsActive: true,
      landing: LANDING,
      taskToken: 'TARGET-TOKEN-1',
    });
    expect(await receiveTargetMessage(sourceReceiver, lastSent(TARGET))).toMatchObject({
      kind: 'recorded',
      type: 'ProposalDecided',
      woke: 'woken',
    });
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'SOURCE-TOKEN-1' });
    expect(await readTargetDecision(source, { executionId })).toMatchObject({
      decision: 'APPROVED',
      decidedBy: 'tara@example.com',
      setAsActive: true,
      landing: LANDING,
    });

    await offerToTarget(source, {
      taskToken: 'SOURCE-TOKEN-2',
      executionId,
      certificateId: CERTIFICATE_ID,
      targetAwsAccount: TARGET,
      deactivatedAt: '2026-12-01T10:00:00.000Z',
    });
    expect(await receiveSourceMessage(targetReceiver, lastSent(SOURCE))).toMatchObject({ kind: 'recorded', type: 'CertificateOffered' });
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'TARGET-TOKEN-1' });
    expect(await readOffer(target, { executionId: reviewExecution, proposalId })).toEqual({
      outcome: 'OFFERED',
      deactivatedAt: '2026-12-01T10:00:00.000Z',
      withdrawnReason: null,
    });

    const landed = await reportLanded(target, {
      executionId: reviewExecution,
      proposalId,
      acceptedAt: '2026-12-01T10:00:02.000Z',
      landedAt: '2026-12-01T10:00:03.500Z',
      setAsActive: true,
      landing: LANDING,
    });
    expect(landed.downtimeSeconds).toBe(3.5);
    expect(await receiveTargetMessage(sourceReceiver, lastSent(TARGET))).toMatchObject({ kind: 'recorded', type: 'CertificateLanded' });
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'SOURCE-TOKEN-2' });
    expect(await readLanding(source, { executionId })).toMatchObject({
      outcome: 'LANDED',
      readyAt: '2026-12-01T10:00:03.500Z',
      downtimeSeconds: 3.5,
    });
  });

  it('never puts a task token in a message', async () => {
    const { source, executionId } = await sides();
    await proposeToTarget(source, {
      taskToken: 'SECRET-TOKEN',
      executionId,
      request: REQUEST,
      certificate: FACTS,
      sourceApprovedBy: 'bob@example.com',
    });
    expect(JSON.stringify(sentEvents(SOURCE))).not.toContain('SECRET-TOKEN');
  });

  it('does not trust a wake-up that no recorded message explains (a forged SendTaskSuccess)', async () => {
    const { source, executionId } = await sides();
    await proposeToTarget(source, {
      taskToken: 'SOURCE-TOKEN',
      executionId,
      request: REQUEST,
      certificate: FACTS,
      sourceApprovedBy: 'bob@example.com',
    });
    await expect(readTargetDecision(source, { executionId })).rejects.toMatchObject({ name: 'UnverifiedMessage' });
    await expect(readLanding(source, { executionId })).rejects.toMatchObject({ name: 'UnverifiedMessage' });
  });

  it('changes nothing on a duplicated message, and wakes nobody new', async () => {
    const { source, target, sourceReceiver, targetReceiver, executionId, proposalId, reviewExecution } = await sides();
    await proposeToTarget(source, {
      taskToken: 'SOURCE-TOKEN',
      executionId,
      request: REQUEST,
      certificate: FACTS,
      sourceApprovedBy: 'bob@example.com',
    });
    const proposal = lastSent(SOURCE);
    await receiveSourceMessage(targetReceiver, proposal);
    sfnMock.on(StartExecutionCommand).rejects(new Error('exists'));
    sfnMock.on(StartExecutionCommand).rejects(Object.assign(new Error('exists'), { name: 'ExecutionAlreadyExists' }));
    expect(await receiveSourceMessage(targetReceiver, proposal)).toMatchObject({ kind: 'duplicate' });

    await answerProposal(target, {
      executionId: reviewExecution,
      proposalId,
      decision: 'REJECTED',
      decidedBy: 'tara@example.com',
      rejectReason: 'not ours',
      setAsActive: false,
      landing: null,
    });
    const decided = lastSent(TARGET);
    expect(await receiveTargetMessage(sourceReceiver, decided)).toMatchObject({ kind: 'recorded' });
    const before = await source.store.get(proposalId);
    sfnMock.on(SendTaskSuccessCommand).rejects(new TaskDoesNotExist({ message: 'over', $metadata: {} }));
    expect(await receiveTargetMessage(sourceReceiver, decided)).toMatchObject({ kind: 'duplicate', woke: 'task-over' });
    expect((await source.store.get(proposalId))?.decision).toEqual(before?.decision);
  });

  it('ignores a message from an account that is not the configured peer', async () => {
    const { source, sourceReceiver, executionId } = await sides();
    await proposeToTarget(source, {
      taskToken: 'SOURCE-TOKEN',
      executionId,
      request: REQUEST,
      certificate: FACTS,
      sourceApprovedBy: 'bob@example.com',
    });
    const forged = { ...(lastSent(TARGET) as object), account: STRANGER, source: 'certflow.target', 'detail-type': 'ProposalDecided' };
    expect(await receiveTargetMessage(sourceReceiver, forged)).toMatchObject({ kind: 'ignored' });
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('ignores a decision for a proposal this side never made', async () => {
    const { target, targetReceiver, sourceReceiver, executionId, proposalId, reviewExecution } = await sides();
    // The target knows the proposal (its receiver recorded it), the source's table has no record of it.
    await receiveSourceMessage(targetReceiver, {
      account: SOURCE,
      source: 'certflow.source',
      'detail-type': 'TransferProposed',
      detail: {
        proposalId,
        certificateId: CERTIFICATE_ID,
        sourceAwsAccount: SOURCE,
        targetAwsAccount: TARGET,
        sentAt: '2026-12-01T10:00:00.000Z',
        certificate: FACTS,
        requestedBy: 'a@example.com',
        reason: null,
        transferMessage: null,
        sourceApprovedBy: 'b@example.com',
      },
    });
    await answerProposal(target, {
      executionId: reviewExecution,
      proposalId,
      decision: 'APPROVED',
      decidedBy: 'tara@example.com',
      rejectReason: null,
      setAsActive: false,
      landing: LANDING,
      taskToken: 'T',
    });
    expect(executionId).toBeTruthy();
    expect(await receiveTargetMessage(sourceReceiver, lastSent(TARGET))).toMatchObject({
      kind: 'ignored',
      reason: 'no transfer with this proposalId on this side',
    });
  });

  it('lets only the execution the receiver started review a proposal', async () => {
    const { target, targetReceiver, source, executionId, proposalId } = await sides();
    await proposeToTarget(source, {
      taskToken: 'SOURCE-TOKEN',
      executionId,
      request: REQUEST,
      certificate: FACTS,
      sourceApprovedBy: 'bob@example.com',
    });
    await receiveSourceMessage(targetReceiver, lastSent(SOURCE));
    const impostor = `${REVIEW_MACHINE.replace(':stateMachine:', ':execution:')}:started-by-hand`;
    await expect(
      answerProposal(target, {
        executionId: impostor,
        proposalId,
        decision: 'APPROVED',
        decidedBy: 'x@example.com',
        rejectReason: null,
        setAsActive: true,
        landing: LANDING,
        taskToken: 'T',
      }),
    ).rejects.toMatchObject({ name: 'UnverifiedMessage' });
  });
});
