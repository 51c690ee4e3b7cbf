/** How one certificate's migration ended. */
export type MigrationOutcome = 'TRANSFERRED' | 'ACCEPTED' | 'ALREADY_DONE' | 'FAILED' | 'SKIPPED';

export interface MigrationReportRow {
  certificateId: string;
  outcome: MigrationOutcome;
  /** The status the certificate had before, when known. */
  previousStatus?: string;
  errorName?: string;
  errorMessage?: string;
  finishedAt: string;
}

const COLUMNS = ['certificateId', 'outcome', 'previousStatus', 'errorName', 'errorMessage', 'finishedAt'] as const;

function csvCell(value: string | undefined): string {
  const text = value ?? '';
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The report as CSV (RFC 4180 quoting), one row per certificate, in manifest order. */
export function migrationReportCsv(rows: MigrationReportRow[]): string {
  return [COLUMNS.join(','), ...rows.map((row) => COLUMNS.map((column) => csvCell(row[column])).join(','))].join('\n') + '\n';
}

/** The report as JSON: counts by outcome, then every row. */
export function migrationReportJson(rows: MigrationReportRow[], context: { migrationId: string; targetAwsAccount: string }): string {
  const counts: Record<string, number> = {};
  for (const row of rows) counts[row.outcome] = (counts[row.outcome] ?? 0) + 1;
  return JSON.stringify({ ...context, total: rows.length, counts, certificates: rows }, null, 2) + '\n';
}
