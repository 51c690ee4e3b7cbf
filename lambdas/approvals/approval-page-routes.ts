import { ValidationError } from '../iot-api/field-rules';
import { readJsonIfExists, type MigrationObjects } from '../migration/migration-objects';
import { ApprovalLinkSigner } from './approval-link-signer';
import {
  CERTIFICATE_LIST_PATH_SUFFIX,
  decisionPage,
  htmlResponse,
  PAGE_PATH_SUFFIX,
  refusalPage,
  requestPage,
  serviceUnavailablePage,
  type HtmlPage,
  type LinkParameters,
  type PageContext,
} from './approval-page';
import { csvResponse, type CsvFile } from './approval-page-layout';
import { viewOf, type ApprovalRequestView } from './approval-request';
import { ApproverInboxUnavailable, INBOX_PATH_SUFFIX, type ApproverInbox } from './approver-inbox';
import { inboxPage } from './approver-inbox-page';
import { decideApproval, type DecisionDeps } from './decide-approval';

export interface ApprovalPageDeps extends DecisionDeps {
  signer: ApprovalLinkSigner;
  /** Lists an approver's pending requests for the inbox page; without it the inbox answers 503. */
  inbox?: Pick<ApproverInbox, 'pendingFor'>;
  /** Who approvers turn to when a link fails, shown on the error pages. */
  contact?: string;
  /** The side's migration bucket, where a migration's certificate list is; without it the CSV answers 503. */
  migrationObjects?: MigrationObjects;
}

/** A migration's certificate list is not the JSON list of certificates its summary step writes. */
export class CertificateListUnreadableError extends Error {
  override readonly name = 'CertificateListUnreadableError';
}

export interface PageRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** The form body of a POST (application/x-www-form-urlencoded). */
  form: URLSearchParams;
}

const LINK_FIELDS = ['r', 'a', 'e', 'n', 's'] as const;

/**
 * The approval page: GET only shows a request, POST decides it; GET of the inbox lists an
 * approver's pending requests. Each verifies its signed link first; the task token is never rendered.
 */
export async function serveApprovalPage(deps: ApprovalPageDeps, request: PageRequest) {
  const answer = await route(deps, request);
  return 'rows' in answer ? csvResponse(answer) : htmlResponse(answer);
}

async function route(deps: ApprovalPageDeps, request: PageRequest): Promise<HtmlPage | CsvFile> {
  const context: PageContext = { now: deps.now?.() ?? new Date(), contact: deps.contact };
  if (request.path.endsWith(`${PAGE_PATH_SUFFIX}${INBOX_PATH_SUFFIX}`)) {
    if (request.method === 'GET') return showInbox(deps, request.query, context);
    return methodNotAllowed();
  }
  if (request.path.endsWith(`${PAGE_PATH_SUFFIX}${CERTIFICATE_LIST_PATH_SUFFIX}`)) {
    if (request.method === 'GET') return certificateList(deps, request.query, context);
    return methodNotAllowed();
  }
  if (!request.path.endsWith(PAGE_PATH_SUFFIX)) {
    return {
      statusCode: 404,
      title: 'Not found',
      body: '<p>There is no page here. Open the link exactly as it came in your certflow notification.</p>',
    };
  }
  if (request.method === 'GET') return show(deps, request.query, context);
  if (request.method === 'POST') return decide(deps, request.form, context);
  return methodNotAllowed();
}

function methodNotAllowed(): HtmlPage {
  return { statusCode: 405, title: 'Method not allowed', body: '<p>Use the link from your notification.</p>' };
}

async function show(deps: ApprovalPageDeps, params: URLSearchParams, context: PageContext): Promise<HtmlPage> {
  const verified = deps.signer.verify(params, context.now);
  if (!verified.valid) return refusalPage(verified.reason, { ...context, ...(await expiredLink(deps, verified.reason, params)) });
  const stored = await deps.store.get(verified.claims.requestId);
  if (!stored) return refusalPage('not-found', context);
  return requestPage(viewOf(stored), verified.claims.approver, linkParameters(params), context);
}

async function decide(deps: ApprovalPageDeps, form: URLSearchParams, context: PageContext): Promise<HtmlPage> {
  const verified = deps.signer.verify(form, context.now);
  if (!verified.valid) return refusalPage(verified.reason, { ...context, ...(await expiredLink(deps, verified.reason, form)) });
  const decision = form.get('decision');
  if (decision !== 'APPROVED' && decision !== 'REJECTED') {
    return refusalPage('decision must be APPROVED or REJECTED', context);
  }
  try {
    const result = await decideApproval(deps, {
      link: verified.claims,
      decision,
      rejectReason: form.get('rejectReason') ?? undefined,
      consentToPrepare: form.get('consentToPrepare') === 'true',
      setAsActive: form.get('setAsActive') === 'true',
    });
    return decisionPage(result, context);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const stored = await deps.store.get(verified.claims.requestId);
    if (!stored) return refusalPage('not-found', context);
    return requestPage(viewOf(stored), verified.claims.approver, linkParameters(form), { ...context, problem: error.message });
  }
}

/**
 * The full list of certificates a migration's approval covers, as CSV, behind the same
 * signed link as its page and refused exactly as the page refuses it.
 */
async function certificateList(deps: ApprovalPageDeps, params: URLSearchParams, context: PageContext): Promise<HtmlPage | CsvFile> {
  const verified = deps.signer.verify(params, context.now);
  if (!verified.valid) return refusalPage(verified.reason, { ...context, ...(await expiredLink(deps, verified.reason, params)) });
  const stored = await deps.store.get(verified.claims.requestId);
  if (!stored) return refusalPage('not-found', context);
  const migration = stored.migration;
  if (!migration?.certificateListKey) {
    return {
      statusCode: 404,
      title: 'No certificate list',
      body: '<p>This request has no list of certificates to download: the page shows everything it covers.</p>',
    };
  }
  if (!deps.migrationObjects) return serviceUnavailablePage('The certificate list is not available in this deployment.');
  const list = await readJsonIfExists(deps.migrationObjects, migration.certificateListKey);
  if (list === undefined) {
    return {
      statusCode: 404,
      title: 'The certificate list is gone',
      body: "<p>The migration's working files are kept for 90 days and this list is no longer there. Once the run ends, <code>certflow migrate --report</code> writes every certificate's outcome.</p>",
    };
  }
  return { filename: `${migration.migrationId}-certificates.csv`, rows: certificateRows(list, migration.certificateListKey) };
}

/** The columns a certificate list may hold, in this order: the source's list has all four, the target's only the id. */
const CERTIFICATE_LIST_COLUMNS = ['certificateId', 'status', 'policies', 'thingCount'] as const;

function certificateRows(list: unknown, key: string): string[][] {
  if (!Array.isArray(list) || !list.every(isCertificateEntry)) {
    throw new CertificateListUnreadableError(`${key} is not a list of certificates with a certificateId each`);
  }
  const columns = CERTIFICATE_LIST_COLUMNS.filter((column) => column === 'certificateId' || list.some((entry) => column in entry));
  const cell = (value: unknown): string => {
    if (Array.isArray(value)) return value.map(String).join(' ');
    return value === undefined || value === null ? '' : String(value);
  };
  return [[...columns], ...list.map((entry) => columns.map((column) => cell(entry[column])))];
}

function isCertificateEntry(value: unknown): value is Record<string, unknown> & { certificateId: string } {
  return typeof value === 'object' && value !== null && typeof (value as { certificateId?: unknown }).certificateId === 'string';
}

/**
 * The request behind a link whose signature held but whose time ran out: the expired page
 * then names the requester to ask. A link refused for any other reason shows nothing of it.
 */
async function expiredLink(
  deps: ApprovalPageDeps,
  reason: string,
  params: URLSearchParams,
): Promise<{ request?: ApprovalRequestView; expiredAt?: number }> {
  if (reason !== 'expired') return {};
  const stored = await deps.store.get(params.get('r') ?? '');
  return { expiredAt: Number(params.get('e')), ...(stored ? { request: viewOf(stored) } : {}) };
}

async function showInbox(deps: ApprovalPageDeps, params: URLSearchParams, context: PageContext): Promise<HtmlPage> {
  const verified = deps.signer.verifyInbox(params, context.now);
  if (!verified.valid) {
    if (verified.reason === 'expired') {
      return {
        statusCode: 410,
        title: 'This inbox link has expired',
        body: '<p>Every certflow notification carries a fresh inbox link: open the one in your latest notification. Request links in the notifications still work until their own deadlines.</p>',
      };
    }
    return refusalPage(verified.reason, context);
  }
  if (!deps.inbox) return serviceUnavailablePage('The inbox is not set up in this deployment; the links in your notifications still work.');
  const { approver } = verified.claims;
  let list;
  try {
    list = await deps.inbox.pendingFor(approver, context.now);
  } catch (error) {
    if (error instanceof ApproverInboxUnavailable)
      return serviceUnavailablePage('The inbox is not set up in this deployment; the links in your notifications still work.');
    throw error;
  }
  return inboxPage({
    approver,
    list,
    inboxExpiresAt: verified.claims.expiresAt,
    now: context.now,
    // Relative to `…/approval/inbox`: `../approval` is the decision page beside it, whatever the stage or base path.
    decisionHref: (entry) =>
      `..${PAGE_PATH_SUFFIX}?${deps.signer.sign({ requestId: entry.requestId, approver, expiresAt: entry.expiresAt, nonce: ApprovalLinkSigner.newNonce() }).toString()}`,
  });
}

function linkParameters(params: URLSearchParams): LinkParameters {
  const entries = LINK_FIELDS.map((field) => [field, params.get(field) ?? '']);
  return Object.fromEntries(entries) as LinkParameters;
}
