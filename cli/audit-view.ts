import type { AuditIndex } from '../lambdas/audit-trail/audit-trail';
import { table } from './cli-output';
import { CliUsageError, type Side } from './cli-target';

/** An audit row as read: any action (the IoT Actions, and decision rows such as ApprovalGranted). */
export interface ShownAuditRow {
  side: Side;
  recordedAt: string;
  action: string;
  outcome?: string;
  certificateId?: string;
  requestedBy?: string;
  approvedBy?: string;
  message?: string;
  errorName?: string;
  errorMessage?: string;
  policyName?: string;
  certificateStatus?: string;
  previousStatus?: string;
  setAsActive?: boolean;
  executionId?: string;
}

/** The search options of `certflow audit` and the index each one queries. */
export const AUDIT_SEARCHES = [
  { option: 'certificateId', flag: '--certificate-id', value: 'id', index: 'byCertificate', rows: 'rows of one certificate' },
  { option: 'requestedBy', flag: '--requested-by', value: 'email', index: 'byRequester', rows: 'rows of what this person requested' },
  {
    option: 'approvedBy',
    flag: '--approved-by',
    value: 'email',
    index: 'byApprover',
    rows: 'rows of what this approver allowed or decided',
  },
  { option: 'execution', flag: '--execution', value: 'arn', index: 'byExecution', rows: 'rows of one workflow execution' },
] as const satisfies ReadonlyArray<{ option: string; flag: string; value: string; index: AuditIndex; rows: string }>;

export type AuditSearchOptions = Partial<Record<(typeof AUDIT_SEARCHES)[number]['option'], string>>;

/** Exactly one search option: the index to query and its key. */
export function auditSearchOf(options: AuditSearchOptions): { index: AuditIndex; key: string; flag: string } {
  const given = AUDIT_SEARCHES.filter((search) => options[search.option] !== undefined);
  const flags = AUDIT_SEARCHES.map((search) => search.flag).join(', ');
  const [search, ...others] = given;
  if (!search) throw new CliUsageError(`audit: give one of ${flags}`);
  if (others.length > 0) throw new CliUsageError(`audit: give only one of ${flags} (got ${given.map((each) => each.flag).join(' and ')})`);
  const key = options[search.option] ?? '';
  if (key.trim().length === 0) throw new CliUsageError(`${search.flag}: must not be empty`);
  return { index: search.index, key, flag: search.flag };
}

/** What a row says beyond its action and outcome: the error, the policy, the status it set, the reason. */
function detailOf(row: ShownAuditRow): string {
  if (row.errorName) return `${row.errorName}${row.errorMessage ? `: ${row.errorMessage}` : ''}`;
  const parts = [
    row.policyName ? `policy ${row.policyName}` : undefined,
    row.previousStatus && row.certificateStatus ? `${row.previousStatus} -> ${row.certificateStatus}` : row.certificateStatus,
    row.setAsActive === undefined ? undefined : row.setAsActive ? 'set ACTIVE' : undefined,
    row.message ? `"${row.message}"` : undefined,
  ];
  return parts.filter(Boolean).join(', ');
}

/** Oldest first: a history reads in the order it happened. */
export function renderAudit(rows: readonly ShownAuditRow[], options: { showCertificate: boolean }): string {
  if (rows.length === 0) return 'no audit rows';
  const headers = ['RECORDED AT', 'SIDE', 'ACTION', 'OUTCOME', ...(options.showCertificate ? ['CERTIFICATE'] : []), 'BY', 'DETAIL'];
  return table(
    headers,
    rows.map((row) => [
      row.recordedAt,
      row.side,
      row.action,
      row.outcome ?? '',
      ...(options.showCertificate ? [row.certificateId ? `${row.certificateId.slice(0, 12)}…` : ''] : []),
      row.approvedBy ?? row.requestedBy ?? '',
      detailOf(row),
    ]),
  );
}
