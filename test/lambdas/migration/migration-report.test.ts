import { migrationReportCsv, migrationReportJson, type MigrationReportRow } from '../../../lambdas/migration/migration-report';

const rows: MigrationReportRow[] = [
  { certificateId: 'a'.repeat(64), outcome: 'ACCEPTED', previousStatus: 'INACTIVE', finishedAt: '2026-11-24T10:00:00.000Z' },
  { certificateId: 'b'.repeat(64), outcome: 'FAILED', previousStatus: 'ACTIVE', errorName: 'CertificateStateException', errorMessage: 'ACTIVE, and "consent", was not given', finishedAt: '2026-11-24T10:00:01.000Z' },
];

describe('migration reports', () => {
  it('writes one CSV row per certificate, quoting commas and quotes as RFC 4180 does', () => {
    expect(migrationReportCsv(rows).split('\n')).toEqual([
      'certificateId,outcome,previousStatus,errorName,errorMessage,finishedAt',
      `${'a'.repeat(64)},ACCEPTED,INACTIVE,,,2026-11-24T10:00:00.000Z`,
      `${'b'.repeat(64)},FAILED,ACTIVE,CertificateStateException,"ACTIVE, and ""consent"", was not given",2026-11-24T10:00:01.000Z`,
      '',
    ]);
  });

  it('counts outcomes in the JSON report and keeps every row', () => {
    const report = JSON.parse(migrationReportJson(rows, { migrationId: 'm-1', targetAwsAccount: '222222222222' })) as Record<string, unknown>;
    expect(report).toMatchObject({ migrationId: 'm-1', targetAwsAccount: '222222222222', total: 2, counts: { ACCEPTED: 1, FAILED: 1 } });
    expect(report.certificates).toHaveLength(2);
  });
});
