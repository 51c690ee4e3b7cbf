import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenLocally } from '../aws-protocol/local-server';
import { readRequestBody } from '../aws-protocol/request-body';
import { escapeXml } from '../aws-protocol/xml-text';
import { SnsError, type NotificationSink } from './notification-sink';

const SNS_NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';

export interface SnsEndpoint {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * A local Amazon SNS endpoint (Query protocol: form-encoded POST, XML answers) for
 * Publish and ListTopics, so `aws sns publish --endpoint-url` reaches the sink; plus
 * `GET /_certflow/notifications[?topicArn=]` with the sink's messages as JSON.
 */
export async function startSnsEndpoint(sink: NotificationSink, options: { host?: string; port?: number } = {}): Promise<SnsEndpoint> {
  const server = createServer((request, response) => {
    handle(sink, request, response).catch((error: unknown) => {
      answerError(response, new SnsError('InvalidAction', error instanceof Error ? error.message : String(error), 500));
    });
  });
  return listenLocally(server, options);
}

async function handle(sink: NotificationSink, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  if (request.method === 'GET' && url.pathname === '/_certflow/notifications') {
    const topicArn = url.searchParams.get('topicArn') ?? undefined;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ notifications: sink.list({ topicArn }) }));
    return;
  }
  if (request.method !== 'POST') {
    answerError(response, new SnsError('InvalidAction', `${request.method} ${url.pathname} is not an SNS action`, 400));
    return;
  }
  const form = new URLSearchParams(await readRequestBody(request));
  const action = form.get('Action');
  try {
    if (action === 'Publish') {
      const notification = sink.publish({
        topicArn: form.get('TopicArn') ?? form.get('TargetArn') ?? undefined,
        message: form.get('Message') ?? undefined,
        subject: form.get('Subject') ?? undefined,
        attributes: messageAttributes(form),
      });
      answer(response, 'Publish', `<MessageId>${notification.messageId}</MessageId>`);
    } else if (action === 'ListTopics') {
      const members = sink
        .topicArns()
        .map((arn) => `<member><TopicArn>${escapeXml(arn)}</TopicArn></member>`)
        .join('');
      answer(response, 'ListTopics', `<Topics>${members}</Topics>`);
    } else {
      throw new SnsError('InvalidAction', `The action ${action ?? '(none)'} is not valid for this endpoint.`, 400);
    }
  } catch (error) {
    if (error instanceof SnsError) answerError(response, error);
    else throw error;
  }
}

/** Query-protocol attributes: MessageAttributes.entry.N.Name / .Value.StringValue. */
function messageAttributes(form: URLSearchParams): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (let index = 1; form.has(`MessageAttributes.entry.${index}.Name`); index += 1) {
    const name = form.get(`MessageAttributes.entry.${index}.Name`) ?? '';
    const value = form.get(`MessageAttributes.entry.${index}.Value.StringValue`);
    if (name && value !== null) attributes[name] = value;
  }
  return attributes;
}

function answer(response: ServerResponse, action: string, result: string): void {
  response.writeHead(200, { 'content-type': 'text/xml' });
  response.end(
    `<${action}Response xmlns="${SNS_NAMESPACE}"><${action}Result>${result}</${action}Result>` +
      `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
  );
}

function answerError(response: ServerResponse, error: SnsError): void {
  response.writeHead(error.status, { 'content-type': 'text/xml' });
  response.end(
    `<ErrorResponse xmlns="${SNS_NAMESPACE}"><Error><Type>Sender</Type><Code>${error.code}</Code>` +
      `<Message>${escapeXml(error.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  );
}
