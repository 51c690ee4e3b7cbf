import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

export interface Notification {
  messageId: string;
  topicArn: string;
  subject?: string;
  message: string;
  /** String message attributes; subscription filter policies match on these (e.g. `approver`). */
  attributes: Record<string, string>;
  publishedAt: string;
}

/** Error codes as Amazon SNS names them. */
export class SnsError extends Error {
  constructor(
    readonly code: 'NotFound' | 'InvalidParameter' | 'InvalidAction',
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = code;
  }
}

const MESSAGE_MAX_BYTES = 256 * 1024;
const SUBJECT_MAX_LENGTH = 100;

/**
 * Where the sandbox's SNS publishes land instead of e-mail: kept in order, appended to
 * a JSON-lines file when a data folder is given, readable by the approval page and CLI.
 */
export class NotificationSink {
  private readonly topics = new Set<string>();
  private readonly notifications: Notification[] = [];
  private readonly file?: string;

  constructor(options: { dataDir?: string } = {}) {
    if (options.dataDir) {
      mkdirSync(options.dataDir, { recursive: true });
      this.file = path.join(options.dataDir, 'notifications.jsonl');
      if (existsSync(this.file)) {
        for (const line of readFileSync(this.file, 'utf8').split('\n')) {
          if (line.trim()) this.notifications.push(JSON.parse(line) as Notification);
        }
      }
    }
  }

  registerTopic(topicArn: string): void {
    this.topics.add(topicArn);
  }

  topicArns(): string[] {
    return [...this.topics].sort();
  }

  publish(input: { topicArn?: string; message?: string; subject?: string; attributes?: Record<string, string> }): Notification {
    if (!input.topicArn) throw new SnsError('InvalidParameter', 'Invalid parameter: TopicArn is required', 400);
    if (!this.topics.has(input.topicArn)) throw new SnsError('NotFound', 'Topic does not exist', 404);
    if (input.message === undefined || input.message.length === 0) {
      throw new SnsError('InvalidParameter', 'Invalid parameter: Empty message', 400);
    }
    if (Buffer.byteLength(input.message) > MESSAGE_MAX_BYTES) {
      throw new SnsError('InvalidParameter', 'Invalid parameter: Message too long', 400);
    }
    if (input.subject !== undefined && (input.subject.length > SUBJECT_MAX_LENGTH || !/^[\x20-\x7e]*$/.test(input.subject))) {
      throw new SnsError('InvalidParameter', 'Invalid parameter: Subject must be at most 100 printable ASCII characters', 400);
    }
    const notification: Notification = {
      messageId: randomUUID(),
      topicArn: input.topicArn,
      subject: input.subject,
      message: input.message,
      attributes: input.attributes ?? {},
      publishedAt: new Date().toISOString(),
    };
    this.notifications.push(notification);
    if (this.file) appendFileSync(this.file, `${JSON.stringify(notification)}\n`);
    return notification;
  }

  list(filter: { topicArn?: string } = {}): Notification[] {
    return this.notifications.filter((notification) => !filter.topicArn || notification.topicArn === filter.topicArn);
  }
}
