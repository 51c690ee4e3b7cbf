import type { CertificateOutcome } from './certificate-outcome';

/** Where one certificate ended, both sides taken together. */
export type MigrationOutcome =
  /** Accepted by the target and landed there (policies and things), ACTIVE again if it was ACTIVE here. */
  | 'LANDED'
  /** Accepted by the target, but its landing did not finish: see errorName. */
  | 'LANDING_FAILED'
  /** The target approvers rejected (or let expire) the migration before anything changed. */
  | 'TARGET_REJECTED'
  /** Accepted by the target in this job. */
  | 'TRANSFERRED'
  /** Accepted by the target in an earlier run of the same migration. */
  | 'ALREADY_TRANSFERRED'
  /** Offered and still pending: the target side did not answer it (yet). */
  | 'PENDING'
  /** The target approvers rejected the batch: the certificate is back in the source account, INACTIVE. */
  | 'REJECTED'
  /** The source approvers rejected the batch (or let it expire): nothing was changed. */
  | 'NOT_APPROVED'
  | 'FAILED';

export interface MigrationReportRow {
  certificateId: string;
  outcome: MigrationOutcome;
  sourceOutcome: string;
  targetOutcome?: string;
  /** The status the certificate had in the source account before, when known. */
  previousStatus?: string;
  errorName?: string;
  errorMessage?: string;
  /** ACTIVE certificates: seconds from their deactivation in the source to their landing in the target. */
  downtimeSeconds?: number;
  /** What the target attached: its policies and things. */
  landedPolicies?: string[];
  landedThings?: string[];
}

/** One row per certificate: the source side's outcome, then the target's for what the source offered. */
export function migrationReportRows(source: readonly CertificateOutcome[], target: readonly CertificateOutcome[]): MigrationReportRow[] {
  const answers = new Map(target.map((outcome) => [outcome.certificateId, outcome]));
  return source.map((offer): MigrationReportRow => {
    const base = { certificateId: offer.certificateId, sourceOutcome: offer.outcome, previousStatus: offer.previousStatus };
    if (offer.outcome === 'FAILED') return { ...base, outcome: 'FAILED', errorName: offer.errorName, errorMessage: offer.errorMessage };
    if (offer.outcome === 'NOT_APPROVED') return { ...base, outcome: 'NOT_APPROVED' };
    if (offer.outcome === 'ALREADY_TRANSFERRED') return { ...base, outcome: 'ALREADY_TRANSFERRED' };
    const answer = answers.get(offer.certificateId);
    if (!answer) return { ...base, outcome: 'PENDING' };
    const row = { ...base, targetOutcome: answer.outcome };
    switch (answer.outcome) {
      case 'ACCEPTED':
        return { ...row, outcome: 'TRANSFERRED' };
      case 'ALREADY_ACCEPTED':
        return { ...row, outcome: 'ALREADY_TRANSFERRED' };
      case 'REJECTED':
        return { ...row, outcome: 'REJECTED' };
      case 'FAILED':
        return { ...row, outcome: 'FAILED', errorName: answer.errorName, errorMessage: answer.errorMessage };
      default:
        return { ...row, outcome: 'PENDING' };
    }
  });
}

const COLUMNS = [
  'certificateId',
  'outcome',
  'sourceOutcome',
  'targetOutcome',
  'previousStatus',
  'downtimeSeconds',
  'landedPolicies',
  'landedThings',
  'errorName',
  'errorMessage',
] as const;

function csvCell(value: string | number | string[] | undefined): string {
  const text = Array.isArray(value) ? value.join(' ') : value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The report as CSV (RFC 4180 quoting), one row per certificate. */
export function migrationReportCsv(rows: readonly MigrationReportRow[]): string {
  return [COLUMNS.join(','), ...rows.map((row) => COLUMNS.map((column) => csvCell(row[column])).join(','))].join('\n') + '\n';
}

/** The report as JSON: counts by outcome, then every row. */
export function migrationReportJson(rows: readonly MigrationReportRow[], context: Record<string, unknown>): string {
  const counts: Partial<Record<MigrationOutcome, number>> = {};
  for (const row of rows) counts[row.outcome] = (counts[row.outcome] ?? 0) + 1;
  return JSON.stringify({ ...context, total: rows.length, counts, certificates: rows }, null, 2) + '\n';
}
