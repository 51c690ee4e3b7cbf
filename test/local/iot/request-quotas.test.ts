import { DEFAULT_QUOTAS, RequestQuotas } from '../../../local/iot/request-quotas';

const ACCOUNT = '111111111111';

describe('RequestQuotas', () => {
  it('allows a burst of the rate, then refills at the rate per second', () => {
    const quotas = new RequestQuotas({ TransferCertificate: 4 });
    const taken = Array.from({ length: 6 }, () => quotas.tryTake(ACCOUNT, 'TransferCertificate', 1_000));
    expect(taken).toEqual([true, true, true, true, false, false]);
    expect(quotas.tryTake(ACCOUNT, 'TransferCertificate', 1_200)).toBe(false);
    expect(quotas.tryTake(ACCOUNT, 'TransferCertificate', 1_250)).toBe(true);
    expect(quotas.tryTake(ACCOUNT, 'TransferCertificate', 1_250)).toBe(false);
    expect(quotas.tryTake(ACCOUNT, 'TransferCertificate', 60_000)).toBe(true);
  });

  it('keeps one bucket per account and Action', () => {
    const quotas = new RequestQuotas({ UpdateCertificate: 1 });
    expect(quotas.tryTake(ACCOUNT, 'UpdateCertificate', 0)).toBe(true);
    expect(quotas.tryTake(ACCOUNT, 'UpdateCertificate', 0)).toBe(false);
    expect(quotas.tryTake('222222222222', 'UpdateCertificate', 0)).toBe(true);
    expect(quotas.tryTake(ACCOUNT, 'DescribeCertificate', 0)).toBe(true);
  });

  it('limits the Actions certflow calls as AWS IoT does by default (10 or 15 per second) and nothing else', () => {
    const quotas = new RequestQuotas(undefined);
    expect(quotas.limits()).toEqual(DEFAULT_QUOTAS);
    expect(DEFAULT_QUOTAS).toEqual({
      TransferCertificate: 10, AcceptCertificateTransfer: 10, RejectCertificateTransfer: 10, CancelCertificateTransfer: 10,
      DescribeCertificate: 10, ListCertificates: 10, ListOutgoingCertificates: 10, UpdateCertificate: 10,
      ListAttachedPolicies: 15, ListPrincipalThings: 10, AttachPolicy: 15, DetachPolicy: 15,
    });
    expect(Array.from({ length: 100 }, () => quotas.tryTake(ACCOUNT, 'CreateKeysAndCertificate', 0)).every(Boolean)).toBe(true);
  });

  it('lifts every limit when configured with false', () => {
    const quotas = new RequestQuotas(false);
    expect(Array.from({ length: 100 }, () => quotas.tryTake(ACCOUNT, 'TransferCertificate', 0)).every(Boolean)).toBe(true);
  });
});
