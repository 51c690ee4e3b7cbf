import { approversWaitedFor, newestLinks, renderLinks, type SinkNotification } from '../../cli/approval-requests-view';

const ACCOUNTS = { source: '111111111111', target: '222222222222' };
const SOURCE_TOPIC = 'arn:aws:sns:us-east-1:111111111111:CertflowSource-Approvals';
const TARGET_TOPIC = 'arn:aws:sns:us-east-1:222222222222:CertflowTarget-Approvals';

function notification(topicArn: string, approver: string, requestId: string, nonce: string, publishedAt: string): SinkNotification {
  return {
    topicArn,
    attributes: { approver },
    publishedAt,
    message: `Open this link ...\nhttp://127.0.0.1:7705/abc/v1/approval?r=${requestId}&a=${encodeURIComponent(approver)}&e=1&n=${nonce}&s=sig`,
  };
}

describe('who a request waits for, and their links', () => {
  it('waits for any approver but the requester while pending, and for no one once decided', () => {
    const request = { approvers: ['A@example.com', 'b@example.com'], requestedBy: 'a@example.com ', status: 'PENDING' as const };
    expect(approversWaitedFor(request)).toEqual(['b@example.com']);
    expect(approversWaitedFor({ ...request, status: 'APPROVED' })).toEqual([]);
  });

  it("keeps each approver's newest link per request (a reminder replaces the first), and the side of the topic's account", () => {
    const links = newestLinks(
      [
        notification(SOURCE_TOPIC, 'a@example.com', 'req1', 'first', '2026-12-01T10:00:00Z'),
        notification(SOURCE_TOPIC, 'b@example.com', 'req1', 'other', '2026-12-01T10:00:01Z'),
        notification(SOURCE_TOPIC, 'a@example.com', 'req1', 'reminder', '2026-12-01T10:50:00Z'),
        notification(TARGET_TOPIC, 'c@example.com', 'req2', 'target', '2026-12-01T11:00:00Z'),
        { topicArn: SOURCE_TOPIC, attributes: {}, publishedAt: '2026-12-01T11:00:00Z', message: 'an alarm, no link' },
      ],
      ACCOUNTS,
    );
    expect(links.map((link) => [link.side, link.requestId, link.approver, new URL(link.link).searchParams.get('n')])).toEqual([
      ['source', 'req1', 'a@example.com', 'reminder'],
      ['source', 'req1', 'b@example.com', 'other'],
      ['target', 'req2', 'c@example.com', 'target'],
    ]);
  });

  it('lists each pending request with one line per approver and link', () => {
    const text = renderLinks(
      [
        {
          side: 'source',
          requestId: 'r',
          certificateId: 'c'.repeat(64),
          from: '111111111111',
          to: '222222222222',
          deadline: '2026-12-01T13:00:00.000Z',
          links: [{ approver: 'a@example.com', link: 'http://x/approval?r=r', sentAt: '' }],
        },
      ],
      new Date('2026-12-01T12:00:00Z'),
    );
    expect(text).toBe(
      `source  certificate ${'c'.repeat(64)}  111111111111 -> 222222222222  decide by 2026-12-01T13:00:00Z (in 1h)\n  a@example.com  http://x/approval?r=r`,
    );
    expect(renderLinks([])).toBe('no pending request has a link in the notifications');
  });
});
