import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a signed approval link carries. The task token never does: it stays server-side. */
export interface ApprovalLinkClaims {
  requestId: string;
  /**
   * Who the link was sent to. Each approver gets a link of their own (one SNS publish
   * per approver, delivered through a subscription filter policy on this address), so
   * holding the link is what identifies the approver.
   */
  approver: string;
  /** Epoch seconds after which the link is refused. */
  expiresAt: number;
  /** Random per link, so no two links are alike; a request is decided once, whichever link decides it. */
  nonce: string;
}

export type LinkVerification =
  | { valid: true; claims: ApprovalLinkClaims }
  | { valid: false; reason: 'malformed' | 'forged' | 'expired' };

const SIGNATURE_VERSION = 'v1';
const MIN_KEY_BYTES = 32;
const REQUEST_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
const NONCE_PATTERN = /^[A-Za-z0-9_-]{22,64}$/;
const APPROVER_MAX_LENGTH = 256;

/**
 * Signs and verifies approval links with HMAC-SHA256. The key comes from Secrets
 * Manager (or SSM) in AWS and from the sandbox's data folder locally.
 */
export class ApprovalLinkSigner {
  constructor(private readonly key: Buffer) {
    if (key.length < MIN_KEY_BYTES) {
      throw new Error(`the approval link signing key must be at least ${MIN_KEY_BYTES} bytes`);
    }
  }

  static newNonce(): string {
    return randomBytes(24).toString('base64url');
  }

  /** Query parameters for the link: `r` request, `a` approver, `e` expiry, `n` nonce, `s` signature. */
  sign(claims: ApprovalLinkClaims): URLSearchParams {
    return new URLSearchParams({
      r: claims.requestId,
      a: claims.approver,
      e: String(claims.expiresAt),
      n: claims.nonce,
      s: this.signature(claims),
    });
  }

  verify(params: URLSearchParams, now: Date = new Date()): LinkVerification {
    const requestId = params.get('r') ?? '';
    const approver = params.get('a') ?? '';
    const expiresText = params.get('e') ?? '';
    const nonce = params.get('n') ?? '';
    const signature = params.get('s') ?? '';
    const approverValid = approver.length > 0 && approver.length <= APPROVER_MAX_LENGTH && !/[\r\n]/.test(approver);
    if (!approverValid || !REQUEST_ID_PATTERN.test(requestId) || !/^[0-9]{1,12}$/.test(expiresText) || !NONCE_PATTERN.test(nonce) || !signature) {
      return { valid: false, reason: 'malformed' };
    }
    const claims: ApprovalLinkClaims = { requestId, approver, expiresAt: Number(expiresText), nonce };
    const expected = Buffer.from(this.signature(claims));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      return { valid: false, reason: 'forged' };
    }
    if (now.getTime() / 1000 >= claims.expiresAt) return { valid: false, reason: 'expired' };
    return { valid: true, claims };
  }

  private signature(claims: ApprovalLinkClaims): string {
    return createHmac('sha256', this.key)
      .update([SIGNATURE_VERSION, claims.requestId, claims.approver, claims.expiresAt, claims.nonce].join('\n'))
      .digest('base64url');
  }
}
