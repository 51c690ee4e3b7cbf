import type { AuditRow, AuditedAction } from '../../../lambdas/audit-trail/audit-row';
import type { AuditIndex, AuditTrail } from '../../../lambdas/audit-trail/audit-trail';

/** A test double with the audit table's semantics: conditional puts, newest-first reads. */
export class InMemoryAuditTrail implements AuditTrail {
  readonly rows: AuditRow[] = [];

  async record(row: AuditRow): Promise<boolean> {
    if (this.rows.some((existing) => existing.rowId === row.rowId)) return false;
    this.rows.push(row);
    return true;
  }

  async find(rowId: string): Promise<AuditRow | undefined> {
    return this.rows.find((row) => row.rowId === rowId);
  }

  async latestSuccess(certificateId: string, action: AuditedAction): Promise<AuditRow | undefined> {
    return [...this.rows].reverse().find((row) => row.certificateId === certificateId && row.action === action && row.outcome === 'SUCCEEDED');
  }

  async query(index: AuditIndex, key: string): Promise<AuditRow[]> {
    const field = { byCertificate: 'certificateId', byExecution: 'executionId', byRequester: 'requestedBy', byApprover: 'approvedBy' }[index] as keyof AuditRow;
    return [...this.rows].reverse().filter((row) => row[field] === key);
  }
}
