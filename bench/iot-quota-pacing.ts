import { parseArgs } from 'node:util';
import {
  AcceptCertificateTransferCommand,
  CreateKeysAndCertificateCommand,
  IoTClient,
  TransferCertificateCommand,
} from '@aws-sdk/client-iot';
import { RETRYABLE_IOT_ERRORS } from '../lambdas/iot-api/iot-errors';
import { RequestPacer, withBackoff } from '../lambdas/migration/request-pacer';
import { startIotEndpoint } from '../local/iot/iot-endpoint';
import { credentialsFor, DEFAULT_ACCOUNTS } from '../local/sandbox-accounts';

/**
 * How close certflow's pacing gets to AWS IoT's request-rate quota: N certificates are
 * transferred by the source and accepted by the target against the IoT emulator
 * enforcing the default quotas (10 requests per second per account and Action), with
 * RequestPacer and full-jitter backoff. This measures the pacing alone, not yet the
 * migration workflow (issue 5).
 */
const QUOTA_PER_SECOND = 10;
const PACE_FRACTION = 0.98;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { certificates: { type: 'string', default: '300' }, 'fault-rate': { type: 'string', default: '0' } },
  });
  const count = Number(values.certificates);
  const faultRate = Number(values['fault-rate']);
  if (!Number.isInteger(count) || count < 1) throw new Error('--certificates: must be a whole number of at least 1');
  if (!(faultRate >= 0 && faultRate < 1)) throw new Error('--fault-rate: must be a number from 0 to less than 1');

  const faults =
    faultRate > 0
      ? {
          TransferCertificate: { errorRate: faultRate, errorType: 'ServiceUnavailableException' as const },
          AcceptCertificateTransfer: { errorRate: faultRate, errorType: 'ServiceUnavailableException' as const },
        }
      : undefined;
  const endpoint = await startIotEndpoint({ port: 0, keyAlgorithm: 'EC-P256', faults });
  const client = (account: string) =>
    new IoTClient({ region: 'us-east-1', endpoint: endpoint.url, credentials: credentialsFor(account), maxAttempts: 1 });
  const source = client(DEFAULT_ACCOUNTS.source);
  const target = client(DEFAULT_ACCOUNTS.target);
  try {
    const ids: string[] = [];
    for (let index = 0; index < count; index += 1)
      ids.push((await source.send(new CreateKeysAndCertificateCommand({ setAsActive: false }))).certificateId ?? '');

    let retries = 0;
    const backoff = {
      retryable: RETRYABLE_IOT_ERRORS,
      maxAttempts: 12,
      baseDelayMs: 100,
      maxDelayMs: 2000,
      onRetry: () => void (retries += 1),
    };
    // Just under the quota and evenly spaced: throttling stays rare instead of routine.
    const pacing = { rate: QUOTA_PER_SECOND * PACE_FRACTION };
    const transferPacer = new RequestPacer(pacing.rate, undefined, { burst: 1 });
    const acceptPacer = new RequestPacer(pacing.rate, undefined, { burst: 1 });
    const offered: string[] = [];
    let transfersDone = 0;
    const times = { transferStart: 0, transferEnd: 0, acceptStart: 0, acceptEnd: 0 };
    const memoryBefore = process.memoryUsage().rss;
    let peakRss = memoryBefore;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);

    const transferWorker = async () => {
      while (ids.length > 0) {
        const certificateId = ids.shift() ?? '';
        // Every attempt, a retry too, waits for its turn: retries must not hammer the quota either.
        await withBackoff(async () => {
          await transferPacer.take();
          times.transferStart ||= Date.now();
          return source.send(new TransferCertificateCommand({ certificateId, targetAwsAccount: DEFAULT_ACCOUNTS.target }));
        }, backoff);
        times.transferEnd = Date.now();
        transfersDone += 1;
        offered.push(certificateId);
      }
    };
    const acceptWorker = async () => {
      for (;;) {
        const certificateId = offered.shift();
        if (!certificateId) {
          if (transfersDone === count) return;
          await new Promise((resolve) => setTimeout(resolve, 20));
          continue;
        }
        await withBackoff(async () => {
          await acceptPacer.take();
          times.acceptStart ||= Date.now();
          return target.send(new AcceptCertificateTransferCommand({ certificateId, setAsActive: false }));
        }, backoff);
        times.acceptEnd = Date.now();
      }
    };
    const started = Date.now();
    // A few calls in flight per Action, so that one slow answer does not idle the quota.
    await Promise.all([...Array.from({ length: 4 }, transferWorker), ...Array.from({ length: 4 }, acceptWorker)]);
    const totalSeconds = (Date.now() - started) / 1000;
    clearInterval(sampler);

    const stats = endpoint.stats();
    const counts = (account: string, operation: 'TransferCertificate' | 'AcceptCertificateTransfer') =>
      stats.accounts[account]?.[operation] ?? { requests: 0, throttled: 0, faulted: 0 };
    const seconds = (start: number, end: number) => (end - start) / 1000;
    const rows = [
      ['TransferCertificate', seconds(times.transferStart, times.transferEnd), counts(DEFAULT_ACCOUNTS.source, 'TransferCertificate')],
      [
        'AcceptCertificateTransfer',
        seconds(times.acceptStart, times.acceptEnd),
        counts(DEFAULT_ACCOUNTS.target, 'AcceptCertificateTransfer'),
      ],
    ] as const;
    console.log(`\ncertflow bench: IoT quota pacing, ${count} certificates, injected fault rate ${faultRate}\n`);
    console.log('| Action | certificates/s | requests/s | requests / quota | requests | throttled | faulted |');
    console.log('|---|---|---|---|---|---|---|');
    for (const [action, duration, counted] of rows) {
      const requestRate = counted.requests / duration;
      console.log(
        `| ${action} | ${((count - 1) / duration).toFixed(2)} | ${requestRate.toFixed(2)} | ${(requestRate / QUOTA_PER_SECOND).toFixed(3)} | ${counted.requests} | ${counted.throttled} | ${counted.faulted} |`,
      );
    }
    const lowerBound = count / QUOTA_PER_SECOND;
    console.log(
      `\ntotal ${totalSeconds.toFixed(1)} s; the quota's lower bound for ${count} transfers is ${lowerBound.toFixed(1)} s (accepts overlap them)`,
    );
    console.log(`retries after throttling or faults: ${retries}; peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MiB`);
  } finally {
    source.destroy();
    target.destroy();
    await endpoint.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
