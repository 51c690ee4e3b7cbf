import { CliUsageError } from './cli-target';

/** What the approval page answered to a submitted decision. */
export interface PageAnswer {
  httpStatus: number;
  /** The page's heading: `Approved`, `Already decided`, `This link is not valid`, ... */
  page: string;
  /** The page's own sentence: who decided and when, or why it refused. */
  message?: string;
  /** The problem the form was sent back with (a 400: consent missing, ...). */
  problem?: string;
}

/** The link's origin and path, and its signed fields, or a usage error naming LINK. */
export function parseApprovalLink(link: string | undefined): URL {
  if (!link) throw new CliUsageError('LINK: is required (the approval link from your notification)');
  let url: URL;
  try {
    url = new URL(link);
  } catch (error) {
    throw new CliUsageError('LINK: must be the approval link from your notification (a URL)', { cause: error });
  }
  if (!url.pathname.endsWith('/approval') || !url.searchParams.has('r')) {
    throw new CliUsageError('LINK: must be the approval link from your notification (…/approval?r=…&s=…)');
  }
  return url;
}

const htmlText = (html: string) =>
  html
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();

/** Reads the page the way a person does: its heading, its problem box, its first sentence. */
export function readApprovalPage(httpStatus: number, html: string): PageAnswer {
  const heading = /<h1>([\s\S]*?)<\/h1>/.exec(html)?.[1];
  const problem = /<p class="problem"[^>]*>([\s\S]*?)<\/p>/.exec(html)?.[1];
  const afterHeading = html.slice(html.indexOf('</h1>') + 5);
  const message = /<p(?: class="status")?>([\s\S]*?)<\/p>/.exec(afterHeading)?.[1];
  return {
    httpStatus,
    page: heading ? htmlText(heading) : '',
    ...(message ? { message: htmlText(message) } : {}),
    ...(problem ? { problem: htmlText(problem) } : {}),
  };
}

/** The page decided (200 with its Approved/Rejected heading); anything else is a refusal or a retry. */
export function decisionTaken(answer: PageAnswer): boolean {
  return answer.httpStatus === 200 && (answer.page === 'Approved' || answer.page === 'Rejected');
}

/** Submits the approval page's form for a signed link, exactly as the page's buttons do. */
export async function submitDecision(url: URL, decision: Record<string, string>): Promise<PageAnswer> {
  const form = new URLSearchParams(url.searchParams);
  for (const [name, value] of Object.entries(decision)) form.set(name, value);
  const response = await fetch(`${url.origin}${url.pathname}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
  });
  return readApprovalPage(response.status, await response.text());
}
