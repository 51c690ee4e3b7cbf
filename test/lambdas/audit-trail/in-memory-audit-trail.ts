import type { AuditRow, AuditedAction } from '../../../lambdas/audit-trail/audit-row';
import type { AuditIndex, AuditTrail } from '../../../lambdas/audit-trail/audit-trail';
import { AuditTrailUnavailableError } from '../../../lambdas/iot-api/iot-errors';

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
    return [...this.rows]
      .reverse()
      .find((row) => row.certificateId === certificateId && row.action === action && row.outcome === 'SUCCEEDED');
  }

  async query(index: AuditIndex, key: string): Promise<AuditRow[]> {
    const field = { byCertificate: 'certificateId', byExecution: 'executionId', byRequester: 'requestedBy', byApprover: 'approvedBy' }[
      index
    ] as keyof AuditRow;
    return [...this.rows].reverse().filter((row) => row[field] === key);
  }
}

/** The same audit table, unreachable for the certificates in `unreachableFor`: each read or write of their rows throws AuditTrailUnavailable. */
export class UnreachableAuditTrail extends InMemoryAuditTrail {
  readonly unreachableFor = new Set<string>();

  override async record(row: AuditRow): Promise<boolean> {
    this.failFor(row.certificateId);
    return super.record(row);
  }

  override async find(rowId: string): Promise<AuditRow | undefined> {
    // A row id starts with its certificate id (see auditRowId).
    this.failFor(rowId.split('#')[0] ?? '');
    return super.find(rowId);
  }

  override async latestSuccess(certificateId: string, action: AuditedAction): Promise<AuditRow | undefined> {
    this.failFor(certificateId);
    return super.latestSuccess(certificateId, action);
  }

  private failFor(certificateId: string): void {
    if (this.unreachableFor.has(certificateId))
      throw new AuditTrailUnavailableError(`the audit table cannot be reached for ${certificateId}`);
  }
}
