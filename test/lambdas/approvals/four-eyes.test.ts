import { randomBytes } from 'node:crypto';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand as SnsPublish, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ApprovalLinkSigner } from '../../../lambdas/approvals/approval-link-signer';
import { decideApproval } from '../../../lambdas/approvals/decide-approval';
import { parseApprovalTaskInput, requestApproval, type RequestApprovalDeps } from '../../../lambdas/approvals/request-approval';
import { requesterOf } from '../../../lambdas/start-requests/caller-identity';
import { approvalTableFixture, storePendingRequest, type ApprovalTableFixture } from './approval-table-fixture';

// The attacker's review: an approver requested under another spelling of their own address.
const APPROVER = 'approver@example.com';
const snsMock = mockClient(SNSClient);
const sfnMock = mockClient(SFNClient);
const NOW = new Date('2026-11-24T10:00:00Z');
let table: ApprovalTableFixture;
let deps: RequestApprovalDeps;
let run = 0;

beforeAll(async () => {
  table = await approvalTableFixture();
  deps = {
    store: table.store,
    sns: new SNSClient({ region: 'us-east-1' }),
    signer: new ApprovalLinkSigner(randomBytes(32)),
    topicArn: 'arn:aws:sns:us-east-1:111111111111:approvers',
    approvers: [APPROVER, 'carol@example.com'],
    approvalPageUrl: 'https://approvals.example.com/v1/approval',
    reminderLeadSeconds: 3600,
    now: () => NOW,
  };
});
afterAll(() => table.close());
beforeEach(() => {
  snsMock.reset();
  snsMock.on(SnsPublish).resolves({ $metadata: {}, MessageId: 'm' });
  sfnMock.reset();
  sfnMock.on(SendTaskSuccessCommand).resolves({ $metadata: {} });
});

function taskEvent(requestedBy: string): Record<string, unknown> {
  run += 1;
  return {
    taskToken: `token-${run}`,
    executionId: `arn:aws:states:us-east-1:111111111111:execution:Outbound:four-eyes-${run}`,
    side: 'SOURCE',
    certificateId: 'c'.repeat(64),
    sourceAwsAccount: '111111111111',
    targetAwsAccount: '222222222222',
    requestedBy,
    deadlineSeconds: 3600,
  };
}

describe('a request an approver makes under another spelling of their address', () => {
  it.each([
    ['with a zero-width space', `${APPROVER}\u200B`, /invisible/],
    ['in a display-name form', `Approver <${APPROVER}>`, /display-name/],
  ])('is refused %s: requestedBy must be a bare, visible address', (_, requestedBy, rule) => {
    expect(() => parseApprovalTaskInput(taskEvent(requestedBy))).toThrow(
      expect.objectContaining({ name: 'ValidationError', field: 'requestedBy', rule: expect.stringMatching(rule) }),
    );
  });

  it.each([
    ['with a +tag', 'approver+x@example.com'],
    ['in other letter case', 'Approver@Example.COM'],
  ])('is recognized %s: the approver is not notified and cannot decide it', async (_, requestedBy) => {
    const input = parseApprovalTaskInput(taskEvent(requestedBy));
    const result = await requestApproval(deps, input);
    expect(result.notified).toEqual(['carol@example.com']);
    expect(snsMock.commandCalls(SnsPublish).map((call) => call.args[0].input.MessageAttributes?.approver?.StringValue)).toEqual([
      'carol@example.com',
    ]);

    const link = { requestId: result.requestId, approver: APPROVER, expiresAt: NOW.getTime() / 1000 + 3600, nonce: 'n'.repeat(32) };
    const decision = await decideApproval(
      { store: table.store, sfn: new SFNClient({ region: 'us-east-1' }), now: () => NOW },
      { link, decision: 'APPROVED' },
    );
    expect(decision).toMatchObject({ kind: 'refused', reason: 'own-request' });
    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
  });
});

describe('a request stored before requesters were parsed strictly', () => {
  it.each([`${APPROVER}\u200B`, `Approver <${APPROVER}>`, 'approver+x@example.com', 'APPROVER@example.com'])(
    'still refuses its requester %j deciding it',
    async (requestedBy) => {
      const request = await storePendingRequest(table.store, NOW, { requestedBy, approvers: [APPROVER, 'carol@example.com'] });
      const link = { requestId: request.requestId, approver: APPROVER, expiresAt: request.expiresAt, nonce: 'n'.repeat(32) };
      const decision = await decideApproval(
        { store: table.store, sfn: new SFNClient({ region: 'us-east-1' }), now: () => NOW },
        { link, decision: 'APPROVED' },
      );
      expect(decision).toMatchObject({ kind: 'refused', reason: 'own-request' });
    },
  );
});

describe("a request started through the start API by an approver's own role session", () => {
  it('derives the requester from the session e-mail: the approver is not notified, cannot decide it, and sees the ARN', async () => {
    const arn = 'arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_Operator_0123/Approver@Example.com';
    const { requestedBy, requestedByArn } = requesterOf({ userArn: arn });
    const input = parseApprovalTaskInput({ ...taskEvent(requestedBy), requestedByArn });
    const result = await requestApproval(deps, input);
    expect(result.notified).toEqual(['carol@example.com']);
    expect(snsMock.commandCalls(SnsPublish)[0]?.args[0].input.Message).toContain(arn);
    const link = { requestId: result.requestId, approver: APPROVER, expiresAt: NOW.getTime() / 1000 + 3600, nonce: 'n'.repeat(32) };
    const decision = await decideApproval(
      { store: table.store, sfn: new SFNClient({ region: 'us-east-1' }), now: () => NOW },
      { link, decision: 'APPROVED' },
    );
    expect(decision).toMatchObject({ kind: 'refused', reason: 'own-request', request: { requestedByArn: arn } });
    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
  });

  it('takes a caller ARN that names no address as the requester, which no approver is', () => {
    const arn = 'arn:aws:iam::111111111111:user/ci-robot';
    expect(parseApprovalTaskInput({ ...taskEvent(arn), requestedByArn: arn })).toMatchObject({ requestedBy: arn, requestedByArn: arn });
  });

  it('refuses a requestedByArn that is not a principal ARN', () => {
    expect(() => parseApprovalTaskInput({ ...taskEvent(APPROVER), requestedByArn: 'alice' })).toThrow(
      expect.objectContaining({ field: 'requestedByArn' }),
    );
  });
});
