import { escapeHtml, freeText, type HtmlPage } from './approval-page-layout';
import { countOf, deadlineWording, utcTime } from './approval-wording';
import type { PendingRequestEntry, PendingRequestList } from './approver-inbox';

export interface InboxPageInput {
  approver: string;
  list: PendingRequestList;
  /** The signed decision link of one entry, relative to the inbox. */
  decisionHref(entry: PendingRequestEntry): string;
  /** When the inbox link itself expires (epoch seconds). */
  inboxExpiresAt: number;
  now: Date;
}

/** The approver's own list of pending requests, soonest deadline first, each with its own decision link. */
export function inboxPage(input: InboxPageInput): HtmlPage {
  const { entries, truncated } = input.list;
  const intro = `<p>Requests waiting for a decision by ${freeText(input.approver)}, soonest deadline first. Each link opens the request; opening it decides nothing.</p>
<p class="muted">This list link is yours alone and works until ${escapeHtml(utcTime(new Date(input.inboxExpiresAt * 1000)))}; reload it to see new requests.</p>`;
  if (entries.length === 0) {
    return {
      statusCode: 200,
      title: 'Nothing is waiting for you',
      body: `${intro}<div class="card"><p>No request is waiting for your decision right now.</p></div>`,
    };
  }
  const rows = entries.map((entry) => inboxRow(entry, input)).join('\n');
  return {
    statusCode: 200,
    title: `${countOf(entries.length, 'request')} waiting for you`,
    body: `${intro}
<div class="card"><table>
<caption>${truncated ? `The first ${entries.length} pending requests; decide some to see the rest.` : 'Pending requests'}</caption>
<thead><tr><th scope="col">Request</th><th scope="col">Requested by</th><th scope="col">Reason</th><th scope="col">Decide by</th><th scope="col"><span class="muted">Open</span></th></tr></thead>
<tbody>
${rows}
</tbody></table></div>`,
  };
}

function inboxRow(entry: PendingRequestEntry, input: InboxPageInput): string {
  const what = entryDescription(entry);
  return `<tr><td>${what}</td><td>${freeText(entry.requestedBy ?? '')}</td><td>${entry.reason ? freeText(entry.reason) : '<span class="muted">(none)</span>'}</td><td>${escapeHtml(
    deadlineWording(entry.expiresAt, input.now),
  )}</td><td><a class="open-request" href="${escapeHtml(input.decisionHref(entry))}">Open<span class="muted"> this request</span></a></td></tr>`;
}

function entryDescription(entry: PendingRequestEntry): string {
  const from = escapeHtml(entry.sourceAwsAccount ?? '');
  const to = escapeHtml(entry.targetAwsAccount ?? '');
  const verb = entry.side === 'SOURCE' ? 'Transfer' : 'Accept';
  if (entry.migration) {
    return `${verb} ${escapeHtml(countOf(entry.migration.certificateCount, 'certificate'))} (migration <code>${escapeHtml(entry.migration.migrationId)}</code>)<br><span class="muted">${from} → ${to}</span>`;
  }
  const subject = entry.certificate?.subject;
  const id = entry.certificateId ?? entry.certificate?.certificateId ?? '';
  return `${verb} ${subject ? freeText(subject) : 'certificate'} <code>${escapeHtml(id.slice(0, 12))}…</code><br><span class="muted">${from} → ${to}</span>`;
}
