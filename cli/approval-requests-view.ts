import type { ApprovalRequest } from '../lambdas/approvals/approval-request';
import { keyValueLines, timeWithRelative } from './cli-output';
import type { Side } from './cli-target';

/** One running workflow as `certflow pending` shows it. */
export interface PendingEntry {
  side: Side;
  executionArn: string;
  startDate?: string;
  certificateId?: string;
  migrationId?: string;
  certificateCount?: number;
  from?: string;
  to?: string;
  /** `waiting for approval`, or the state the workflow is in (FollowTransfer, ...). */
  state: string;
  approval?: {
    requestId: string;
    status: string;
    /** ISO time of the approval deadline. */
    deadline: string;
    requestedBy: string;
    /** The approvers who may still decide: every approver but the requester, while the request is PENDING. */
    waitingFor: string[];
    decision?: string;
    decidedBy?: string;
  };
}

const sameIdentity = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/** Who a request still waits for: one decision from any approver, and never the requester's own. */
export function approversWaitedFor(request: Pick<ApprovalRequest, 'approvers' | 'requestedBy' | 'status'>): string[] {
  if (request.status !== 'PENDING') return [];
  return request.approvers.filter((approver) => !sameIdentity(approver, request.requestedBy));
}

export function approvalOf(request: ApprovalRequest): NonNullable<PendingEntry['approval']> {
  return {
    requestId: request.requestId,
    status: request.status,
    deadline: new Date(request.expiresAt * 1000).toISOString(),
    requestedBy: request.requestedBy,
    waitingFor: approversWaitedFor(request),
    ...(request.decision ? { decision: request.decision } : {}),
    ...(request.decidedBy ? { decidedBy: request.decidedBy } : {}),
  };
}

function subjectOf(entry: Pick<PendingEntry, 'certificateId' | 'migrationId' | 'certificateCount'>): string {
  if (entry.certificateId) return `certificate ${entry.certificateId}`;
  if (entry.migrationId)
    return `migration ${entry.migrationId}${entry.certificateCount === undefined ? '' : ` (${entry.certificateCount} certificates)`}`;
  return 'transfer';
}

export function renderPending(entries: readonly PendingEntry[], now: Date = new Date()): string {
  if (entries.length === 0) return 'nothing is pending';
  return entries
    .map((entry) => {
      const approval = entry.approval;
      const rows = keyValueLines(
        [
          ['state', entry.state],
          ['deadline', approval?.status === 'PENDING' ? timeWithRelative(approval.deadline, now) : undefined],
          ['waits for', approval && approval.waitingFor.length > 0 ? `one of ${approval.waitingFor.join(', ')}` : undefined],
          ['decided', approval?.decision ? `${approval.decision} by ${approval.decidedBy ?? '?'}` : undefined],
          ['from', entry.from],
          ['to', entry.to],
          ['requested by', approval?.requestedBy],
          ['started', timeWithRelative(entry.startDate, now)],
          ['execution', entry.executionArn],
        ],
        '  ',
      );
      return `${entry.side}  ${subjectOf(entry)}\n${rows}`;
    })
    .join('\n\n');
}

/** A notification as the sandbox's SNS sink holds it. */
export interface SinkNotification {
  topicArn: string;
  subject?: string;
  message: string;
  attributes: Record<string, string>;
  publishedAt: string;
}

/** One approver's newest link to one request. */
export interface ApproverLink {
  side: Side;
  requestId: string;
  approver: string;
  link: string;
  publishedAt: string;
}

const LINK = /https?:\/\/\S+\/approval\?\S+/;

/**
 * The newest link each approver was sent for each request (a reminder's link replaces
 * the first one), with the side taken from the account of the topic it was published to.
 */
export function newestLinks(notifications: readonly SinkNotification[], accounts: Partial<Record<Side, string>>): ApproverLink[] {
  const newest = new Map<string, ApproverLink>();
  for (const notification of notifications) {
    const link = LINK.exec(notification.message)?.[0];
    if (!link) continue;
    const params = new URL(link).searchParams;
    const requestId = params.get('r');
    const approver = notification.attributes.approver ?? params.get('a');
    const account = notification.topicArn.split(':')[4];
    const side = (Object.entries(accounts) as Array<[Side, string]>).find(([, id]) => id === account)?.[0];
    if (!requestId || !approver || !side) continue;
    const key = `${side}\n${requestId}\n${approver}`;
    const earlier = newest.get(key);
    if (!earlier || earlier.publishedAt <= notification.publishedAt)
      newest.set(key, { side, requestId, approver, link, publishedAt: notification.publishedAt });
  }
  return [...newest.values()];
}

/** A pending request's links, with what the request is about. */
export interface PendingLinks {
  side: Side;
  requestId: string;
  certificateId?: string;
  migrationId?: string;
  certificateCount?: number;
  to: string;
  from: string;
  deadline: string;
  links: Array<{ approver: string; link: string; sentAt: string }>;
}

export function renderLinks(requests: readonly PendingLinks[], now: Date = new Date()): string {
  if (requests.length === 0) return 'no pending request has a link in the notifications';
  return requests
    .map((request) => {
      const heading = `${request.side}  ${subjectOf(request)}  ${request.from} -> ${request.to}  decide by ${timeWithRelative(request.deadline, now) ?? ''}`;
      return [
        heading,
        keyValueLines(
          request.links.map((link) => [link.approver, link.link]),
          '  ',
        ),
      ].join('\n');
    })
    .join('\n\n');
}
