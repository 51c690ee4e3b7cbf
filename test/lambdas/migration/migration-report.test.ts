import type { CertificateOutcome } from '../../../lambdas/migration/certificate-outcome';
import { migrationReportCsv, migrationReportJson, migrationReportRows } from '../../../lambdas/migration/migration-report';

const id = (letter: string) => letter.repeat(64);

describe('migration reports', () => {
  it('joins each certificate to the target side outcome of its offer', () => {
    const source: CertificateOutcome[] = [
      { certificateId: id('a'), outcome: 'OFFERED', previousStatus: 'INACTIVE' },
      { certificateId: id('b'), outcome: 'ALREADY_OFFERED', previousStatus: 'PENDING_TRANSFER' },
      { certificateId: id('c'), outcome: 'ALREADY_TRANSFERRED' },
      { certificateId: id('d'), outcome: 'FAILED', errorName: 'ConsentRequired', errorMessage: 'ACTIVE', previousStatus: 'ACTIVE' },
      { certificateId: id('e'), outcome: 'OFFERED', previousStatus: 'INACTIVE' },
      { certificateId: id('f'), outcome: 'OFFERED', previousStatus: 'INACTIVE' },
      { certificateId: id('1'), outcome: 'NOT_APPROVED', previousStatus: 'INACTIVE' },
    ];
    const target: CertificateOutcome[] = [
      { certificateId: id('a'), outcome: 'ACCEPTED' },
      { certificateId: id('b'), outcome: 'ALREADY_ACCEPTED' },
      { certificateId: id('e'), outcome: 'FAILED', errorName: 'TransferAlreadyCompletedException', errorMessage: 'gone' },
    ];
    expect(migrationReportRows(source, target).map((row) => [row.certificateId[0], row.outcome, row.targetOutcome, row.errorName])).toEqual(
      [
        ['a', 'TRANSFERRED', 'ACCEPTED', undefined],
        ['b', 'ALREADY_TRANSFERRED', 'ALREADY_ACCEPTED', undefined],
        ['c', 'ALREADY_TRANSFERRED', undefined, undefined],
        ['d', 'FAILED', undefined, 'ConsentRequired'],
        ['e', 'FAILED', 'FAILED', 'TransferAlreadyCompletedException'],
        ['f', 'PENDING', undefined, undefined],
        ['1', 'NOT_APPROVED', undefined, undefined],
      ],
    );
  });

  it('writes one CSV row per certificate, quoting commas and quotes as RFC 4180 does', () => {
    const rows = migrationReportRows(
      [
        { certificateId: id('a'), outcome: 'OFFERED', previousStatus: 'INACTIVE' },
        {
          certificateId: id('b'),
          outcome: 'FAILED',
          previousStatus: 'ACTIVE',
          errorName: 'ConsentRequired',
          errorMessage: 'ACTIVE, and "consent" was not given',
        },
      ],
      [{ certificateId: id('a'), outcome: 'ACCEPTED' }],
    );
    expect(migrationReportCsv(rows).split('\n')).toEqual([
      'certificateId,outcome,sourceOutcome,targetOutcome,previousStatus,downtimeSeconds,landedPolicies,landedThings,errorName,errorMessage',
      `${id('a')},TRANSFERRED,OFFERED,ACCEPTED,INACTIVE,,,,,`,
      `${id('b')},FAILED,FAILED,,ACTIVE,,,,ConsentRequired,"ACTIVE, and ""consent"" was not given"`,
      '',
    ]);
  });

  it('writes a landed row with its downtime and what the target attached, space-separated in one cell', () => {
    const csv = migrationReportCsv([
      {
        certificateId: id('a'),
        outcome: 'LANDED',
        sourceOutcome: 'OFFERED',
        targetOutcome: 'LANDED',
        previousStatus: 'ACTIVE',
        downtimeSeconds: 4.25,
        landedPolicies: ['fleet-base', 'eu-sensor-policy'],
        landedThings: ['door-7'],
      },
    ]);
    expect(csv.split('\n')[1]).toBe(`${id('a')},LANDED,OFFERED,LANDED,ACTIVE,4.25,fleet-base eu-sensor-policy,door-7,,`);
  });

  it('counts outcomes in the JSON report and keeps every row', () => {
    const rows = migrationReportRows(
      [
        { certificateId: id('a'), outcome: 'ALREADY_TRANSFERRED' },
        { certificateId: id('b'), outcome: 'FAILED', errorName: 'CertificateNotFound' },
      ],
      [],
    );
    const report = JSON.parse(migrationReportJson(rows, { migrationId: 'm-1', targetAwsAccount: '222222222222' })) as Record<
      string,
      unknown
    >;
    expect(report).toMatchObject({
      migrationId: 'm-1',
      targetAwsAccount: '222222222222',
      total: 2,
      counts: { ALREADY_TRANSFERRED: 1, FAILED: 1 },
    });
    expect(report.certificates).toHaveLength(2);
  });
});
