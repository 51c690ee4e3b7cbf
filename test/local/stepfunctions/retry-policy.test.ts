import { errorMatches, firstMatching, retryDelaySeconds } from '../../../local/stepfunctions/retry-policy';

describe('Retry and Catch error matching', () => {
  it('matches States.ALL to anything but States.Runtime', () => {
    expect(errorMatches(['States.ALL'], 'Lambda.Unknown')).toBe(true);
    expect(errorMatches(['States.ALL'], 'States.Runtime')).toBe(false);
  });

  it('matches States.TaskFailed to every error but timeouts', () => {
    expect(errorMatches(['States.TaskFailed'], 'CustomError')).toBe(true);
    expect(errorMatches(['States.TaskFailed'], 'States.Timeout')).toBe(false);
  });

  it('matches States.Timeout to a heartbeat timeout too', () => {
    expect(errorMatches(['States.Timeout'], 'States.HeartbeatTimeout')).toBe(true);
  });

  it('uses the first rule that names the error', () => {
    expect(firstMatching([{ ErrorEquals: ['A'] }, { ErrorEquals: ['States.ALL'] }], 'B')?.index).toBe(1);
  });

  it('backs off exponentially, capped by MaxDelaySeconds, and jitters below the cap', () => {
    const retrier = { ErrorEquals: ['X'], IntervalSeconds: 2, BackoffRate: 3, MaxDelaySeconds: 10 };
    expect([0, 1, 2].map((done) => retryDelaySeconds(retrier, done))).toEqual([2, 6, 10]);
    expect(retryDelaySeconds({ ...retrier, JitterStrategy: 'FULL' }, 1, () => 0.5)).toBe(3);
    expect(retryDelaySeconds({ ErrorEquals: ['X'] }, 2)).toBe(4);
  });
});
