/**
 * Wording both the notification and the page use: times an approver can read at a glance,
 * and free text from requesters and certificates made safe to show on one line.
 */

/**
 * Characters that end a line or reorder text in some mail client or terminal: C0/C1
 * controls (CR, LF, VT, FF, NEL among them), the Unicode line and paragraph separators,
 * and the bidirectional overrides and marks.
 */
const LINE_OR_ORDER_BREAKING = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** The text with every line-breaking or reordering character written as an escape (`\n`, `\u2028`), backslashes doubled. */
export function escapeLineBreaks(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(
      LINE_OR_ORDER_BREAKING,
      (character) => NAMED_ESCAPES[character] ?? `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
}

/**
 * Free text as a notification shows it: in double quotes, on one line, with `://` written
 * `:\/\/` so a mail client makes no link of a URL someone typed into a message.
 */
export function quoted(text: string): string {
  return `"${escapeLineBreaks(text).replace(/"/g, '\\"').replace(/:\/\//g, ':\\/\\/')}"`;
}

/** A value that should be plain (an id, a status) with anything line-breaking dropped, in case it is not. */
export function plain(text: string): string {
  return text.replace(LINE_OR_ORDER_BREAKING, '');
}

/** `2026-11-25 10:00 UTC`. */
export function utcTime(time: Date): string {
  return `${time.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const UNITS: Array<[string, number]> = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

/** `in 23 hours`, `in 2 days`, `5 minutes ago`: the largest whole unit, rounded down. */
export function relativeTime(time: Date, now: Date): string {
  const difference = time.getTime() - now.getTime();
  const distance = Math.abs(difference);
  if (distance < 60_000) return difference >= 0 ? 'in less than a minute' : 'less than a minute ago';
  const [unit, size] = UNITS.find(([, unitSize]) => distance >= unitSize) ?? ['minute', 60_000];
  const count = Math.floor(distance / size);
  const amount = `${count} ${unit}${count === 1 ? '' : 's'}`;
  return difference >= 0 ? `in ${amount}` : `${amount} ago`;
}

/** `2026-11-25 10:00 UTC (in 23 hours)`. */
export function deadlineWording(expiresAt: number, now: Date): string {
  const deadline = new Date(expiresAt * 1000);
  return `${utcTime(deadline)} (${relativeTime(deadline, now)})`;
}

/** A certificate's validity with what is left of it: `... to ... (396 days left)`, or how long ago it ended. */
export function validityWording(validFrom: string | undefined, validTo: string | undefined, now: Date): string | undefined {
  const from = parsedTime(validFrom);
  const to = parsedTime(validTo);
  if (!from && !to) return undefined;
  const range = `${from ? utcTime(from) : '(unknown)'} to ${to ? utcTime(to) : '(unknown)'}`;
  if (from && from.getTime() > now.getTime()) return `${range} (not valid yet: starts ${relativeTime(from, now)})`;
  if (!to) return range;
  if (to.getTime() <= now.getTime()) return `${range} (EXPIRED ${relativeTime(to, now)})`;
  const days = Math.floor((to.getTime() - now.getTime()) / 86_400_000);
  return `${range} (${days === 0 ? 'less than a day' : `${days} day${days === 1 ? '' : 's'}`} left)`;
}

/** An ISO time as `2026-11-25 10:00 UTC`, with `(3 days ago)` when `now` is given; the text as given when it is not a time. */
export function timeWording(iso: string | undefined, now?: Date): string | undefined {
  if (iso === undefined) return undefined;
  const time = parsedTime(iso);
  if (!time) return plain(iso);
  return now ? `${utcTime(time)} (${relativeTime(time, now)})` : utcTime(time);
}

function parsedTime(iso: string | undefined): Date | undefined {
  if (iso === undefined) return undefined;
  const time = new Date(iso);
  return Number.isNaN(time.getTime()) ? undefined : time;
}

export function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
