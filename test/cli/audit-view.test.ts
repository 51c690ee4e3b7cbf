import { auditSearchOf, renderAudit } from '../../cli/audit-view';

describe('certflow audit', () => {
  it.each([
    [{ certificateId: 'c' }, 'byCertificate'],
    [{ requestedBy: 'r@example.com' }, 'byRequester'],
    [{ approvedBy: 'a@example.com' }, 'byApprover'],
    [{ execution: 'arn:aws:states:us-east-1:111111111111:execution:X:y' }, 'byExecution'],
  ])('queries the index of the one search given (%j)', (options, index) => {
    expect(auditSearchOf(options).index).toBe(index);
  });

  it('renders any action, decision rows included, oldest first as given, with what each row adds', () => {
    const text = renderAudit(
      [
        {
          side: 'source',
          recordedAt: '2026-12-01T10:00:00.000Z',
          action: 'ApprovalRejected',
          outcome: 'SUCCEEDED',
          certificateId: 'c'.repeat(64),
          approvedBy: 'a@example.com',
          message: 'not now',
        },
        {
          side: 'target',
          recordedAt: '2026-12-01T10:01:00.000Z',
          action: 'UpdateCertificate',
          outcome: 'FAILED',
          certificateId: 'd'.repeat(64),
          errorName: 'ThrottlingException',
          errorMessage: 'Rate exceeded',
        },
      ],
      { showCertificate: true },
    );
    expect(text.split('\n')).toEqual([
      'RECORDED AT               SIDE    ACTION             OUTCOME    CERTIFICATE    BY             DETAIL',
      `2026-12-01T10:00:00.000Z  source  ApprovalRejected   SUCCEEDED  ${'c'.repeat(12)}…  a@example.com  "not now"`,
      `2026-12-01T10:01:00.000Z  target  UpdateCertificate  FAILED     ${'d'.repeat(12)}…                 ThrottlingException: Rate exceeded`,
    ]);
  });
});
