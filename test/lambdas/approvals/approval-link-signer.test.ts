import { randomBytes } from 'node:crypto';
import { ApprovalLinkSigner } from '../../../lambdas/approvals/approval-link-signer';

const signer = new ApprovalLinkSigner(randomBytes(32));
const NOW = new Date('2026-11-24T10:00:00Z');
const claims = { requestId: 'req-42', approver: 'bob@example.com', expiresAt: NOW.getTime() / 1000 + 3600, nonce: ApprovalLinkSigner.newNonce() };

describe('ApprovalLinkSigner', () => {
  it('verifies a link it signed, returning its claims', () => {
    expect(signer.verify(signer.sign(claims), NOW)).toEqual({ valid: true, claims });
  });

  it('refuses a link once it has expired', () => {
    expect(signer.verify(signer.sign(claims), new Date((claims.expiresAt + 1) * 1000))).toEqual({ valid: false, reason: 'expired' });
  });

  it.each([
    ['another request id', { r: 'req-43' }],
    ['another approver', { a: 'mallory@example.com' }],
    ['a later expiry', { e: String(claims.expiresAt + 86400) }],
    ['another nonce', { n: ApprovalLinkSigner.newNonce() }],
    ['another signature', { s: 'A'.repeat(43) }],
  ])('refuses a link with %s as forged', (_, change) => {
    const params = signer.sign(claims);
    for (const [key, value] of Object.entries(change)) params.set(key, value);
    expect(signer.verify(params, NOW)).toEqual({ valid: false, reason: 'forged' });
  });

  it('refuses a link signed with another key as forged', () => {
    const other = new ApprovalLinkSigner(randomBytes(32));
    expect(signer.verify(other.sign(claims), NOW)).toEqual({ valid: false, reason: 'forged' });
  });

  it.each([['r'], ['a'], ['e'], ['n'], ['s']])('refuses a link without %s as malformed', (missing) => {
    const params = signer.sign(claims);
    params.delete(missing);
    expect(signer.verify(params, NOW)).toEqual({ valid: false, reason: 'malformed' });
  });

  it('refuses a key shorter than 32 bytes', () => {
    expect(() => new ApprovalLinkSigner(randomBytes(16))).toThrow('at least 32 bytes');
  });

  it('makes a different nonce for every link', () => {
    expect(new Set(Array.from({ length: 100 }, () => ApprovalLinkSigner.newNonce())).size).toBe(100);
  });
});
