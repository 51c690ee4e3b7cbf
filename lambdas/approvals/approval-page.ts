import type { CertificateFacts, LandingPlan } from '../cutover/certificate-facts';
import { migrationCounts, preparationSummary, statusCountsText } from './approval-notification';
import { escapeHtml, factList, factTable, freeText, type FactRow, type HtmlPage } from './approval-page-layout';
import { needsConsentToPrepare, needsPreparation, type ApprovalRequestView, type MigrationSummary } from './approval-request';
import { countOf, deadlineWording, timeWording, utcTime, validityWording } from './approval-wording';
import type { DecisionResult } from './decide-approval';

export { escapeHtml, htmlResponse, type HtmlPage } from './approval-page-layout';

/** The link's signed parameters, carried from the GET page into the POST form. */
export type LinkParameters = Record<'r' | 'a' | 'e' | 'n' | 's', string>;

/** The page's path under the API's stage: `/approval`. */
export const PAGE_PATH_SUFFIX = '/approval';
/** A migration's full certificate list as CSV, below the page: `/approval/certificates.csv`. */
export const CERTIFICATE_LIST_PATH_SUFFIX = '/certificates.csv';

export interface PageContext {
  now: Date;
  /** Who approvers should turn to when a link fails (a team address); a generic wording otherwise. */
  contact?: string;
}

/** A pending request shows a compact summary beside the decision, details below; a settled one its outcome and what follows. */
export function requestPage(
  request: ApprovalRequestView,
  approver: string,
  link: LinkParameters,
  context: PageContext & { problem?: string },
): HtmlPage {
  const title = requestTitle(request);
  const listHref = certificateListHref(request, link);
  if (request.status !== 'PENDING') {
    return { statusCode: 200, title, body: `${outcomeSection(request)}${details(request, context.now, listHref)}` };
  }
  return {
    statusCode: context.problem ? 400 : 200,
    title,
    body: `${context.problem ? `<p class="problem" role="alert">${escapeHtml(context.problem)}</p>` : ''}
<div class="top">
${summarySection(request, context.now)}
${decisionSection(request, approver, link, context.now)}
</div>
${details(request, context.now, listHref)}`,
  };
}

/**
 * The CSV of a migration's certificates behind the same signed link. Relative to the page
 * (`…/approval`): `approval/certificates.csv` is beside it, whatever the stage or base path.
 */
function certificateListHref(request: ApprovalRequestView, link: LinkParameters): string | undefined {
  if (!request.migration?.certificateListKey) return undefined;
  return `${PAGE_PATH_SUFFIX.slice(1)}${CERTIFICATE_LIST_PATH_SUFFIX}?${new URLSearchParams(link).toString()}`;
}

export function decisionPage(result: DecisionResult, context: PageContext): HtmlPage {
  switch (result.kind) {
    case 'decided':
      return {
        statusCode: 200,
        title: result.request.decision === 'APPROVED' ? 'Approved' : 'Rejected',
        body: `${outcomeSection(result.request)}${details(result.request, context.now)}`,
      };
    case 'try-again':
      return serviceUnavailablePage('The workflow could not be told of your decision just now.');
    case 'refused':
      return refusalPage(result.reason, { ...context, request: result.request });
  }
}

/** Every way a link or a decision is refused, each with what the approver can do next. */
/** `request`: the request behind the link, when it may be shown; `expiredAt`: the expiry of a link refused as expired (epoch seconds). */
export type RefusalContext = PageContext & { request?: ApprovalRequestView; expiredAt?: number };

export function refusalPage(reason: string, context: RefusalContext): HtmlPage {
  const page = refusalContent(reason, context);
  const [advice, ...rest] = page.body.split(DETAILS_MARK);
  return { ...page, body: `<div class="card refusal" role="alert">${advice ?? ''}</div>${rest.join('')}` };
}

/** Where a refusal's advice ends and the request's details begin. */
const DETAILS_MARK = '<!--details-->';

function refusalContent(reason: string, context: RefusalContext): HtmlPage {
  const { request } = context;
  const contact = contactWording(context.contact);
  const nothing = '<p><strong>Nothing was decided.</strong></p>';
  switch (reason) {
    case 'malformed':
      return {
        statusCode: 400,
        title: 'This link is incomplete',
        body: `${nothing}<p>Open the link exactly as it came in your notification. Some mail programs break a long link over two lines: copy the whole address into the browser.</p>`,
      };
    case 'forged':
      return {
        statusCode: 403,
        title: 'This link is not valid',
        body: `${nothing}<p>The link was altered, or it was not issued by this certflow deployment (a link for the other account's approvers, for example).</p>
<p>Open the link from your latest certflow notification without changing it. If it still fails, ${contact}.</p>`,
      };
    case 'expired':
      return {
        statusCode: 410,
        title: 'This request has expired',
        body: `${nothing}<p>The deadline for this decision has passed${context.expiredAt ? ` (${escapeHtml(utcTime(new Date(context.expiredAt * 1000)))})` : ''}, so the link no longer works.</p>
<p>To go ahead, ${request ? `ask the requester, ${freeText(request.requestedBy)},` : 'ask the requester'} to request it again: a new request sends you a new link. For questions, ${contact}.</p>
${request ? `${DETAILS_MARK}${details(request, context.now)}` : ''}`,
      };
    case 'not-found':
      return {
        statusCode: 404,
        title: 'No such request',
        body: `${nothing}<p>certflow has no approval request for this link. It may belong to another certflow deployment or account, or the request was removed.</p>
<p>Ask the requester for a new request, or ${contact}.</p>`,
      };
    case 'not-pending':
      return {
        statusCode: 409,
        title: 'Already decided',
        body: request
          ? `<p>Each request is decided once, by whichever approver decides first.</p>${DETAILS_MARK}${outcomeSection(request)}${details(request, context.now)}`
          : '<p>This request is no longer waiting for a decision. Each request is decided once, by whichever approver decides first.</p>',
      };
    case 'own-request':
      return {
        statusCode: 403,
        title: 'You cannot decide your own request',
        body: `${nothing}<p>Another approver must decide a request you made. The other approvers were notified with links of their own.</p>`,
      };
    case 'not-an-approver':
      return {
        statusCode: 403,
        title: 'You are not an approver of this request',
        body: `${nothing}<p>This link's address is not (or no longer) among the request's approvers. If you should be one, ${contact}.</p>`,
      };
    case 'wrong-kind':
      return {
        statusCode: 400,
        title: 'This link is of another kind',
        body: `${nothing}<p>An inbox link lists the requests waiting for you and a request link decides one; neither works in place of the other. Open the link as it came in your notification.</p>`,
      };
    default:
      return { statusCode: 400, title: 'Request refused', body: `${nothing}<p>${escapeHtml(reason)}</p>` };
  }
}

export function serviceUnavailablePage(what = 'certflow could not reach its services just now.'): HtmlPage {
  return {
    statusCode: 503,
    title: 'Please try again',
    body: `<p><strong>Nothing was decided.</strong> ${escapeHtml(what)}</p><p>Your link still works: open it again in a minute. If this keeps happening, tell the team that runs certflow for this AWS account.</p>`,
  };
}

function contactWording(contact: string | undefined): string {
  return contact ? `contact ${freeText(contact)}` : 'forward the notification to the team that runs certflow for this AWS account';
}

function requestTitle(request: ApprovalRequestView): string {
  const what = request.migration ? 'certificate migration' : 'certificate transfer';
  return request.side === 'SOURCE' ? `Approve a ${what}` : `Accept a ${what}`;
}

function summarySection(request: ApprovalRequestView, now: Date): string {
  const rows: FactRow[] = request.migration ? migrationSummaryRows(request.migration, request) : certificateSummaryRows(request, now);
  rows.push(...requesterRows(request));
  return `<section class="card" aria-labelledby="summary-heading">
<h2 id="summary-heading">What you are asked</h2>
<p class="lead">${askedSentence(request)}</p>
${factList(rows)}
</section>`;
}

function askedSentence(request: ApprovalRequestView): string {
  const from = `account <span class="mono">${escapeHtml(request.sourceAwsAccount)}</span>`;
  const toAccount = `<span class="mono">${escapeHtml(request.targetAwsAccount)}</span>`;
  const to = `account ${toAccount}`;
  if (request.migration) {
    const certificates = escapeHtml(countOf(request.migration.certificateCount, 'AWS IoT certificate'));
    return request.side === 'SOURCE'
      ? `Move ${certificates} from ${from} to ${to}.`
      : `Accept ${certificates} that ${from} offers to this account, ${toAccount}.`;
  }
  return request.side === 'SOURCE'
    ? `Transfer one AWS IoT certificate from ${from} to ${to}.`
    : `Accept one AWS IoT certificate that ${from} offers to this account, ${toAccount}.`;
}

function certificateSummaryRows(request: ApprovalRequestView, now: Date): FactRow[] {
  const facts = request.certificate;
  const id = `<code>${escapeHtml(request.certificateId ?? facts?.certificateId ?? '')}</code>`;
  if (!facts) return [['Certificate', id]];
  const validity = validityWording(facts.validFrom, facts.validTo, now);
  const deactivate =
    request.side === 'SOURCE' && request.preparation.deactivate
      ? ' <strong>(will be set INACTIVE first: its devices disconnect)</strong>'
      : '';
  return [
    ['Subject', facts.subject ? freeText(facts.subject) : '(not known)'],
    ['Certificate', id],
    ['Status', `${escapeHtml(facts.status)}${deactivate}`],
    ...(validity ? ([['Valid', escapeHtml(validity)]] as FactRow[]) : []),
    ['Issuer', facts.issuer ? freeText(facts.issuer) : '(not known)'],
    [
      'Attached to',
      escapeHtml(
        `${countOf(facts.things.length, 'thing')}, ${facts.policies.length === 1 ? '1 policy' : `${facts.policies.length} policies`}`,
      ),
    ],
  ];
}

function migrationSummaryRows(migration: MigrationSummary, request: ApprovalRequestView): FactRow[] {
  const rows: FactRow[] = [
    ['Migration', `<code>${escapeHtml(migration.migrationId)}</code>`],
    ['Certificates', escapeHtml(String(migration.certificateCount))],
  ];
  if (request.side === 'SOURCE') {
    rows.push(
      ['By status', escapeHtml(statusCountsText(migration.statusCounts))],
      ['To deactivate', escapeHtml(`${migration.toDeactivate} (their devices disconnect)`)],
      ['With policies', escapeHtml(`${migration.withPolicies} (detached first)`)],
      ['Will fail', escapeHtml(String(migration.notTransferable))],
    );
  } else {
    rows.push(['Not offered', escapeHtml(String(migration.notTransferable))]);
  }
  rows.push(['Already done', escapeHtml(`${migration.alreadyDone} (skipped)`)]);
  return rows;
}

/** The AWS identity the start API verified, when `requestedBy` is the e-mail derived from it. */
function requesterArnRows(request: ApprovalRequestView): FactRow[] {
  if (!request.requestedByArn || request.requestedByArn === request.requestedBy) return [];
  return [['Requester AWS identity', `<span class="mono">${escapeHtml(request.requestedByArn)}</span>`]];
}

function requesterRows(request: ApprovalRequestView): FactRow[] {
  return [
    ['Requested by', freeText(request.requestedBy)],
    ...requesterArnRows(request),
    ['Reason', request.reason ? freeText(request.reason) : '<span class="muted">(none given)</span>'],
    ['Message', request.transferMessage ? freeText(request.transferMessage) : '<span class="muted">(none)</span>'],
  ];
}

function decisionSection(request: ApprovalRequestView, approver: string, link: LinkParameters, now: Date): string {
  const hidden = Object.entries(link)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  const plural = Boolean(request.migration);
  const consent = needsConsentToPrepare(request)
    ? `<p class="note" id="consent-note">Before the ${plural ? 'transfers' : 'transfer'} certflow will ${escapeHtml(preparationSummary(request))}.${
        plural ? ' Without your consent, the certificates that need these changes are not transferred; the others are.' : ''
      }</p>
<div class="check"><input type="checkbox" id="consentToPrepare" name="consentToPrepare" value="true" aria-describedby="consent-note"><label for="consentToPrepare">I agree to these changes</label></div>`
    : '';
  const activate =
    request.side === 'TARGET'
      ? `<div class="check"><input type="checkbox" id="setAsActive" name="setAsActive" value="true"><label for="setAsActive">Set the ${plural ? 'certificates' : 'certificate'} ACTIVE in this account once accepted</label></div>`
      : '';
  return `<section class="card decision" aria-labelledby="decision-heading">
<h2 id="decision-heading">Your decision</h2>
<p>Decide by <strong>${escapeHtml(deadlineWording(request.expiresAt, now))}</strong>${
    request.side === 'TARGET' ? `; then the ${plural ? 'transfers are' : 'transfer is'} rejected` : '; then the request expires'
  }.</p>
<p class="muted">You decide as ${freeText(approver)}. The first approver to decide decides for all.</p>
<form method="post" class="approve-form" aria-label="Approve">${hidden}<input type="hidden" name="decision" value="APPROVED">
${consent}${activate}<button type="submit" id="approve" class="button approve-button">Approve</button>
</form>
<form method="post" class="reject-form" aria-label="Reject">${hidden}<input type="hidden" name="decision" value="REJECTED">
<label class="field" for="rejectReason">Reason to reject (required, at most 128 characters)</label>
<textarea id="rejectReason" name="rejectReason" rows="2" maxlength="128" required aria-describedby="reject-note"></textarea>
<p class="muted" id="reject-note">The requester sees this reason.</p>
<button type="submit" id="reject" class="button reject-button">Reject</button>
</form>
</section>`;
}

/** The settled request's status, what certflow does now, and how to follow it. */
function outcomeSection(request: ApprovalRequestView): string {
  const side = request.side === 'SOURCE' ? 'source' : 'target';
  return `<div class="done" role="status"><p><strong>${statusSentence(request)}</strong></p></div>
<section class="card" aria-labelledby="next-heading">
<h2 id="next-heading">What happens next</h2>
<p>${nextStep(request)}</p>
<p>Follow the workflow with:</p>
<pre><code>certflow status --side ${side} ${escapeHtml(request.executionId)}</code></pre>
</section>`;
}

function nextStep(request: ApprovalRequestView): string {
  const plural = Boolean(request.migration);
  const certificates = plural ? 'the certificates' : 'the certificate';
  const target = `account ${escapeHtml(request.targetAwsAccount)}`;
  const source = `account ${escapeHtml(request.sourceAwsAccount)}`;
  switch (request.status) {
    case 'APPROVED':
      if (request.side === 'SOURCE') {
        const prepare = plural
          ? 'now prepares the certificates (with consent: sets ACTIVE ones INACTIVE and detaches their policies) and offers them'
          : needsPreparation(request.preparation)
            ? `will now ${escapeHtml(preparationSummary(request))}, then offer it`
            : 'now offers the certificate';
        return `certflow ${prepare} to ${target}. ${target.replace(/^a/, 'A')}'s approvers are asked next; until they accept, ${certificates} ${plural ? 'stay' : 'stays'} PENDING_TRANSFER here.`;
      }
      return `certflow now accepts ${certificates} into this account${request.setAsActive ? ' and sets them ACTIVE' : ' (INACTIVE: you chose not to activate)'}, then attaches the planned policies and things. The requester in ${source} is told of the outcome.`;
    case 'REJECTED':
      return request.side === 'SOURCE'
        ? `Nothing is transferred: the workflow ends as rejected and the requester sees your reason.`
        : `certflow rejects the ${plural ? 'transfers' : 'transfer'}: ${certificates} ${plural ? 'go' : 'goes'} back to ${source}, INACTIVE, and the requester sees your reason.`;
    case 'EXPIRED':
      return request.side === 'SOURCE'
        ? 'Nothing is transferred. The requester can request the transfer again.'
        : `The ${plural ? 'transfers are' : 'transfer is'} rejected and ${certificates} ${plural ? 'go' : 'goes'} back to ${source}.`;
    case 'CANCELLED':
      return 'Nothing more happens for this request.';
    case 'DECIDING':
    case 'PENDING':
      return 'The decision is being handed to the workflow: reload this page in a moment.';
  }
}

function statusSentence(request: ApprovalRequestView): string {
  const by = request.decidedBy ? ` by ${freeText(request.decidedBy)}` : '';
  const at = request.decidedAt ? ` at ${escapeHtml(timeWording(request.decidedAt) ?? request.decidedAt)}` : '';
  switch (request.status) {
    case 'APPROVED':
      return `This request was approved${by}${at}.`;
    case 'REJECTED':
      return `This request was rejected${by}${at}: ${freeText(request.rejectReason ?? '')}`;
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

/** `listHref`: where the migration's full certificate list downloads, when the page has a link to sign it with. */
function details(request: ApprovalRequestView, now: Date, listHref?: string): string {
  const sections = request.migration ? [migrationDetails(request.migration, request, listHref)] : certificateDetails(request, now);
  return `<section aria-labelledby="details-heading">
<h2 id="details-heading">Details</h2>
${sections.join('\n')}
<div class="card">${factTable('The request', requestRows(request, now))}</div>
</section>`;
}

function certificateDetails(request: ApprovalRequestView, now: Date): string[] {
  const facts = request.certificate;
  const policies = facts?.policies ?? (request.side === 'SOURCE' ? request.preparation.detachPolicies : []);
  const sections = [
    `<div class="card">${factTable('The certificate', facts ? factRows(facts, now) : [['Certificate ID', `<code>${escapeHtml(request.certificateId ?? '')}</code>`]])}</div>`,
  ];
  // Without facts only the source side knows the policies and things (from its preparation); the target shows none rather than a wrong "(none)".
  if (facts || request.side === 'SOURCE') {
    sections.push(
      `<div class="card"><h3>Policies attached in account ${escapeHtml(request.sourceAwsAccount)}</h3>${listHtml(policies)}</div>`,
      `<div class="card"><h3>Things attached in account ${escapeHtml(request.sourceAwsAccount)}</h3>${
        facts ? thingTable(facts.things) : listHtml(request.preparation.attachedThings)
      }</div>`,
    );
  }
  if (request.landing) sections.push(landingDetails(request.landing, request.targetAwsAccount));
  return sections;
}

function factRows(facts: CertificateFacts, now: Date): FactRow[] {
  const validity = validityWording(facts.validFrom, facts.validTo, now);
  const created = timeWording(facts.createdAt, now);
  return [
    ['Certificate ID', `<code>${escapeHtml(facts.certificateId)}</code>`],
    ['ARN', `<code>${escapeHtml(facts.certificateArn)}</code>`],
    ['Subject', facts.subject ? freeText(facts.subject) : '(not known)'],
    ['Issuer', facts.issuer ? freeText(facts.issuer) : '(not known)'],
    ['CA certificate', facts.caCertificateId ? `<code>${escapeHtml(facts.caCertificateId)}</code>` : '(none registered)'],
    ['Valid', validity ? escapeHtml(validity) : '(not known)'],
    ['Created in AWS IoT', created ? escapeHtml(created) : '(not known)'],
    ['Status now', escapeHtml(facts.status)],
  ];
}

function landingDetails(landing: LandingPlan, targetAwsAccount: string): string {
  return `<div class="card"><h3>How it lands in account ${escapeHtml(targetAwsAccount)}</h3>
<p>Policies attached here: ${landing.policies.length > 0 ? landing.policies.map((policy) => `<code>${escapeHtml(policy)}</code>`).join(', ') : '(none)'}</p>
${thingTable(landing.things.map((thing) => ({ ...thing, action: thing.action === 'CREATE' ? 'Create' : 'Reuse the existing thing' })))}</div>`;
}

function thingTable(
  things: Array<{ thingName: string; thingTypeName?: string; attributes: Record<string, string>; action?: string }>,
): string {
  if (things.length === 0) return '<p>(none)</p>';
  const withAction = things.some((thing) => thing.action !== undefined);
  const rows = things
    .map((thing) => {
      const attributes = Object.entries(thing.attributes);
      const attributeHtml =
        attributes.length > 0
          ? `<ul class="plain">${attributes.map(([name, value]) => `<li>${freeText(name)} = ${freeText(value)}</li>`).join('')}</ul>`
          : '<span class="muted">(none)</span>';
      return `<tr><td>${freeText(thing.thingName)}</td>${withAction ? `<td>${escapeHtml(thing.action ?? '')}</td>` : ''}<td>${
        thing.thingTypeName ? freeText(thing.thingTypeName) : '<span class="muted">(no type)</span>'
      }</td><td>${attributeHtml}</td></tr>`;
    })
    .join('');
  return `<table><thead><tr><th scope="col">Thing</th>${withAction ? '<th scope="col">Action</th>' : ''}<th scope="col">Type</th><th scope="col">Attributes</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function migrationDetails(migration: MigrationSummary, request: ApprovalRequestView, listHref: string | undefined): string {
  const counts = migrationCounts(migration, request.side).map(([label, value]): FactRow => [label, escapeHtml(value)]);
  const samples = migration.sampleCertificateIds;
  const sampleHtml =
    samples.length > 0
      ? `<h3>Examples (${samples.length} of ${migration.certificateCount})</h3><ul class="plain">${samples.map((id) => `<li><code>${escapeHtml(id)}</code></li>`).join('')}</ul>`
      : '';
  const fullList = listHref
    ? `<p><a href="${escapeHtml(listHref)}" download>Download all ${escapeHtml(countOf(migration.certificateCount, 'certificate'))} (CSV)</a></p>
<p class="muted">Once the run ends, <code>certflow migrate --report</code> writes every certificate's outcome.</p>`
    : `<p class="muted">The full list of certificates is the migration's manifest (ask the requester for it); once the run ends, <code>certflow migrate --report</code> writes every certificate's outcome.</p>`;
  return `<div class="card">${factTable('The migration', counts)}${sampleHtml}
${fullList}</div>`;
}

function requestRows(request: ApprovalRequestView, now: Date): FactRow[] {
  return [
    ['From account', `<span class="mono">${escapeHtml(request.sourceAwsAccount)}</span>`],
    ['To account', `<span class="mono">${escapeHtml(request.targetAwsAccount)}</span>`],
    ['Requested by', freeText(request.requestedBy)],
    ...requesterArnRows(request),
    ['Reason', request.reason ? freeText(request.reason) : '(none given)'],
    ['Message', request.transferMessage ? freeText(request.transferMessage) : '(none)'],
    ...(request.side === 'SOURCE' ? ([['Needs first', escapeHtml(preparationSummary(request))]] as FactRow[]) : []),
    ['Requested at', escapeHtml(timeWording(request.createdAt) ?? request.createdAt)],
    // Once settled, a deadline counting down would only confuse.
    ...(request.status === 'PENDING' ? ([['Decide by', escapeHtml(deadlineWording(request.expiresAt, now))]] as FactRow[]) : []),
    ['Workflow execution', `<code>${escapeHtml(request.executionId)}</code>`],
  ];
}

function listHtml(items: string[]): string {
  return items.length > 0 ? `<ul class="plain">${items.map((item) => `<li>${freeText(item)}</li>`).join('')}</ul>` : '<p>(none)</p>';
}
