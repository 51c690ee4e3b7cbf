import type { NotificationSink } from './notifications/notification-sink';

export interface ApproverDecision {
  decision: 'APPROVED' | 'REJECTED';
  consentToPrepare?: boolean;
  setAsActive?: boolean;
  rejectReason?: string;
}

/** The signed approval links the sandbox's SNS sink holds whose message mentions `text`, newest last. */
export function approvalLinksMentioning(
  notifications: NotificationSink,
  text: string,
): Array<{ link: string; approver: string; subject: string }> {
  return notifications
    .list()
    .filter((notification) => notification.message.includes(text) && !/remind/i.test(notification.subject ?? ''))
    .flatMap((notification) => {
      const link = /https?:\/\/\S+\/approval\?\S+/.exec(notification.message)?.[0];
      return link ? [{ link, approver: notification.attributes.approver ?? '', subject: notification.subject ?? '' }] : [];
    });
}

/** Submits an approval page's form as a browser would: the link's signed fields plus the decision. */
export async function submitApproval(link: string, decision: ApproverDecision): Promise<{ status: number; html: string }> {
  const url = new URL(link);
  const form = new URLSearchParams(url.searchParams);
  form.set('decision', decision.decision);
  if (decision.consentToPrepare) form.set('consentToPrepare', 'true');
  if (decision.setAsActive) form.set('setAsActive', 'true');
  if (decision.rejectReason) form.set('rejectReason', decision.rejectReason);
  const response = await fetch(`${url.origin}${url.pathname}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  return { status: response.status, html: await response.text() };
}

/**
 * Plays the approvers of a migration in the sandbox: answers every approval request
 * whose notification names the migration, once, with the decision chosen for its side.
 * For benchmarks and end-to-end tests; people use the page.
 */
export function approveMigrationRequests(
  notifications: NotificationSink,
  migrationId: string,
  /** The decision for a request, by its notification's subject; undefined leaves it unanswered. */
  decide: (subject: string) => ApproverDecision | undefined,
  options: { pollMs?: number } = {},
): { stop(): void; answered: string[] } {
  const answered: string[] = [];
  const seen = new Set<string>();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      for (const { link, subject } of approvalLinksMentioning(notifications, migrationId)) {
        const requestId = new URL(link).searchParams.get('r') ?? link;
        if (seen.has(requestId)) continue;
        const decision = decide(subject);
        if (!decision) {
          seen.add(requestId);
          continue;
        }
        // Marked answered only once the page took the decision: a failed submission is tried again on the next poll.
        const { status } = await submitApproval(link, decision);
        if (status === 200) {
          seen.add(requestId);
          answered.push(subject);
        }
      }
    })()
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, options.pollMs ?? 200);
  return { stop: () => clearInterval(timer), answered };
}
