import type { IoTClient, ServiceInputTypes, ServiceOutputTypes } from '@aws-sdk/client-iot';
import type { FinalizeRequestMiddleware } from '@smithy/types';
import { RequestPacer } from './request-pacer';

/** The IoT Actions a migration calls, each paced to its own per-account quota. */
export const PACED_IOT_ACTIONS = [
  'ListCertificates',
  'ListCertificatesByCA',
  'ListOutgoingCertificates',
  'ListPolicies',
  'ListTargetsForPolicy',
  'GetPolicy',
  'DescribeCertificate',
  'UpdateCertificate',
  'ListAttachedPolicies',
  'AttachPolicy',
  'DetachPolicy',
  'ListPrincipalThings',
  'DescribeThing',
  'DescribeThingType',
  'CreateThing',
  'AttachThingPrincipal',
  'DetachThingPrincipal',
  'TransferCertificate',
  'AcceptCertificateTransfer',
] as const;

/** Pace a little under the quota: AWS's buckets and ours drift apart by clock and network jitter. */
export const PACING_SHARE_OF_QUOTA = 0.98;

/**
 * How many requests a pacer running at `ratePerSecond` (one container's share of an
 * Action's quota) may bank while its container waits on another Action: 0.9 s of its
 * share, at least 1 and at most 2. Banking lets a container catch up after a retry of
 * another Action instead of losing that time: a burst of 1 made each faulted request
 * cost its container a whole pacing interval of every other Action. Since each container
 * banks at most 0.9 s of its share, all containers together burst less than one second
 * of the account's quota, the burst AWS's token bucket allows in the sandbox's model
 * (AWS does not document it).
 */
export function pacingBurst(ratePerSecond: number): number {
  return Math.min(2, Math.max(1, 0.9 * ratePerSecond));
}

/**
 * Paces every request the client sends, Action by Action, to a share of the account's
 * per-Action quota; each SDK retry attempt takes a token too, since AWS counts it. The
 * pacers live as long as the client, so a warm Lambda container keeps pacing across
 * the batches it serves.
 */
export function paceIotRequests(
  iot: IoTClient,
  quotaPerSecond: number,
  quotaByAction: Readonly<Record<string, number>> = {},
  pacerFor = (rate: number) => new RequestPacer(rate, undefined, { burst: pacingBurst(rate) }),
): void {
  const pacers = new Map<string, RequestPacer>();
  const pacing: FinalizeRequestMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next, context) => async (args) => {
    const action = String(context.commandName ?? 'unknown');
    let pacer = pacers.get(action);
    if (!pacer) {
      // The SDK names commands `<Action>Command`; the quotas are by Action.
      const quota = quotaByAction[action.replace(/Command$/, '')] ?? quotaPerSecond;
      pacer = pacerFor(quota * PACING_SHARE_OF_QUOTA);
      pacers.set(action, pacer);
    }
    await pacer.take();
    return next(args);
  };
  iot.middlewareStack.addRelativeTo(pacing, {
    relation: 'after',
    toMiddleware: 'retryMiddleware',
    name: 'certflowRequestPacing',
    override: true,
  });
}
