/**
 * Paces calls to a rate (requests per second) with a token bucket, so a migration uses
 * its IoT quota without hammering it. The burst defaults to one second's worth; a burst
 * of 1 spaces every call evenly, which AWS's own token bucket throttles least.
 */
export class RequestPacer {
  private tokens: number;
  private updatedAt: number;
  private readonly burst: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly clock: { now(): number; sleep(ms: number): Promise<void> } = {
      now: () => Date.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    },
    options: { burst?: number } = {},
  ) {
    if (!(ratePerSecond > 0)) throw new RangeError('ratePerSecond must be greater than 0');
    this.burst = options.burst ?? ratePerSecond;
    if (!(this.burst >= 1)) throw new RangeError('burst must be at least 1');
    this.tokens = this.burst;
    this.updatedAt = clock.now();
  }

  /** Resolves when the next request may go. */
  async take(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.ratePerSecond);
      this.updatedAt = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.clock.sleep(Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000));
    }
  }
}

export interface BackoffOptions {
  /** Errors worth another try (by name). */
  retryable: readonly string[];
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Told of each retry, e.g. to count throttled requests. */
  onRetry?: (error: Error, attempt: number) => void;
}

/**
 * Runs `call`, retrying the retryable errors with exponential backoff and full jitter
 * (a random wait between 0 and base × 2^attempt, at most maxDelayMs): throttling is
 * expected during a migration, not an error.
 */
export async function withBackoff<T>(call: () => Promise<T>, options: BackoffOptions): Promise<T> {
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof Error) || !options.retryable.includes(error.name) || attempt >= options.maxAttempts) throw error;
      options.onRetry?.(error, attempt);
      await sleep(Math.floor(random() * Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1))));
    }
  }
}
