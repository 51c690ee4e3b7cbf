import { callerAccountId } from '../../local/aws-protocol/caller-account';
import { accessKeyIdFor, principalCredentialsFor, principalOfAccessKey, UnsupportedSandboxPrincipal } from '../../local/sandbox-accounts';

describe('sandbox access keys', () => {
  it.each([
    'arn:aws:sts::111111111111:assumed-role/CertflowOperator/alice@example.com',
    'arn:aws:iam::222222222222:user/ops/bob@example.com',
    'arn:aws:iam::111111111111:root',
  ])('names the principal %s, and its account for every other emulator', (arn) => {
    const { accessKeyId } = principalCredentialsFor(arn);
    expect(accessKeyId).toMatch(/^\w{20,128}$/);
    expect(principalOfAccessKey(accessKeyId)?.arn).toBe(arn);
    expect(callerAccountId({ authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20260101/us-east-1/iot/aws4_request` })).toBe(
      arn.split(':')[4],
    );
  });

  it("keeps an account's existing key, which is its root", () => {
    expect(principalCredentialsFor('arn:aws:iam::111111111111:root').accessKeyId).toBe(accessKeyIdFor('111111111111'));
    expect(principalOfAccessKey('AKIA111111111111LOCL')).toEqual({
      accountId: '111111111111',
      arn: 'arn:aws:iam::111111111111:root',
      principalId: '111111111111',
    });
  });

  it('knows no key it did not make', () => {
    expect(principalOfAccessKey('AKIAIOSFODNN7EXAMPLE')).toBeUndefined();
    expect(principalOfAccessKey('ASIA111111111111LOCL')).toBeUndefined();
  });

  it('refuses a principal it cannot encode, saying which it can', () => {
    expect(() => principalCredentialsFor('arn:aws:iam::111111111111:role/Operator')).toThrow(UnsupportedSandboxPrincipal);
    expect(() => principalCredentialsFor(`arn:aws:sts::111111111111:assumed-role/R/${'a'.repeat(64)}@example.com`)).toThrow(/too long/);
  });
});
