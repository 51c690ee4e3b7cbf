import { choiceRuleMatches, stringMatches, type ChoiceRule } from '../../../local/stepfunctions/choice-rules';

const input = { status: 'ACTIVE', count: 3, flag: true, when: '2024-05-01T10:00:00Z', limit: 5, nothing: null };
const matches = (rule: ChoiceRule) => choiceRuleMatches(rule, { input, context: {} });

describe('Choice rules', () => {
  it('compares strings, numbers, booleans and timestamps, directly and by path', () => {
    expect(matches({ Variable: '$.status', StringEquals: 'ACTIVE' })).toBe(true);
    expect(matches({ Variable: '$.status', StringLessThan: 'B' })).toBe(true);
    expect(matches({ Variable: '$.count', NumericGreaterThanEquals: 3 })).toBe(true);
    expect(matches({ Variable: '$.count', NumericLessThanPath: '$.limit' })).toBe(true);
    expect(matches({ Variable: '$.flag', BooleanEquals: true })).toBe(true);
    expect(matches({ Variable: '$.when', TimestampGreaterThan: '2024-01-01T00:00:00Z' })).toBe(true);
  });

  it('is false, not an error, when the types differ', () => {
    expect(matches({ Variable: '$.count', StringEquals: '3' })).toBe(false);
  });

  it('combines rules with And, Or and Not', () => {
    expect(
      matches({ And: [{ Variable: '$.flag', BooleanEquals: true }, { Not: { Variable: '$.status', StringEquals: 'REVOKED' } }] }),
    ).toBe(true);
    expect(
      matches({
        Or: [
          { Variable: '$.count', NumericEquals: 0 },
          { Variable: '$.count', NumericEquals: 1 },
        ],
      }),
    ).toBe(false);
  });

  it('tests presence, null and types', () => {
    expect(matches({ Variable: '$.missing', IsPresent: false })).toBe(true);
    expect(matches({ Variable: '$.nothing', IsNull: true })).toBe(true);
    expect(matches({ Variable: '$.count', IsNumeric: true })).toBe(true);
    expect(matches({ Variable: '$.when', IsTimestamp: true })).toBe(true);
  });

  it('fails with States.Runtime when a compared variable is missing', () => {
    expect(() => matches({ Variable: '$.missing', StringEquals: 'x' })).toThrow(expect.objectContaining({ error: 'States.Runtime' }));
  });

  it('matches * wildcards and escaped characters in StringMatches', () => {
    expect(stringMatches('log-2024.txt', 'log-*.txt')).toBe(true);
    expect(stringMatches('a*b', 'a\\*b')).toBe(true);
    expect(stringMatches('axb', 'a\\*b')).toBe(false);
  });
});
