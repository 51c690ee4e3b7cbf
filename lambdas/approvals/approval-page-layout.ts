/** The HTML frame every approval page shares: headers, inline styles, and the escaping of every value. */

export interface HtmlPage {
  statusCode: number;
  title: string;
  /** Already-escaped HTML for inside `<main>`, after the title. */
  body: string;
}

/**
 * Inline styles only: the content security policy allows no other source, so the page
 * loads nothing from anywhere. Colours keep at least 4.5:1 against their background;
 * focus is always visible; two columns put the decision beside the summary on a wide
 * screen and stack on a narrow one.
 */
const STYLES = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1b1f24;background:#f3f4f6}
.bar{background:#1b2a41;color:#fff;padding:.45rem 1.5rem;font-weight:600;letter-spacing:.02em}
main{max-width:80rem;margin:0 auto;padding:.75rem 1.5rem 3rem}
h1{font-size:1.55rem;margin:.4rem 0 .75rem;line-height:1.25}
h2{font-size:1.15rem;margin:0 0 .6rem}
h3{font-size:1rem;margin:1rem 0 .4rem}
.card>h2:first-child,.card>h3:first-child{margin-top:0}
section>h2{margin-top:1.25rem}
p{margin:.4rem 0}
.top{display:grid;grid-template-columns:minmax(0,3fr) minmax(21rem,2fr);gap:1rem;align-items:start}
@media (max-width:60rem){.top{grid-template-columns:minmax(0,1fr)}}
.card{background:#fff;border:1px solid #c9ced6;border-radius:8px;padding:.9rem 1.2rem;margin:0 0 1rem}
.decision{border:2px solid #1b2a41}
.lead{font-size:1.05rem;margin:0 0 .6rem}
dl.facts{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.25rem 1rem;margin:0}
dl.facts dt{font-weight:600;color:#374151}
dl.facts dd{margin:0;overflow-wrap:anywhere}
dl.facts code{font-size:.82em}
@media (max-width:30rem){main{padding:.5rem .75rem 2rem}dl.facts{grid-template-columns:minmax(0,1fr);gap:0}dl.facts dd{margin-bottom:.4rem}}
table{border-collapse:collapse;width:100%}
caption{text-align:left;font-weight:600;padding:.2rem 0 .4rem}
th,td{text-align:left;vertical-align:top;padding:.35rem .6rem;border-bottom:1px solid #e2e5e9;overflow-wrap:break-word}
th[scope=row]{width:13rem;color:#374151}
thead th{background:#eef0f3}
form{margin:0}
fieldset{border:0;margin:0;padding:0}
.approve-form{padding-bottom:.8rem;margin-bottom:.8rem;border-bottom:1px solid #e2e5e9}
.check{display:flex;gap:.5rem;align-items:flex-start;margin:.4rem 0}
.check input{width:1.15rem;height:1.15rem;margin:.15rem 0 0;flex:none}
.button{font:inherit;font-weight:700;padding:.5rem 1.5rem;border-radius:6px;border:2px solid transparent;cursor:pointer;margin-top:.4rem}
.approve-button{background:#146c2e;color:#fff}
.approve-button:hover{background:#0f5323}
.reject-button{background:#fff;color:#a4161a;border-color:#a4161a}
.reject-button:hover{background:#fdecec}
label.field{display:block;font-weight:600;margin:.2rem 0}
textarea{display:block;width:100%;font:inherit;padding:.4rem .5rem;border:1px solid #6b7280;border-radius:4px;resize:vertical}
:focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}
.note{background:#fff4ce;border-left:4px solid #8a5a00;padding:.45rem .75rem;margin:.4rem 0}
.problem{background:#fde2e2;border-left:4px solid #a4161a;padding:.45rem .75rem;margin:0 0 1rem}
.done{background:#dcf5e3;border-left:4px solid #146c2e;padding:.45rem .75rem;margin:0 0 1rem}
.muted{color:#4b5563}
.refusal{border-left:4px solid #a4161a;max-width:52rem}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em;overflow-wrap:anywhere}
pre{background:#eef0f3;padding:.5rem .75rem;border-radius:4px;overflow-x:auto;white-space:pre-wrap;overflow-wrap:anywhere}
.free{white-space:pre-wrap}
ul.plain{margin:.2rem 0;padding-left:1.2rem}
a{color:#1d4ed8}
`;

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
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${escapeHtml(page.title)} - certflow</title>
<style>${STYLES}</style>
</head><body><div class="bar" role="banner">certflow approvals</div>
<main><h1>${escapeHtml(page.title)}</h1>
${page.body}
</main></body></html>`,
  };
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * Text someone else typed (a message, a reason, a name): escaped, isolated so bidirectional
 * controls inside cannot reorder the page around it, line breaks kept as sent.
 */
export function freeText(text: string): string {
  return `<bdi class="free">${escapeHtml(text)}</bdi>`;
}

/** A label and an already-escaped HTML value. */
export type FactRow = [label: string, valueHtml: string];

export function factList(rows: FactRow[]): string {
  return `<dl class="facts">${rows.map(([label, value]) => `<dt>${escapeHtml(label)}</dt><dd>${value}</dd>`).join('')}</dl>`;
}

export function factTable(caption: string, rows: FactRow[]): string {
  const body = rows.map(([label, value]) => `<tr><th scope="row">${escapeHtml(label)}</th><td>${value}</td></tr>`).join('');
  return `<table><caption>${escapeHtml(caption)}</caption><tbody>${body}</tbody></table>`;
}

/** A file the page hands over as a download instead of a page. */
export interface CsvFile {
  /** The download's file name: letters, digits, `_`, `-` and `.` only, so it needs no quoting. */
  filename: string;
  /** The rows, the header first; each cell is text as it is, quoted and neutralized here. */
  rows: string[][];
}

/** RFC 4180 CSV with CRLF line ends; the headers keep it, like the pages, out of caches and referrers. */
export function csvResponse(file: CsvFile): { statusCode: number; headers: Record<string, string>; body: string } {
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/csv; charset=utf-8; header=present',
      'content-disposition': `attachment; filename="${file.filename}"`,
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
    },
    body: file.rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n',
  };
}

/**
 * One cell. A cell a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab, carriage
 * return first) gets a leading `'`, so opening the file runs nothing; commas, quotes and line
 * breaks are quoted as RFC 4180 says.
 */
function csvCell(text: string): string {
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
