import { evaluateChoiceRule } from '../../../local/state-machines/choice-rules';
import { evaluateIntrinsic } from '../../../local/state-machines/intrinsic-functions';
import { readPath, writePath } from '../../../local/state-machines/json-paths';
import { fillTemplate } from '../../../local/state-machines/payload-templates';

const input = { request: { certificateId: 'abc', tags: ['a', 'b'], 'odd key': 1 }, follow: { waitedSeconds: 60, nextPollSeconds: 120 }, nothing: null };
const context = { Execution: { Id: 'arn:aws:states:us-east-1:111111111111:execution:m:e' }, Task: { Token: 'tok' } };

describe('reference paths', () => {
  it('reads fields, array items, quoted keys and the context object', () => {
    expect(readPath('$.request.certificateId', input, context)).toBe('abc');
    expect(readPath('$.request.tags[1]', input, context)).toBe('b');
    expect(readPath("$.request['odd key']", input, context)).toBe(1);
    expect(readPath('$$.Task.Token', input, context)).toBe('tok');
    expect(readPath('$', input, context)).toBe(input);
  });

  it('fails with States.Runtime when a path is missing, as AWS does', () => {
    expect(() => readPath('$.request.missing', input, context)).toThrow(expect.objectContaining({ name: 'States.Runtime' }));
  });

  it('writes a result at a ResultPath without changing the input, replaces it with $, keeps it with null', () => {
    expect(writePath(input, '$.result.value', 7)).toMatchObject({ request: input.request, result: { value: 7 } });
    expect(input).not.toHaveProperty('result');
    expect(writePath(input, '$', 7)).toBe(7);
    expect(writePath(input, null, 7)).toBe(input);
  });
});

describe('intrinsic functions', () => {
  it.each([
    ["States.Format('account {} waited {}', $.request.certificateId, $.follow.waitedSeconds)", 'account abc waited 60'],
    ['States.MathAdd($.follow.waitedSeconds, $.follow.nextPollSeconds)', 180],
    ['States.ArrayLength($.request.tags)', 2],
    ['States.ArrayPartition(States.Array(1, 2, 3), 2)', [[1, 2], [3]]],
    ["States.StringToJson('{\"a\":1}')", { a: 1 }],
    ['States.JsonToString($.follow)', '{"waitedSeconds":60,"nextPollSeconds":120}'],
    ['States.JsonMerge($.follow, $.request, false)', { waitedSeconds: 60, nextPollSeconds: 120, certificateId: 'abc', tags: ['a', 'b'], 'odd key': 1 }],
    ["States.Base64Encode('certflow')", 'Y2VydGZsb3c='],
    ["States.Hash('x', 'SHA-256')", '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881'],
    ['States.ArrayContains($.request.tags, \'b\')', true],
  ])('evaluates %s', (expression, expected) => {
    expect(evaluateIntrinsic(expression, input, context)).toEqual(expected);
  });

  it('fills a Parameters template, keys ending in .$ from paths and intrinsics', () => {
    expect(fillTemplate({ 'id.$': '$.request.certificateId', 'token.$': '$$.Task.Token', fixed: { side: 'SOURCE' }, 'label.$': "States.Format('c-{}', $.request.certificateId)" }, input, context)).toEqual({
      id: 'abc',
      token: 'tok',
      fixed: { side: 'SOURCE' },
      label: 'c-abc',
    });
  });

  it('refuses an unknown function and a malformed call', () => {
    expect(() => evaluateIntrinsic('States.Teleport(1)', input, context)).toThrow('States.Teleport is not supported');
    expect(() => evaluateIntrinsic("States.Format('x'", input, context)).toThrow(expect.objectContaining({ name: 'States.IntrinsicFailure' }));
  });
});

describe('Choice rules', () => {
  it.each([
    [{ Variable: '$.request.certificateId', StringEquals: 'abc' }, true],
    [{ Variable: '$.follow.waitedSeconds', NumericGreaterThanEqualsPath: '$.follow.nextPollSeconds' }, false],
    [{ Variable: '$.request.certificateId', StringMatches: 'a*' }, true],
    [{ Variable: '$.nothing', IsNull: true }, true],
    [{ Variable: '$.request.tags[5]', IsPresent: false }, true],
    [{ And: [{ Variable: '$.follow.waitedSeconds', NumericEquals: 60 }, { Not: { Variable: '$.request.certificateId', StringEquals: 'x' } }] }, true],
    [{ Or: [{ Variable: '$.follow.waitedSeconds', NumericLessThan: 10 }, { Variable: '$.request.certificateId', StringEquals: 'x' }] }, false],
    [{ Variable: '$.request.certificateId', NumericEquals: 1 }, false],
  ])('%j is %s', (rule, expected) => {
    expect(evaluateChoiceRule(rule, input, context)).toBe(expected);
  });
});
