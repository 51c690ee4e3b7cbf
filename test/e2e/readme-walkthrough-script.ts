/**
 * The README's "The whole flow, step by step" block, read as a newcomer reads it: each
 * command with the comment that says what it should show, and its `<...>` placeholders
 * to fill from what the earlier commands printed.
 */

/** One command of the block: continuation lines joined, its inline and following comment lines kept apart. */
export interface WalkthroughStep {
  /** The shell text to run, without its comment. */
  command: string;
  /** What the README says about it: the inline comment and the comment-only lines after it. */
  comment: string;
  /** The `<...>` placeholders in the command, in order, without the brackets. */
  placeholders: string[];
}

export class ReadmeSectionMissing extends Error {
  override readonly name = 'ReadmeSectionMissing';
}

export class UnfilledPlaceholder extends Error {
  override readonly name = 'UnfilledPlaceholder';
}

/** The first fenced code block after the heading `heading` (the whole line, e.g. `### The whole flow, step by step`). */
export function fencedBlockAfter(markdown: string, heading: string): { language: string; body: string } {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.trim() === heading);
  if (start < 0) throw new ReadmeSectionMissing(`README has no heading "${heading}"`);
  const open = lines.findIndex((line, index) => index > start && line.startsWith('```'));
  const nextHeading = lines.findIndex((line, index) => index > start && /^#{1,6} /.test(line));
  if (open < 0 || (nextHeading >= 0 && nextHeading < open))
    throw new ReadmeSectionMissing(`"${heading}" has no code block before the next heading`);
  const close = lines.findIndex((line, index) => index > open && line.startsWith('```'));
  if (close < 0) throw new ReadmeSectionMissing(`the code block under "${heading}" is not closed`);
  return { language: (lines[open] ?? '').slice(3).trim(), body: lines.slice(open + 1, close).join('\n') };
}

/** Where a shell comment starts on a line: an unquoted `#` at the start or after whitespace; -1 when none. */
function commentStart(line: string): number {
  let quote: string | undefined;
  for (let index = 0; index < line.length; index += 1) {
    const character = line[index];
    if (quote) {
      if (character === quote) quote = undefined;
    } else if (character === "'" || character === '"') {
      quote = character;
    } else if (character === '#' && (index === 0 || /\s/.test(line[index - 1] ?? ''))) {
      return index;
    }
  }
  return -1;
}

/** The block's commands, as a shell reads them (a trailing `\` continues the line), each with its comment. */
export function walkthroughSteps(shellBlock: string): WalkthroughStep[] {
  const steps: WalkthroughStep[] = [];
  let pending: string[] = [];
  const lines = shellBlock.split('\n');
  for (const line of lines) {
    const hash = commentStart(line);
    const code = (hash < 0 ? line : line.slice(0, hash)).trimEnd();
    const comment = hash < 0 ? '' : line.slice(hash + 1).trim();
    if (code.trim().length === 0) {
      // A comment-only line says more about the command before it, unless it opens the block.
      const last = steps[steps.length - 1];
      if (comment && last && pending.length === 0) last.comment = `${last.comment} ${comment}`.trim();
      continue;
    }
    if (code.endsWith('\\')) {
      pending.push(code.slice(0, -1).trim());
      continue;
    }
    const command = [...pending, code.trim()].join(' ');
    pending = [];
    steps.push({ command, comment, placeholders: [...command.matchAll(/<([^<>]+)>/g)].map((match) => match[1] ?? '') });
  }
  return steps;
}

/** The command with each `<placeholder>` replaced by what `fill` gives for it. */
export function fillPlaceholders(step: WalkthroughStep, fill: (placeholder: string) => string | undefined): string {
  return step.command.replace(/<([^<>]+)>/g, (_whole, placeholder: string) => {
    const value = fill(placeholder);
    if (value === undefined) throw new UnfilledPlaceholder(`nothing printed so far fills <${placeholder}> in: ${step.command}`);
    return value;
  });
}

/** The README's fixed sandbox ports (7701..7709, `--port-base 7700`) moved to another base. */
export function movePorts(command: string, portBase: number): string {
  return command.replace(/\b127\.0\.0\.1:77(0[1-9])\b/g, (_whole, offset: string) => `127.0.0.1:${portBase + Number(offset)}`);
}

/** What `npm start -- --demo` lists under `--demo seeded:`: account, certificate id, description. */
export function seededCertificates(banner: string): Array<{ accountId: string; certificateId: string; description: string }> {
  return [...banner.matchAll(/^ {2}(\d{12}) ([0-9a-f]{64}) {2}(.+)$/gm)].map((match) => ({
    accountId: match[1] ?? '',
    certificateId: match[2] ?? '',
    description: (match[3] ?? '').trim(),
  }));
}

/** The approval link `certflow links` printed for one approver (the newest request's, when it lists several). */
export function linkFor(linksOutput: string, approver: string): string | undefined {
  const lines = linksOutput.split('\n').filter((line) => line.trim().startsWith(`${approver} `));
  return lines
    .map((line) => /\bhttps?:\/\/\S+/.exec(line)?.[0])
    .filter((link): link is string => link !== undefined)
    .pop();
}

/** The execution ARN `certflow transfer` printed. */
export function executionArnIn(transferOutput: string): string | undefined {
  return /^execution\s+(arn:aws:states:\S+:execution:\S+)$/m.exec(transferOutput)?.[1];
}

/** The key-value lines `certflow status` prints, by key (`status`, `outcome`, `downtime`, ...). */
export function keyValues(output: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of output.split('\n')) {
    const match = /^(\S+(?: \S+)*?) {2,}(.+)$/.exec(line);
    if (match && !values.has(match[1] ?? '')) values.set(match[1] ?? '', (match[2] ?? '').trim());
  }
  return values;
}

/** `certflow audit`'s table as rows of side, action and outcome, oldest first. */
export function auditTable(output: string): Array<{ side: string; action: string; outcome: string }> {
  const [header, ...rows] = output.trim().split('\n');
  if (!header?.startsWith('RECORDED AT')) return [];
  return rows.map((row) => {
    const [, side = '', action = '', outcome = ''] = row.split(/ {2,}/);
    return { side, action, outcome };
  });
}
