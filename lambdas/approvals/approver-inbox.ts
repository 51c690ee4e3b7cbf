import { QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { ApprovalLinkSigner } from './approval-link-signer';
import type { ApprovalRequestView } from './approval-request';

/**
 * The index the inbox lists from: every request by its status, soonest deadline first.
 * `status` is on every item, so the index needs no attribute kept in step with it, and a
 * Query on `status = PENDING` reads only the pending requests, never the decided ones.
 */
export const PENDING_INDEX = 'requestsByStatus';
export const PENDING_INDEX_PARTITION_KEY = 'status';
/** A number attribute: epoch seconds. */
export const PENDING_INDEX_SORT_KEY = 'expiresAt';
/**
 * The attributes the index projects besides its keys and the table's key: what an inbox
 * row shows. The task token is not among them, so the index never holds one.
 */
export const PENDING_INDEX_PROJECTED_ATTRIBUTES = [
  'side',
  'executionId',
  'certificateId',
  'certificate',
  'migration',
  'sourceAwsAccount',
  'targetAwsAccount',
  'requestedBy',
  'reason',
  'transferMessage',
  'approvers',
  'createdAt',
] as const;

/** The path of the inbox below the approval page's path. */
export const INBOX_PATH_SUFFIX = '/inbox';

/** What the inbox knows of a pending request: the projected attributes. */
export type PendingRequestEntry = Pick<
  ApprovalRequestView,
  | 'requestId'
  | 'status'
  | 'expiresAt'
  | 'side'
  | 'executionId'
  | 'certificateId'
  | 'certificate'
  | 'migration'
  | 'sourceAwsAccount'
  | 'targetAwsAccount'
  | 'requestedBy'
  | 'reason'
  | 'transferMessage'
  | 'approvers'
  | 'createdAt'
>;

export interface PendingRequestList {
  entries: PendingRequestEntry[];
  /** More requests are pending for this approver than the list holds. */
  truncated: boolean;
}

/** Thrown when the table has no status index yet (a deployment older than the inbox). */
export class ApproverInboxUnavailable extends Error {
  override readonly name = 'ApproverInboxUnavailable';

  constructor(options: { cause: unknown }) {
    super(`the approval table has no ${PENDING_INDEX} index`, options);
  }
}

/** At most this many rows in one inbox: enough for a person, bounded for the page function. */
export const INBOX_MAX_ENTRIES = 100;

/** The pending requests one approver may decide, read from the status index; no Scan. */
export class ApproverInbox {
  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async pendingFor(approver: string, now: Date, limit = INBOX_MAX_ENTRIES): Promise<PendingRequestList> {
    const entries: PendingRequestEntry[] = [];
    let exclusiveStartKey: QueryCommand['input']['ExclusiveStartKey'];
    do {
      const page = await this.query(now, exclusiveStartKey);
      for (const item of page.Items ?? []) {
        const entry = unmarshall(item) as PendingRequestEntry;
        if (!mayDecide(entry, approver)) continue;
        if (entries.length === limit) return { entries, truncated: true };
        entries.push(entry);
      }
      exclusiveStartKey = page.LastEvaluatedKey;
    } while (exclusiveStartKey);
    return { entries, truncated: false };
  }

  private async query(now: Date, exclusiveStartKey: QueryCommand['input']['ExclusiveStartKey']) {
    try {
      return await this.dynamodb.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: PENDING_INDEX,
          KeyConditionExpression: '#status = :pending AND #expiresAt > :now',
          ExpressionAttributeNames: { '#status': PENDING_INDEX_PARTITION_KEY, '#expiresAt': PENDING_INDEX_SORT_KEY },
          ExpressionAttributeValues: marshall({ ':pending': 'PENDING', ':now': Math.floor(now.getTime() / 1000) }),
          ExclusiveStartKey: exclusiveStartKey,
        }),
      );
    } catch (error) {
      // DynamoDB answers a missing index with a ValidationException naming it.
      if (error instanceof Error && error.name === 'ValidationException' && /index/i.test(error.message)) {
        throw new ApproverInboxUnavailable({ cause: error });
      }
      throw error;
    }
  }
}

/** Listed as an approver, and not the requester: who `decideApproval` lets decide. */
function mayDecide(entry: PendingRequestEntry, approver: string): boolean {
  const listed = Array.isArray(entry.approvers) ? entry.approvers : [];
  return listed.some((candidate) => sameIdentity(candidate, approver)) && !sameIdentity(entry.requestedBy ?? '', approver);
}

function sameIdentity(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/**
 * The signed inbox link that goes with a notification: `{approvalPageUrl}/inbox?k=inbox&a&e&n&s`.
 * It expires with the request it came with, so it opens no longer window than that request's link.
 */
export function approverInboxLink(signer: ApprovalLinkSigner, approvalPageUrl: string, approver: string, expiresAt: number): string {
  const params = signer.signInbox({ approver, expiresAt, nonce: ApprovalLinkSigner.newNonce() });
  return `${approvalPageUrl}${INBOX_PATH_SUFFIX}?${params.toString()}`;
}
