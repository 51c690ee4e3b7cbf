import { randomBytes } from 'node:crypto';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ApprovalLinkSigner } from '../../../lambdas/approvals/approval-link-signer';
import { approvalRequestId } from '../../../lambdas/approvals/approval-request';
import {
  parseApprovalTaskInput,
  requestApproval,
  sendDueReminders,
  type ApprovalTaskInput,
  type RequestApprovalDeps,
} from '../../../lambdas/approvals/request-approval';
import { approvalTableFixture, type ApprovalTableFixture, decisionClaim, staleBefore } from './approval-table-fixture';

const snsMock = mockClient(SNSClient);
const TOPIC = 'arn:aws:sns:us-east-1:111111111111:source-approvers';
const PAGE = 'https://approvals.example.com/prod/approval';
const signer = new ApprovalLinkSigner(randomBytes(32));
let now = new Date('2026-11-24T10:00:00Z');
let table: ApprovalTableFixture;
let deps: RequestApprovalDeps;
let counter = 0;

beforeAll(async () => {
  table = await approvalTableFixture();
  deps = {
    store: table.store,
    sns: new SNSClient({ region: 'us-east-1' }),
    signer,
    topicArn: TOPIC,
    approvers: ['bob@example.com', 'alice@example.com', 'carol@example.com'],
    approvalPageUrl: PAGE,
    reminderLeadSeconds: 3600,
    now: () => now,
  };
});
afterAll(() => table.close());
beforeEach(() => {
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ $metadata: {}, MessageId: 'm-1' });
  now = new Date('2026-11-24T10:00:00Z');
});

function taskInput(change: Partial<ApprovalTaskInput> = {}): ApprovalTaskInput {
  counter += 1;
  return {
    taskToken: `token-${counter}`,
    executionId: `arn:aws:states:us-east-1:111111111111:execution:Outbound:run-${counter}`,
    side: 'SOURCE',
    certificateId: 'c'.repeat(64),
    sourceAwsAccount: '111111111111',
    targetAwsAccount: '222222222222',
    transferMessage: 'fleet move',
    requestedBy: 'alice@example.com',
    reason: 'EU data residency',
    preparation: { deactivate: true, detachPolicies: ['device-policy'], attachedThings: ['sensor-1'] },
    deadlineSeconds: 86400,
    ...change,
  };
}

function publishedTo(): Array<{ approver: string | undefined; link: string; subject: string | undefined; message: string }> {
  return snsMock.commandCalls(PublishCommand).map((call) => {
    const input = call.args[0].input;
    return {
      approver: input.MessageAttributes?.approver?.StringValue,
      link: /https:\S+/.exec(input.Message ?? '')?.[0] ?? '',
      subject: input.Subject,
      message: input.Message ?? '',
    };
  });
}

describe('requestApproval', () => {
  it('stores the request with the task token and notifies each approver but the requester with a link of their own', async () => {
    const input = taskInput();
    const result = await requestApproval(deps, input);

    expect(result.notified).toEqual(['bob@example.com', 'carol@example.com']);
    const stored = await deps.store.get(result.requestId);
    expect(stored).toMatchObject({
      status: 'PENDING',
      taskToken: input.taskToken,
      expiresAt: now.getTime() / 1000 + 86400,
      remindAt: '2026-11-25T09:00:00.000Z',
      reminderDue: 'DUE',
      notifiedAt: now.toISOString(),
      approvers: ['bob@example.com', 'carol@example.com'],
    });
    const messages = publishedTo();
    expect(messages.map((m) => m.approver)).toEqual(['bob@example.com', 'carol@example.com']);
    for (const message of messages) {
      expect(message.link.startsWith(`${PAGE}?`)).toBe(true);
      const verified = signer.verify(new URL(message.link).searchParams, now);
      expect(verified).toMatchObject({ valid: true, claims: { requestId: result.requestId, approver: message.approver } });
      expect(message.link).not.toContain(input.taskToken);
      expect(message.message).not.toContain(input.taskToken);
      expect(message.message).toContain('set the certificate INACTIVE (devices using it will disconnect); detach policies device-policy');
      expect(message.subject).toBe(`certflow: approve transfer certificate ${'c'.repeat(12)}... to 222222222222`);
    }
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, { TopicArn: TOPIC });
  });

  it('notifies only the approvers still owed a notification when a step is retried after a failed publish', async () => {
    snsMock.on(PublishCommand).resolvesOnce({ MessageId: 'm-1' }).rejectsOnce(new Error('SNS unavailable')).resolves({ MessageId: 'm-3' });
    const input = taskInput();
    await expect(requestApproval(deps, input)).rejects.toThrow('SNS unavailable');
    const retried = await requestApproval(deps, input);
    expect(retried.notified).toEqual(['carol@example.com']);
    expect(publishedTo().map((m) => m.approver)).toEqual(['bob@example.com', 'carol@example.com', 'carol@example.com']);
    expect((await deps.store.get(retried.requestId))?.notifiedAt).toBe(now.toISOString());
    expect(await requestApproval(deps, input)).toMatchObject({ notified: [] });
  });

  it('does not fail when an approver decides before the step has recorded that everyone was notified', async () => {
    const input = taskInput();
    snsMock.on(PublishCommand).callsFake(async () => {
      // The first approver decides as soon as their link arrives.
      const requestId = approvalRequestId(input.executionId, 'SOURCE');
      const stored = await deps.store.get(requestId);
      if (stored?.status === 'PENDING') await deps.store.claimDecision(requestId, decisionClaim(now), staleBefore(now));
      return { MessageId: 'm' };
    });
    await expect(requestApproval(deps, input)).resolves.toMatchObject({ notified: ['bob@example.com', 'carol@example.com'] });
  });

  it('does not notify twice when the step is retried with the same token', async () => {
    const input = taskInput();
    await requestApproval(deps, input);
    snsMock.resetHistory();
    const again = await requestApproval(deps, input);
    expect(again.notified).toEqual([]);
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 0);
  });

  it('answers the new task token when the approval state itself is retried', async () => {
    const input = taskInput();
    const first = await requestApproval(deps, input);
    await requestApproval(deps, { ...input, taskToken: 'token-after-retry' });
    expect(await deps.store.get(first.requestId)).toMatchObject({ taskToken: 'token-after-retry' });
  });

  it('refuses a request whose only approver is the requester', async () => {
    await expect(requestApproval({ ...deps, approvers: ['alice@example.com'] }, taskInput())).rejects.toMatchObject({
      name: 'ValidationError',
      field: 'approvers',
    });
  });

  it('sets no reminder when the deadline is shorter than the reminder lead', async () => {
    const result = await requestApproval(deps, taskInput({ deadlineSeconds: 1800 }));
    expect(await deps.store.get(result.requestId)).not.toHaveProperty('remindAt');
  });
});

describe('sendDueReminders', () => {
  it('reminds the approvers of pending requests once their reminder is due, once', async () => {
    const pending = await requestApproval(deps, taskInput());
    snsMock.resetHistory();

    expect(await sendDueReminders(deps)).toEqual({ reminded: [] });
    now = new Date('2026-11-25T09:00:01Z');
    const { reminded } = await sendDueReminders(deps);
    expect(reminded).toContain(pending.requestId);
    expect(publishedTo().filter((m) => m.subject?.startsWith('Reminder: '))).toHaveLength(2 * reminded.length);
    snsMock.resetHistory();
    expect(await sendDueReminders(deps)).toEqual({ reminded: [] });
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 0);
  });
});

describe('parseApprovalTaskInput', () => {
  const valid = { ...taskInput(), preparation: { deactivate: false, detachPolicies: [], attachedThings: [] } };

  it('accepts a complete task input', () => {
    expect(parseApprovalTaskInput(valid)).toEqual(valid);
  });

  it.each([
    [{ taskToken: '' }, 'taskToken: is required and must be a non-empty string'],
    [{ side: 'BOTH' }, 'side: must be SOURCE or TARGET'],
    [{ deadlineSeconds: 10 }, 'deadlineSeconds: must be a whole number of seconds, at least 60'],
    [{ certificateId: 'xyz' }, 'certificateId: must be exactly 64 characters long (got 3)'],
    [{ targetAwsAccount: '12' }, 'targetAwsAccount: must be exactly 12 digits'],
    [{ transferMessage: 'm'.repeat(129) }, 'transferMessage: must be at most 128 characters long (got 129)'],
    [{ preparation: { detachPolicies: 'p' } }, 'preparation.detachPolicies: must be a list of names'],
  ])('refuses %o', (change, message) => {
    expect(() => parseApprovalTaskInput({ ...valid, ...change })).toThrow(message);
  });
});
