import { migrationCounts, preparationSummary } from './approval-notification';
import { needsConsentToPrepare, type ApprovalRequestView } from './approval-request';
import type { DecisionResult } from './decide-approval';

export interface HtmlPage {
  statusCode: number;
  title: string;
  body: string;
}

/** The link's signed parameters, carried from the GET page into the POST form. */
export type LinkParameters = Record<'r' | 'a' | 'e' | 'n' | 's', string>;

export function requestPage(request: ApprovalRequestView, approver: string, link: LinkParameters, problem?: string): HtmlPage {
  const what = request.migration ? 'certificate migration' : 'certificate transfer';
  const title = request.side === 'SOURCE' ? `Approve a ${what}` : `Accept a ${what}`;
  const details = detailsTable(request);
  if (request.status !== 'PENDING') {
    return { statusCode: 200, title, body: `${details}<p class="status">${statusSentence(request)}</p>` };
  }
  const hidden = Object.entries(link)
    .map(([name, value]) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`)
    .join('');
  const consent = needsConsentToPrepare(request)
    ? `<p class="warning">Before the ${request.migration ? 'transfers' : 'transfer'} certflow will ${escapeHtml(preparationSummary(request))}.</p>
         <label><input type="checkbox" name="consentToPrepare" value="true"> I agree to these changes</label>${
           request.migration ? '<p>Without this consent, the certificates that need these changes are not transferred; the others are.</p>' : ''
         }`
    : '';
  const activate =
    request.side === 'TARGET'
      ? `<label><input type="checkbox" name="setAsActive" value="true"> Set the ${request.migration ? 'certificates' : 'certificate'} ACTIVE in this account once accepted</label>`
      : '';
  return {
    statusCode: problem ? 400 : 200,
    title,
    body: `${problem ? `<p class="problem" role="alert">${escapeHtml(problem)}</p>` : ''}
${details}
<p>You are deciding as <strong>${escapeHtml(approver)}</strong>.</p>
<form method="post" class="approve">${hidden}
  <input type="hidden" name="decision" value="APPROVED">
  ${consent}${activate}
  <button type="submit" id="approve">Approve</button>
</form>
<form method="post" class="reject">${hidden}
  <input type="hidden" name="decision" value="REJECTED">
  <label for="rejectReason">Reason (required, at most 128 characters)</label>
  <textarea id="rejectReason" name="rejectReason" maxlength="128" required></textarea>
  <button type="submit" id="reject">Reject</button>
</form>`,
  };
}

export function decisionPage(result: DecisionResult): HtmlPage {
  switch (result.kind) {
    case 'decided':
      return {
        statusCode: 200,
        title: result.request.decision === 'APPROVED' ? 'Approved' : 'Rejected',
        body: `<p class="status">${statusSentence(result.request)}</p>${detailsTable(result.request)}`,
      };
    case 'try-again':
      return { statusCode: 503, title: 'Please try again', body: '<p>The workflow could not be reached just now. Nothing was decided; your link still works.</p>' };
    case 'refused':
      return refusalPage(result.reason, result.request);
  }
}

export function refusalPage(reason: string, request?: ApprovalRequestView): HtmlPage {
  const pages: Record<string, HtmlPage> = {
    malformed: { statusCode: 400, title: 'This link is incomplete', body: '<p>Open the link exactly as it came in your notification.</p>' },
    forged: { statusCode: 403, title: 'This link is not valid', body: '<p>The link was altered or was not issued by certflow. Nothing was decided.</p>' },
    expired: { statusCode: 410, title: 'This request has expired', body: '<p>The deadline for this decision has passed. Nothing was decided.</p>' },
    'not-found': { statusCode: 404, title: 'No such request', body: '<p>certflow has no approval request for this link.</p>' },
    'not-pending': { statusCode: 409, title: 'Already decided', body: `<p>${request ? statusSentence(request) : 'This request is no longer waiting for a decision.'}</p>` },
    'own-request': { statusCode: 403, title: 'You cannot decide your own request', body: '<p>Another approver must decide a request you made.</p>' },
    'not-an-approver': { statusCode: 403, title: 'You are not an approver of this request', body: '<p>Nothing was decided.</p>' },
  };
  return pages[reason] ?? { statusCode: 400, title: 'Request refused', body: `<p>${escapeHtml(reason)}</p>` };
}

/** A full HTML document; the headers keep the signed link out of referrers, caches and frames. */
export function htmlResponse(page: HtmlPage): { statusCode: number; headers: Record<string, string>; body: string } {
  return {
    statusCode: page.statusCode,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    },
    body: `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(page.title)} - certflow</title>
<style>body{font-family:sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}th{text-align:left;padding-right:1rem}
.warning{background:#fff3cd;padding:.5rem}.problem{background:#f8d7da;padding:.5rem}form{margin:1rem 0}textarea{width:100%}</style>
</head><body><h1>${escapeHtml(page.title)}</h1>
${page.body}
</body></html>`,
  };
}

function detailsTable(request: ApprovalRequestView): string {
  const rows: Array<[string, string]> = [
    ...(request.migration ? migrationCounts(request.migration, request.side) : ([['Certificate', request.certificateId ?? '']] as Array<[string, string]>)),
    ['From account', request.sourceAwsAccount],
    ['To account', request.targetAwsAccount],
    ['Message', request.transferMessage ?? '(none)'],
    ['Requested by', request.requestedBy],
    ...(request.reason ? ([['Reason', request.reason]] as Array<[string, string]>) : []),
    ...(request.side === 'SOURCE' ? ([['Needs first', preparationSummary(request)]] as Array<[string, string]>) : []),
    ...(request.preparation.attachedThings.length > 0 ? ([['Attached things', request.preparation.attachedThings.join(', ')]] as Array<[string, string]>) : []),
    ['Decide by', new Date(request.expiresAt * 1000).toISOString()],
  ];
  const table = `<table>${rows.map(([label, value]) => `<tr><th>${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`).join('')}</table>`;
  return request.migration ? `${table}${sampleList(request.migration.sampleCertificateIds, request.migration.certificateCount)}` : table;
}

function sampleList(sampleCertificateIds: string[], certificateCount: number): string {
  if (sampleCertificateIds.length === 0) return '';
  const items = sampleCertificateIds.map((id) => `<li><code>${escapeHtml(id)}</code></li>`).join('');
  return `<p>Examples (${sampleCertificateIds.length} of ${certificateCount}):</p><ul class="samples">${items}</ul>`;
}

function statusSentence(request: ApprovalRequestView): string {
  const by = request.decidedBy ? ` by ${escapeHtml(request.decidedBy)}` : '';
  const at = request.decidedAt ? ` at ${escapeHtml(request.decidedAt)}` : '';
  switch (request.status) {
    case 'APPROVED':
      return `This request was approved${by}${at}.`;
    case 'REJECTED':
      return `This request was rejected${by}${at}: ${escapeHtml(request.rejectReason ?? '')}`;
    case 'EXPIRED':
      return 'This request expired before anyone decided it.';
    case 'CANCELLED':
      return 'This request was cancelled.';
    case 'DECIDING':
      return `A decision${by} is being recorded.`;
    case 'PENDING':
      return 'This request is waiting for a decision.';
  }
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
