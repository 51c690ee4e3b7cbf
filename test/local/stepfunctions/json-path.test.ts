import { parsePath, queryPath, setAtReferencePath } from '../../../local/stepfunctions/json-path';
import { type Json } from '../../../local/stepfunctions/json-value';

describe('JSONPath of the States language', () => {
  const data = { a: { b: [10, 20, 30], 'odd key': 'x' }, list: [{ id: 1 }, { id: 2 }] };

  it('selects one value with a definite path, in dot and bracket notation', () => {
    expect(queryPath('$.a.b[1]', data)).toEqual({ found: true, value: 20 });
    expect(queryPath("$['a']['odd key']", data)).toEqual({ found: true, value: 'x' });
    expect(queryPath('$', data)).toEqual({ found: true, value: data });
  });

  it('reports a definite path that selects nothing as not found', () => {
    expect(queryPath('$.a.missing', data)).toEqual({ found: false });
    expect(queryPath('$.a.b[7]', data)).toEqual({ found: false });
  });

  it('returns a list for wildcards, unions, slices and descendants', () => {
    expect(queryPath('$.list[*].id', data)).toEqual({ found: true, value: [1, 2] });
    expect(queryPath('$.a.b[0,2]', data)).toEqual({ found: true, value: [10, 30] });
    expect(queryPath('$.a.b[1:]', data)).toEqual({ found: true, value: [20, 30] });
    expect(queryPath('$..id', data)).toEqual({ found: true, value: [1, 2] });
  });

  // The developer guide's "Paths" page: Step Functions paths use Jayway JsonPath, filters included.
  it('selects the items a filter expression matches', () => {
    const certificates: Json = {
      items: [
        { id: 'a', status: 'ACTIVE', size: 1 },
        { id: 'b', status: 'INACTIVE', size: 3 },
        { id: 'c', status: 'ACTIVE', size: 5, owner: { name: 'x' } },
      ],
    };
    expect(queryPath("$.items[?(@.status == 'ACTIVE')].id", certificates)).toEqual({ found: true, value: ['a', 'c'] });
    expect(queryPath('$.items[?(@.size > 1 && @.size <= 5)].id', certificates)).toEqual({ found: true, value: ['b', 'c'] });
    expect(queryPath("$.items[?(@.size == 1 || @['status'] != 'ACTIVE')].id", certificates)).toEqual({ found: true, value: ['a', 'b'] });
    expect(queryPath('$.items[?(@.owner.name)].id', certificates)).toEqual({ found: true, value: ['c'] });
    expect(queryPath('$.items[?(@.size > 100)]', certificates)).toEqual({ found: true, value: [] });
  });

  it('refuses a malformed filter expression with a clear message', () => {
    expect(() => parsePath('$.list[?(@.id >)]')).toThrow(/filter expression/);
    expect(() => parsePath('$.list[?@.id]')).toThrow(/filter expression/);
  });

  it('writes a result at a reference path without touching the original input', () => {
    const input = { keep: true, nested: { x: 1 } };
    expect(setAtReferencePath(input, '$.nested.result', { ok: 1 })).toEqual({ keep: true, nested: { x: 1, result: { ok: 1 } } });
    expect(setAtReferencePath(input, '$.created.deep', 5)).toEqual({ keep: true, nested: { x: 1 }, created: { deep: 5 } });
    expect(input).toEqual({ keep: true, nested: { x: 1 } });
    expect(setAtReferencePath(input, '$', 'replaced')).toBe('replaced');
  });

  it('refuses to write through a scalar or with a non-reference path', () => {
    expect(() => setAtReferencePath({ a: 'text' }, '$.a.b', 1)).toThrow(/Unable to apply ReferencePath/);
    expect(() => setAtReferencePath({}, '$.a[*]', 1)).toThrow(/not a reference path/);
  });
});
