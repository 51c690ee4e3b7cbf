import type { Sandbox } from '../../local/sandbox';

/** The signed link the sandbox's SNS sink holds for one approver and one certificate. */
export function approvalLinkFor(
  sandbox: Sandbox,
  approver: string,
  certificateId: string,
  kind: 'REQUEST' | 'REMINDER' = 'REQUEST',
): string | undefined {
  const notification = sandbox.notifications
    .list()
    .filter((candidate) => candidate.attributes.approver === approver && candidate.message.includes(certificateId))
    .filter((candidate) => (kind === 'REMINDER') === /remind/i.test(candidate.subject ?? ''))
    .pop();
  return notification ? /https?:\/\/\S+\/approval\?\S+/.exec(notification.message)?.[0] : undefined;
}

/** The signed inbox link of the newest notification to one approver, once notifications carry one. */
export function inboxLinkFor(sandbox: Sandbox, approver: string): string | undefined {
  const notification = sandbox.notifications
    .list()
    .filter((candidate) => candidate.attributes.approver === approver)
    .pop();
  return notification ? /https?:\/\/\S+\/approval\/inbox\?\S+/.exec(notification.message)?.[0] : undefined;
}

export interface PageAnswer {
  status: number;
  html: string;
}

export async function openApprovalPage(link: string): Promise<PageAnswer> {
  const response = await fetch(link);
  return { status: response.status, html: await response.text() };
}

/** Submits the page's form as a browser would: the link's signed fields plus the decision. */
export async function submitDecision(link: string, decision: Record<string, string>): Promise<PageAnswer> {
  const url = new URL(link);
  const form = new URLSearchParams(url.searchParams);
  for (const [name, value] of Object.entries(decision)) form.set(name, value);
  const response = await fetch(`${url.origin}${url.pathname}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  return { status: response.status, html: await response.text() };
}
