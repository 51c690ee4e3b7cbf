import {
  identityKey,
  isListedIdentity,
  parseApproverList,
  parseEmailAddress,
  parseRequester,
  sameIdentity,
} from '../../../lambdas/approvals/approver-identity';
import { ValidationError } from '../../../lambdas/iot-api/field-rules';

function refusal(value: unknown): ValidationError {
  try {
    parseEmailAddress(value, 'requestedBy');
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error(`${JSON.stringify(value)} was accepted`);
}

describe('parseEmailAddress', () => {
  it.each(['approver@example.com', 'Approver.Name+ops@Sub.Example.co.uk', "o'brien@example.com"])(
    'accepts the bare address %s as given',
    (address) => {
      expect(parseEmailAddress(address, 'requestedBy')).toBe(address);
    },
  );

  it('normalizes to NFKC: full-width letters become ASCII', () => {
    expect(parseEmailAddress('\uFF41pprover@example.com', 'requestedBy')).toBe('approver@example.com');
  });

  it.each([
    ['a zero-width space', 'approver@example.com\u200B'],
    ['a left-to-right mark', 'approver\u200E@example.com'],
    ['a byte-order mark', '\uFEFFapprover@example.com'],
    ['a right-to-left override', 'approver@exa\u202Emple.com'],
    ['a bidi isolate', '\u2066approver@example.com\u2069'],
    ['a control character', 'approver@example.com\u0000'],
    ['a soft hyphen', 'appro\u00ADver@example.com'],
  ])('refuses an address with %s, naming the field and the rule', (_, address) => {
    const error = refusal(address);
    expect(error.field).toBe('requestedBy');
    expect(error.rule).toMatch(/invisible/);
  });

  it.each([
    ['a display-name form', 'Name <approver@example.com>', /display-name/],
    ['a bracketed address', '<approver@example.com>', /display-name/],
    ['a quoted local part', '"approver"@example.com', /display-name/],
    ['whitespace inside', 'appro ver@example.com', /whitespace/],
    ['a no-break space', 'approver@example.com\u00A0', /whitespace/],
    ['leading whitespace', ' approver@example.com', /whitespace/],
    ['two @', 'approver@x@example.com', /exactly one @/],
    ['no @', 'approver.example.com', /exactly one @/],
    ['no domain dot', 'approver@localhost', /domain/],
    ['a double dot', 'appro..ver@example.com', /local part/],
    ['a Cyrillic look-alike letter', 'аpprover@example.com', /local part/],
    ['an empty subaddress owner', '+x@example.com', /start with \+/],
    ['a non-string', 42, /required/],
  ])('refuses %s', (_, value, rule) => {
    expect(refusal(value).rule).toMatch(rule);
  });
});

describe('identityKey and sameIdentity', () => {
  it('folds case and the +tag subaddress into one comparison form', () => {
    expect(identityKey('Approver+X@Example.COM')).toBe('approver@example.com');
  });

  it.each(['approver+x@example.com', 'APPROVER@example.com', '\uFF41pprover@example.com'])(
    'takes %s for approver@example.com',
    (variant) => {
      expect(sameIdentity(variant, 'approver@example.com')).toBe(true);
    },
  );

  it('keeps different people apart', () => {
    expect(sameIdentity('approver@example.com', 'approver@example.org')).toBe(false);
    expect(sameIdentity('approver@example.com', 'approverx@example.com')).toBe(false);
    expect(isListedIdentity(['bob@example.com'], 'Bob+cab@example.com')).toBe(true);
    expect(isListedIdentity(['bob@example.com'], 'carol@example.com')).toBe(false);
  });
});

describe('parseRequester', () => {
  it('accepts the offering account as the requester of a target-side review only', () => {
    expect(parseRequester('account 111111111111', 'TARGET')).toBe('account 111111111111');
    expect(() => parseRequester('account 111111111111', 'SOURCE')).toThrow(ValidationError);
  });

  it("accepts the source caller's ARN on both sides (the target sees it in the proposal), and no other text", () => {
    for (const side of ['SOURCE', 'TARGET'] as const) {
      expect(parseRequester('arn:aws:iam::111111111111:root', side)).toBe('arn:aws:iam::111111111111:root');
      expect(() => parseRequester('arn:aws:iam::111111111111:root\nOpen this link', side)).toThrow(ValidationError);
    }
  });
});

describe('parseApproverList', () => {
  it('refuses two spellings of one person', () => {
    expect(() => parseApproverList(['bob@example.com', 'Bob+2@example.com'])).toThrow(
      'approvers[1]: must not name the same person as bob@example.com',
    );
  });

  it('names the item that breaks a rule', () => {
    expect(() => parseApproverList(['bob@example.com', 'Carol <carol@example.com>'])).toThrow(
      /^approvers\[1\]: must be a bare e-mail address/,
    );
  });
});

describe('identityKey of a value stored before requesters were parsed strictly', () => {
  it.each(['approver@example.com\u200B', 'Name <approver@example.com>', 'approver+x@example.com', ' Approver@Example.com '])(
    'still takes %j for approver@example.com',
    (stored) => {
      expect(sameIdentity(stored, 'approver@example.com')).toBe(true);
    },
  );
});
