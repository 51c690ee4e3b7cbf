import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { NotificationSink } from '../../../local/notifications/notification-sink';
import { startSnsEndpoint, type SnsEndpoint } from '../../../local/notifications/sns-endpoint';

const TOPIC = 'arn:aws:sns:us-east-1:111111111111:approvers';
const dataDir = mkdtempSync(path.join(tmpdir(), 'certflow-sns-'));
let endpoint: SnsEndpoint;

beforeAll(async () => {
  const sink = new NotificationSink({ dataDir });
  sink.registerTopic(TOPIC);
  endpoint = await startSnsEndpoint(sink);
});
afterAll(async () => {
  await endpoint.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function post(form: Record<string, string>): Promise<Response> {
  return fetch(endpoint.url, {
    method: 'POST',
    body: new URLSearchParams(form),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}

describe('local SNS endpoint', () => {
  it('answers Publish with a MessageId and keeps the message for readers, also after a restart', async () => {
    const response = await post({
      Action: 'Publish',
      Version: '2010-03-31',
      TopicArn: TOPIC,
      Subject: 'Approve',
      Message: 'please approve',
    });
    expect(response.status).toBe(200);
    const xml = await response.text();
    const messageId = /<MessageId>([^<]+)<\/MessageId>/.exec(xml)?.[1];
    expect(messageId).toMatch(/^[0-9a-f-]{36}$/);

    const listed = (await (await fetch(`${endpoint.url}/_certflow/notifications?topicArn=${encodeURIComponent(TOPIC)}`)).json()) as {
      notifications: Array<{ messageId: string; message: string; subject: string }>;
    };
    expect(listed.notifications).toEqual([
      expect.objectContaining({ messageId, message: 'please approve', subject: 'Approve', topicArn: TOPIC }),
    ]);
    expect(new NotificationSink({ dataDir }).list()).toEqual([expect.objectContaining({ messageId })]);
  });

  it('keeps the string message attributes a subscription filter policy matches on', async () => {
    const client = new SNSClient({
      region: 'us-east-1',
      endpoint: endpoint.url,
      credentials: { accessKeyId: 'AKIA111111111111LOCL', secretAccessKey: 'x' },
    });
    try {
      const published = await client.send(
        new PublishCommand({
          TopicArn: TOPIC,
          Message: 'for bob',
          MessageAttributes: { approver: { DataType: 'String', StringValue: 'bob@example.com' } },
        }),
      );
      expect(new NotificationSink({ dataDir }).list()).toContainEqual(
        expect.objectContaining({ messageId: published.MessageId, attributes: { approver: 'bob@example.com' } }),
      );
    } finally {
      client.destroy();
    }
  });

  it('answers NotFound (404) for a topic that does not exist', async () => {
    const response = await post({ Action: 'Publish', TopicArn: `${TOPIC}-missing`, Message: 'x' });
    expect(response.status).toBe(404);
    expect(await response.text()).toContain('<Code>NotFound</Code>');
  });

  it('answers InvalidParameter (400) for an empty message', async () => {
    const response = await post({ Action: 'Publish', TopicArn: TOPIC, Message: '' });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('<Code>InvalidParameter</Code>');
  });

  it('lists its topics', async () => {
    const xml = await (await post({ Action: 'ListTopics' })).text();
    expect(xml).toContain(`<TopicArn>${TOPIC}</TopicArn>`);
  });
});
