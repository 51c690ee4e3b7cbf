import {
  causeLine,
  decisionsOf,
  executionView,
  parseExecutionArn,
  renderExecutionView,
  sideOfAccount,
  unsuccessfulEnd,
} from '../../cli/execution-view';

const ACCOUNTS = { source: '111111111111', target: '222222222222' };
const ARN = 'arn:aws:states:us-east-1:111111111111:execution:CertflowSource-OutboundTransfer:run-1';
const NOW = new Date('2026-12-01T12:00:00Z');

describe('an execution as `certflow status` shows it', () => {
  it('takes the side from the account the ARN names, and refuses a --side that contradicts it', () => {
    expect(sideOfAccount(parseExecutionArn(ARN).account, ACCOUNTS)).toBe('source');
    expect(sideOfAccount('222222222222', ACCOUNTS)).toBe('target');
    expect(() => sideOfAccount('222222222222', ACCOUNTS, 'source')).toThrow(
      '--side: the ARN names account 222222222222, the target account, not the source one',
    );
    expect(sideOfAccount('333333333333', {}, 'target')).toBe('target');
    expect(() => parseExecutionArn('arn:aws:states:us-east-1:111111111111:stateMachine:X')).toThrow(
      /^EXECUTION_ARN: must be a Step Functions execution ARN/,
    );
  });

  it('finds every decision record in the output, whatever its field is called, and who made it', () => {
    expect(
      decisionsOf({
        outcome: 'TARGET_REJECTED',
        sourceApproval: {
          decision: 'APPROVED',
          approvedBy: 'a@example.com',
          rejectReason: null,
          setAsActive: false,
          consentToPrepare: true,
        },
        targetDecision: {
          decision: 'REJECTED',
          decidedBy: 'b@example.com',
          rejectReason: 'wrong fleet',
          decidedAt: '2026-12-01T11:00:00Z',
        },
        follow: { state: 'REJECTED' },
      }),
    ).toEqual([
      // The source's setAsActive (always false) is not shown: only a target's decision sets ACTIVE.
      { step: 'sourceApproval', decision: 'APPROVED', by: 'a@example.com', at: undefined, rejectReason: undefined },
      { step: 'targetDecision', decision: 'REJECTED', by: 'b@example.com', at: '2026-12-01T11:00:00Z', rejectReason: 'wrong fleet' },
    ]);
  });

  it('parses a Fail state cause down to the Lambda error inside it', () => {
    const cause = JSON.stringify({
      Error: 'CertificateNotTransferable',
      Cause: JSON.stringify({ errorType: 'CertificateNotTransferable', errorMessage: 'the certificate is REVOKED' }),
    });
    const view = executionView(
      { executionArn: ARN, status: 'FAILED', error: 'CertificateNotTransferable', cause, input: '{}' },
      { side: 'source', arn: parseExecutionArn(ARN) },
    );
    expect(view.cause).toEqual({
      Error: 'CertificateNotTransferable',
      Cause: { errorType: 'CertificateNotTransferable', errorMessage: 'the certificate is REVOKED' },
    });
    expect(causeLine(view.cause)).toBe('CertificateNotTransferable: the certificate is REVOKED');
    expect(causeLine('plain text')).toBe('plain text');
    expect(unsuccessfulEnd(view)).toBe(
      'the execution ended FAILED: CertificateNotTransferable (CertificateNotTransferable: the certificate is REVOKED)',
    );
  });

  it("renders outcome, decisions with their reason, downtime and a migration run's counts", () => {
    const view = executionView(
      {
        executionArn: ARN,
        status: 'SUCCEEDED',
        startDate: new Date('2026-12-01T11:00:00Z'),
        input: JSON.stringify({ certificateId: 'c'.repeat(64), targetAwsAccount: '222222222222', requestedBy: 'r@example.com' }),
        output: JSON.stringify({
          outcome: 'SOURCE_REJECTED',
          downtimeSeconds: 42,
          sourceApproval: { decision: 'REJECTED', approvedBy: 'a@example.com', rejectReason: 'not this week' },
          result: { outcomesKey: 'k', counts: { TRANSFERRED: 3, FAILED: 1 } },
        }),
      },
      { side: 'source', arn: parseExecutionArn(ARN) },
    );
    const text = renderExecutionView(view, NOW);
    expect(text).toMatch(/^workflow +CertflowSource-OutboundTransfer \(source 111111111111\)$/m);
    expect(text).toMatch(/^outcome +SOURCE_REJECTED$/m);
    expect(text).toMatch(/^started +2026-12-01T11:00:00Z \(1h ago\)$/m);
    expect(text).toMatch(/^source approval +REJECTED by a@example.com$/m);
    expect(text).toMatch(/^ {2}why +not this week$/m);
    expect(text).toMatch(/^downtime +42 s$/m);
    expect(text).toMatch(/^TRANSFERRED +3$/m);
    expect(unsuccessfulEnd(view)).toBe('the transfer ended SOURCE_REJECTED: rejected by a@example.com (not this week)');
  });

  it.each([['TRANSFERRED'], ['LANDED']])('counts %s as a transfer that happened', (outcome) => {
    const view = executionView(
      { executionArn: ARN, status: 'SUCCEEDED', output: JSON.stringify({ outcome }) },
      { side: 'source', arn: parseExecutionArn(ARN) },
    );
    expect(unsuccessfulEnd(view)).toBeUndefined();
  });
});
