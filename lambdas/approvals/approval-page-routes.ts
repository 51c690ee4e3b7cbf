import { ValidationError } from '../iot-api/field-rules';
import type { ApprovalLinkSigner } from './approval-link-signer';
import { decisionPage, htmlResponse, refusalPage, requestPage, type HtmlPage, type LinkParameters } from './approval-page';
import { viewOf } from './approval-request';
import { decideApproval, type DecisionDeps } from './decide-approval';

export interface ApprovalPageDeps extends DecisionDeps {
  signer: ApprovalLinkSigner;
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
 * The approval page: GET only shows a request, POST decides it. Both verify the signed
 * link first; the task token is never rendered.
 */
export async function serveApprovalPage(deps: ApprovalPageDeps, request: PageRequest) {
  return htmlResponse(await route(deps, request));
}

async function route(deps: ApprovalPageDeps, request: PageRequest): Promise<HtmlPage> {
  if (!request.path.endsWith('/approval')) return { statusCode: 404, title: 'Not found', body: '<p>There is no page here.</p>' };
  if (request.method === 'GET') return show(deps, request.query);
  if (request.method === 'POST') return decide(deps, request.form);
  return { statusCode: 405, title: 'Method not allowed', body: '<p>Use the link from your notification.</p>' };
}

async function show(deps: ApprovalPageDeps, params: URLSearchParams): Promise<HtmlPage> {
  const now = deps.now?.() ?? new Date();
  const verified = deps.signer.verify(params, now);
  if (!verified.valid) return refusalPage(verified.reason);
  const stored = await deps.store.get(verified.claims.requestId);
  if (!stored) return refusalPage('not-found');
  return requestPage(viewOf(stored), verified.claims.approver, linkParameters(params));
}

async function decide(deps: ApprovalPageDeps, form: URLSearchParams): Promise<HtmlPage> {
  const now = deps.now?.() ?? new Date();
  const verified = deps.signer.verify(form, now);
  if (!verified.valid) return refusalPage(verified.reason);
  const decision = form.get('decision');
  if (decision !== 'APPROVED' && decision !== 'REJECTED') {
    return refusalPage('decision must be APPROVED or REJECTED');
  }
  try {
    const result = await decideApproval(deps, {
      link: verified.claims,
      decision,
      rejectReason: form.get('rejectReason') ?? undefined,
      consentToPrepare: form.get('consentToPrepare') === 'true',
      setAsActive: form.get('setAsActive') === 'true',
    });
    return decisionPage(result);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const stored = await deps.store.get(verified.claims.requestId);
    if (!stored) return refusalPage('not-found');
    return requestPage(viewOf(stored), verified.claims.approver, linkParameters(form), error.message);
  }
}

function linkParameters(params: URLSearchParams): LinkParameters {
  const entries = LINK_FIELDS.map((field) => [field, params.get(field) ?? '']);
  return Object.fromEntries(entries) as LinkParameters;
}
