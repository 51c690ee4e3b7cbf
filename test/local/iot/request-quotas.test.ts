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

  it('limits the Actions certflow calls as the AWS IoT throttling table does by default, and nothing else', () => {
    const quotas = new RequestQuotas(undefined);
    expect(quotas.limits()).toEqual(DEFAULT_QUOTAS);
    expect(DEFAULT_QUOTAS).toEqual({
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
    });
    expect(Array.from({ length: 100 }, () => quotas.tryTake(ACCOUNT, 'CreateKeysAndCertificate', 0)).every(Boolean)).toBe(true);
    expect(Array.from({ length: 100 }, () => quotas.tryTake(ACCOUNT, 'ListThingPrincipalsV2', 0)).every(Boolean)).toBe(true);
  });

  it('throttles the 351st DescribeThing of a second, DescribeThing being the one Action at 350 per second', () => {
    const quotas = new RequestQuotas(undefined);
    expect(Array.from({ length: 350 }, () => quotas.tryTake(ACCOUNT, 'DescribeThing', 0)).every(Boolean)).toBe(true);
    expect(quotas.tryTake(ACCOUNT, 'DescribeThing', 0)).toBe(false);
  });

  it('lifts every limit when configured with false', () => {
    const quotas = new RequestQuotas(false);
    expect(Array.from({ length: 100 }, () => quotas.tryTake(ACCOUNT, 'TransferCertificate', 0)).every(Boolean)).toBe(true);
  });
});
