import { RequestPacer, withBackoff } from '../../../lambdas/migration/request-pacer';

/** A clock that only moves when the code under test sleeps. */
function fakeClock() {
  let now = 0;
  const slept: number[] = [];
  return { now: () => now, sleep: async (ms: number) => void (slept.push(ms), (now += ms)), slept };
}

describe('RequestPacer', () => {
  it('lets a burst of one second through, then paces to the rate', async () => {
    const clock = fakeClock();
    const pacer = new RequestPacer(10, clock);
    for (let request = 0; request < 30; request += 1) await pacer.take();
    // 10 at once, then 20 more at 10 per second: two seconds of the fake clock.
    expect(clock.now()).toBeGreaterThanOrEqual(2000);
    expect(clock.now()).toBeLessThanOrEqual(2100);
  });

  it('spaces calls evenly with a burst of 1', async () => {
    const clock = fakeClock();
    const pacer = new RequestPacer(10, clock, { burst: 1 });
    for (let request = 0; request < 3; request += 1) await pacer.take();
    expect(clock.slept).toEqual([100, 100]);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new RequestPacer(0)).toThrow('ratePerSecond must be greater than 0');
  });
});

describe('withBackoff', () => {
  const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

  it('retries throttling with full-jitter exponential waits, capped, until the call works', async () => {
    const waits: number[] = [];
    let calls = 0;
    const result = await withBackoff(
      async () => {
        calls += 1;
        if (calls < 5) throw throttled();
        return 'done';
      },
      {
        retryable: ['ThrottlingException'],
        maxAttempts: 8,
        baseDelayMs: 100,
        maxDelayMs: 500,
        random: () => 0.999,
        sleep: async (ms) => void waits.push(ms),
      },
    );
    expect(result).toBe('done');
    expect(waits).toEqual([99, 199, 399, 499]);
  });

  it('gives up after maxAttempts, and never retries an error that is not retryable', async () => {
    const onRetry = jest.fn();
    await expect(
      withBackoff(async () => Promise.reject(throttled()), {
        retryable: ['ThrottlingException'],
        maxAttempts: 3,
        baseDelayMs: 1,
        maxDelayMs: 1,
        sleep: async () => undefined,
        onRetry,
      }),
    ).rejects.toThrow('Rate exceeded');
    expect(onRetry).toHaveBeenCalledTimes(2);
    const denied = Object.assign(new Error('not yours'), { name: 'UnauthorizedException' });
    let calls = 0;
    await expect(
      withBackoff(
        async () => {
          calls += 1;
          throw denied;
        },
        { retryable: ['ThrottlingException'], maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 },
      ),
    ).rejects.toBe(denied);
    expect(calls).toBe(1);
  });
});
