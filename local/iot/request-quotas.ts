import type { IotOperation } from './iot-operations';

/**
 * Per-account, per-Action request-rate limits, as token buckets: a bucket holds up to
 * `rate` tokens (the burst), refills at `rate` per second, and a request takes one. A
 * request that finds the bucket empty is throttled.
 */
export type QuotaSettings = false | Partial<Record<IotOperation, number>>;

/**
 * Requests per second the Actions certflow calls get by default, as AWS IoT's API
 * throttling table lists them: the "AWS IoT Throttling Limits" table of the developer
 * guide's limits page (awsdocs/aws-iot-docs, developerguide/limits-iot.md, before it
 * moved to the General Reference), with the newer General Reference values where a
 * 2025 copy of it shows them (AttachThingPrincipal, CreateThing, DescribeThingType:
 * 100). Actions in neither table (CreateKeysAndCertificate, ListThingPrincipalsV2,
 * ...) are unlimited here.
 */
export const DEFAULT_QUOTAS: Partial<Record<IotOperation, number>> = {
  TransferCertificate: 10,
  AcceptCertificateTransfer: 10,
  RejectCertificateTransfer: 10,
  CancelCertificateTransfer: 10,
  DescribeCertificate: 10,
  ListCertificates: 10,
  ListOutgoingCertificates: 10,
  UpdateCertificate: 10,
  ListAttachedPolicies: 15,
  ListPrincipalThings: 10,
  AttachPolicy: 15,
  DetachPolicy: 15,
  CreatePolicy: 10,
  GetPolicy: 10,
  ListPolicies: 10,
  ListTargetsForPolicy: 10,
  CreateThing: 100,
  DescribeThing: 350,
  UpdateThing: 10,
  DeleteThing: 15,
  CreateThingType: 15,
  DescribeThingType: 100,
  CreateBillingGroup: 25,
  AttachThingPrincipal: 100,
  DetachThingPrincipal: 15,
  ListThingPrincipals: 10,
  GetRegistrationCode: 10,
  RegisterCACertificate: 10,
  DescribeCACertificate: 10,
  ListCACertificates: 10,
  UpdateCACertificate: 10,
  RegisterCertificate: 10,
  RegisterCertificateWithoutCA: 10,
  ListCertificatesByCA: 10,
};

interface Bucket {
  tokens: number;
  refilledAt: number;
}

export class RequestQuotas {
  private rates: Partial<Record<IotOperation, number>> = {};
  private readonly buckets = new Map<string, Bucket>();

  constructor(settings: QuotaSettings | undefined) {
    this.configure(settings);
  }

  /** Replaces the limits: `false` lifts them all; an object overrides the defaults Action by Action. */
  configure(settings: QuotaSettings | undefined): void {
    this.rates = settings === false ? {} : { ...DEFAULT_QUOTAS, ...(settings ?? {}) };
    this.buckets.clear();
  }

  limits(): Partial<Record<IotOperation, number>> {
    return { ...this.rates };
  }

  /** Takes a token for the request; false means the request is throttled. */
  tryTake(accountId: string, operation: IotOperation, nowMs: number): boolean {
    const rate = this.rates[operation];
    if (rate === undefined || !Number.isFinite(rate)) return true;
    const key = `${accountId}/${operation}`;
    const bucket = this.buckets.get(key) ?? { tokens: rate, refilledAt: nowMs };
    const elapsedSeconds = Math.max(0, nowMs - bucket.refilledAt) / 1000;
    bucket.tokens = Math.min(rate, bucket.tokens + elapsedSeconds * rate);
    bucket.refilledAt = nowMs;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
