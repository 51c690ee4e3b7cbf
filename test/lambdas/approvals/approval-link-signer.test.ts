import { randomBytes } from 'node:crypto';
import { ApprovalLinkSigner } from '../../../lambdas/approvals/approval-link-signer';

const signer = new ApprovalLinkSigner(randomBytes(32));
const NOW = new Date('2026-11-24T10:00:00Z');
const claims = {
  requestId: 'req-42',
  approver: 'bob@example.com',
  expiresAt: NOW.getTime() / 1000 + 3600,
  nonce: ApprovalLinkSigner.newNonce(),
};

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

describe('ApprovalLinkSigner inbox links', () => {
  const inboxClaims = { approver: 'bob@example.com', expiresAt: claims.expiresAt, nonce: ApprovalLinkSigner.newNonce() };

  it('verifies an inbox link it signed, returning its claims', () => {
    const params = signer.signInbox(inboxClaims);
    expect(params.get('k')).toBe('inbox');
    expect(params.has('r')).toBe(false);
    expect(signer.verifyInbox(params, NOW)).toEqual({ valid: true, claims: inboxClaims });
  });

  it('refuses an inbox link once it has expired', () => {
    expect(signer.verifyInbox(signer.signInbox(inboxClaims), new Date(inboxClaims.expiresAt * 1000))).toEqual({
      valid: false,
      reason: 'expired',
    });
  });

  it.each([
    ['another approver', { a: 'mallory@example.com' }],
    ['a later expiry', { e: String(inboxClaims.expiresAt + 86400) }],
    ['another nonce', { n: ApprovalLinkSigner.newNonce() }],
  ])('refuses an inbox link with %s as forged', (_, change) => {
    const params = signer.signInbox(inboxClaims);
    for (const [key, value] of Object.entries(change)) params.set(key, value);
    expect(signer.verifyInbox(params, NOW)).toEqual({ valid: false, reason: 'forged' });
  });

  it('never accepts an inbox link as a decision link, even with a request id added', () => {
    const inbox = signer.signInbox(inboxClaims);
    expect(signer.verify(inbox, NOW)).toEqual({ valid: false, reason: 'wrong-kind' });
    inbox.delete('k');
    inbox.set('r', 'req-42');
    expect(signer.verify(inbox, NOW)).toEqual({ valid: false, reason: 'forged' });
  });

  it('never accepts a decision link as an inbox link, with or without its request id', () => {
    const decision = signer.sign(claims);
    expect(signer.verifyInbox(decision, NOW)).toEqual({ valid: false, reason: 'wrong-kind' });
    decision.set('k', 'inbox');
    expect(signer.verifyInbox(decision, NOW)).toEqual({ valid: false, reason: 'wrong-kind' });
    decision.delete('r');
    expect(signer.verifyInbox(decision, NOW)).toEqual({ valid: false, reason: 'forged' });
  });

  it('signs the two kinds differently for the same approver, expiry and nonce', () => {
    expect(signer.signInbox(claims).get('s')).not.toBe(signer.sign(claims).get('s'));
  });
});
