import { evaluateIntrinsic } from '../../../local/stepfunctions/intrinsic-functions';
import { type Json } from '../../../local/stepfunctions/json-value';
import { queryPath } from '../../../local/stepfunctions/json-path';

const input = { name: 'cert-1', n: 3, list: [1, 2, 2, 3], json: '{"a":1}', obj: { a: 1, b: 2 } };
const evaluate = (expression: string): Json =>
  evaluateIntrinsic(expression, (path) => {
    const found = queryPath(path, input);
    if (!found.found) throw new Error(`no ${path}`);
    return found.value;
  });

describe('intrinsic functions', () => {
  it('formats strings with {} placeholders and escapes', () => {
    expect(evaluate("States.Format('id={} n={}', $.name, $.n)")).toBe('id=cert-1 n=3');
    expect(evaluate("States.Format('literal \\{\\} and {}', 'x')")).toBe('literal {} and x');
  });

  it('writes object and array arguments of States.Format as AWS prints them (Java map and list style)', () => {
    expect(evaluate("States.Format('{}', $.obj)")).toBe('{a=1, b=2}');
    expect(evaluate("States.Format('{} {} {}', $.list, true, null)")).toBe('[1, 2, 2, 3] true null');
  });

  it("refuses an escape other than \\' \\{ \\} \\\\ in an intrinsic string", () => {
    expect(() => evaluate("States.Format('a\\nb')")).toThrow(/not an escape/);
    expect(evaluate("States.Format('it\\'s \\\\ {}', 'x')")).toBe("it's \\ x");
  });

  it('rounds non-integer arguments of States.MathAdd and States.MathRandom to the nearest integer', () => {
    expect(evaluate('States.MathAdd(1.4, 2.5)')).toBe(4);
    expect(evaluate('States.MathAdd(-2.5, 0)')).toBe(-2);
    for (let draw = 0; draw < 20; draw++) expect(evaluate('States.MathRandom(0.6, 2.4)')).toBe(1);
    expect(evaluate('States.MathRandom(1, 1000, 7.2)')).toBe(evaluate('States.MathRandom(1, 1000, 7)'));
  });

  it('turns an empty string into null with States.StringToJson', () => {
    expect(evaluate("States.StringToJson('')")).toBeNull();
  });

  it('converts between JSON text and values', () => {
    expect(evaluate('States.StringToJson($.json)')).toEqual({ a: 1 });
    expect(evaluate('States.JsonToString($.obj)')).toBe('{"a":1,"b":2}');
  });

  it('builds, partitions and inspects arrays', () => {
    expect(evaluate("States.Array(1, 'two', $.n, null)")).toEqual([1, 'two', 3, null]);
    expect(evaluate('States.ArrayPartition($.list, 3)')).toEqual([[1, 2, 2], [3]]);
    expect(evaluate('States.ArrayContains($.list, 3)')).toBe(true);
    expect(evaluate('States.ArrayRange(1, 9, 2)')).toEqual([1, 3, 5, 7, 9]);
    expect(evaluate('States.ArrayGetItem($.list, 3)')).toBe(3);
    expect(evaluate('States.ArrayLength($.list)')).toBe(4);
    expect(evaluate('States.ArrayUnique($.list)')).toEqual([1, 2, 3]);
    expect(() => evaluate('States.ArrayGetItem($.list, 9)')).toThrow(/out of bounds/);
  });

  it('encodes, decodes and hashes', () => {
    expect(evaluate("States.Base64Encode('hello')")).toBe('aGVsbG8=');
    expect(evaluate("States.Base64Decode('aGVsbG8=')")).toBe('hello');
    expect(evaluate("States.Hash('hello', 'SHA-256')")).toBe('2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
    expect(() => evaluate("States.Hash('hello', 'SHA-3')")).toThrow(/algorithm/);
  });

  it('merges objects shallowly, adds, splits and makes random numbers and UUIDs', () => {
    expect(evaluate('States.JsonMerge($.obj, States.StringToJson(\'{"b":9,"c":3}\'), false)')).toEqual({ a: 1, b: 9, c: 3 });
    expect(evaluate('States.MathAdd($.n, -5)')).toBe(-2);
    expect(evaluate("States.StringSplit('a,b+c', ',+')")).toEqual(['a', 'b', 'c']);
    const random = evaluate('States.MathRandom(5, 10)') as number;
    expect(random).toBeGreaterThanOrEqual(5);
    expect(random).toBeLessThan(10);
    expect(evaluate('States.MathRandom(0, 1000, 42)')).toBe(evaluate('States.MathRandom(0, 1000, 42)'));
    expect(evaluate('States.UUID()')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('nests calls, as in the developer guide example', () => {
    expect(evaluate("States.ArrayGetItem(States.StringSplit(States.Format('{}.x.y', $.name), '.'), 2)")).toBe('y');
  });
});
