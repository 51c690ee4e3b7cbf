/** How the CLI lays out what it shows a person; `--json` prints the data itself instead. */

export type KeyValueRow = readonly [label: string, value: string | number | undefined | null];

/** Aligned `label  value` lines; rows without a value are left out. */
export function keyValueLines(rows: readonly KeyValueRow[], indent = ''): string {
  const shown = rows.filter((row): row is readonly [string, string | number] => row[1] !== undefined && row[1] !== null && row[1] !== '');
  const width = Math.max(0, ...shown.map(([label]) => label.length));
  return shown
    .map(([label, value]) => {
      // A value of several lines stays under its first line.
      const [first, ...rest] = String(value).split('\n');
      return [`${indent}${label.padEnd(width)}  ${first ?? ''}`, ...rest.map((line) => `${indent}${' '.repeat(width + 2)}${line}`)].join(
        '\n',
      );
    })
    .join('\n');
}

/** Columns padded to their widest cell; the last column is not padded, so long values (links, ARNs) stay whole. */
export function table(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | undefined>>): string {
  const cells = rows.map((row) => headers.map((_, index) => row[index] ?? ''));
  const widths = headers.map((header, index) => Math.max(header.length, ...cells.map((row) => (row[index] ?? '').length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}

/** "in 58m", "3h 5m ago": how far a time is from now, to the two largest units. */
export function relativeTime(at: Date, now: Date = new Date()): string {
  const seconds = Math.round((at.getTime() - now.getTime()) / 1000);
  const magnitude = Math.abs(seconds);
  const units: Array<[string, number]> = [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ];
  if (magnitude === 0) return 'now';
  const first = units.findIndex(([, size]) => magnitude >= size);
  const parts: string[] = [];
  let rest = magnitude;
  // The largest unit and the one after it: "3h 5m", not "3h 5m 12s".
  for (const [unit, size] of units.slice(first, first + 2)) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0) parts.push(`${count}${unit}`);
  }
  const span = parts.join(' ');
  return seconds > 0 ? `in ${span}` : `${span} ago`;
}

/** An absolute time with how far it is from now: `2026-12-01T21:04:00Z (in 58m)`. */
export function timeWithRelative(at: Date | string | number | undefined, now: Date = new Date()): string | undefined {
  if (at === undefined) return undefined;
  const date = at instanceof Date ? at : new Date(typeof at === 'number' ? at * 1000 : at);
  if (Number.isNaN(date.getTime())) return String(at);
  return `${date.toISOString().replace(/\.\d{3}Z$/, 'Z')} (${relativeTime(date, now)})`;
}

/** A JSON value as data: JSON text is parsed, anything else is kept as it is. */
export function parsedJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** JSON for --json: dates as ISO strings, two-space indent. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
