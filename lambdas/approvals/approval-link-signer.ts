import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a signed approval (decision) link carries. The task token never does: it stays server-side. */
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

/** What a signed inbox link carries: whose pending requests it lists, until when. It names no request. */
export type InboxLinkClaims = Omit<ApprovalLinkClaims, 'requestId'>;

/** `wrong-kind`: a valid-looking link of the other kind (an inbox link on the decision page, or the reverse). */
export type LinkRefusal = 'malformed' | 'forged' | 'expired' | 'wrong-kind';

export type LinkVerification = { valid: true; claims: ApprovalLinkClaims } | { valid: false; reason: LinkRefusal };
export type InboxLinkVerification = { valid: true; claims: InboxLinkClaims } | { valid: false; reason: LinkRefusal };

/**
 * Each link kind signs under its own version tag, so a decision link's signature can never
 * verify as an inbox link's or the reverse. No signed field may hold a line break (the
 * patterns below), so two signed texts of different kinds can never be equal either.
 */
const DECISION_SIGNATURE_VERSION = 'v1';
const INBOX_SIGNATURE_VERSION = 'v1-inbox';
/** The `k` parameter of an inbox link; a decision link has none. */
export const INBOX_LINK_KIND = 'inbox';
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

  /** Query parameters for a decision link: `r` request, `a` approver, `e` expiry, `n` nonce, `s` signature. */
  sign(claims: ApprovalLinkClaims): URLSearchParams {
    return new URLSearchParams({
      r: claims.requestId,
      a: claims.approver,
      e: String(claims.expiresAt),
      n: claims.nonce,
      s: this.signature([DECISION_SIGNATURE_VERSION, claims.requestId, claims.approver, claims.expiresAt, claims.nonce]),
    });
  }

  /** Query parameters for an inbox link: `k=inbox`, `a` approver, `e` expiry, `n` nonce, `s` signature. */
  signInbox(claims: InboxLinkClaims): URLSearchParams {
    return new URLSearchParams({
      k: INBOX_LINK_KIND,
      a: claims.approver,
      e: String(claims.expiresAt),
      n: claims.nonce,
      s: this.signature([INBOX_SIGNATURE_VERSION, claims.approver, claims.expiresAt, claims.nonce]),
    });
  }

  verify(params: URLSearchParams, now: Date = new Date()): LinkVerification {
    if (params.has('k')) return { valid: false, reason: 'wrong-kind' };
    const requestId = params.get('r') ?? '';
    const common = commonClaims(params);
    if (!common || !REQUEST_ID_PATTERN.test(requestId)) return { valid: false, reason: 'malformed' };
    const claims: ApprovalLinkClaims = { requestId, ...common.claims };
    const expected = this.signature([DECISION_SIGNATURE_VERSION, requestId, claims.approver, claims.expiresAt, claims.nonce]);
    return this.checked(expected, common.signature, claims, now);
  }

  verifyInbox(params: URLSearchParams, now: Date = new Date()): InboxLinkVerification {
    if (params.get('k') !== INBOX_LINK_KIND || params.has('r')) return { valid: false, reason: 'wrong-kind' };
    const common = commonClaims(params);
    if (!common) return { valid: false, reason: 'malformed' };
    const { claims } = common;
    const expected = this.signature([INBOX_SIGNATURE_VERSION, claims.approver, claims.expiresAt, claims.nonce]);
    return this.checked(expected, common.signature, claims, now);
  }

  private checked<Claims extends InboxLinkClaims>(
    expectedSignature: string,
    givenSignature: string,
    claims: Claims,
    now: Date,
  ): { valid: true; claims: Claims } | { valid: false; reason: LinkRefusal } {
    const expected = Buffer.from(expectedSignature);
    const given = Buffer.from(givenSignature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { valid: false, reason: 'forged' };
    if (now.getTime() / 1000 >= claims.expiresAt) return { valid: false, reason: 'expired' };
    return { valid: true, claims };
  }

  private signature(fields: Array<string | number>): string {
    return createHmac('sha256', this.key).update(fields.join('\n')).digest('base64url');
  }
}

/** The fields both link kinds carry, checked for shape; undefined when any is missing or malformed. */
function commonClaims(params: URLSearchParams): { claims: InboxLinkClaims; signature: string } | undefined {
  const approver = params.get('a') ?? '';
  const expiresText = params.get('e') ?? '';
  const nonce = params.get('n') ?? '';
  const signature = params.get('s') ?? '';
  const approverValid = approver.length > 0 && approver.length <= APPROVER_MAX_LENGTH && !/[\r\n]/.test(approver);
  if (!approverValid || !/^[0-9]{1,12}$/.test(expiresText) || !NONCE_PATTERN.test(nonce) || !signature) return undefined;
  return { claims: { approver, expiresAt: Number(expiresText), nonce }, signature };
}
