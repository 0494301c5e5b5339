import { InvalidOptionError } from '../errors';
import { checkJsonValue, markJsonChecked, stringifyPayload } from './json';

/** The InvalidOptionError `run` throws. */
function refusal(run: () => unknown): InvalidOptionError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionError);
    return error as InvalidOptionError;
  }
  throw new Error('expected an InvalidOptionError');
}

const refused = (value: unknown, path = 'publish.payload') => refusal(() => stringifyPayload(value, path));

describe('stringifyPayload', () => {
  it.each([
    ['NaN', { stats: { avg: NaN } }, 'publish.payload.stats.avg', 'a finite number (JSON writes NaN as null)'],
    ['Infinity', { items: [1, 2, Infinity] }, 'publish.payload.items[2]', 'a finite number (JSON writes Infinity as null)'],
    ['-Infinity', [[-Infinity]], 'publish.payload[0][0]', 'a finite number (JSON writes -Infinity as null)'],
    ['a boxed NaN', { n: new Number(NaN) }, 'publish.payload.n', 'a finite number (JSON writes NaN as null)'],
    ['a Map', { m: new Map([[1, 2]]) }, 'publish.payload.m', 'a plain object or array (JSON writes a Map as {})'],
    ['a Set', { s: [new Set([1])] }, 'publish.payload.s[0]', 'a plain object or array (JSON writes a Set as {})'],
    ['a WeakMap', { w: new WeakMap() }, 'publish.payload.w', 'a plain object or array (JSON writes a WeakMap as {})'],
    ['a WeakSet', { w: new WeakSet() }, 'publish.payload.w', 'a plain object or array (JSON writes a WeakSet as {})'],
    ['a BigInt', { id: 10n }, 'publish.payload.id', 'a JSON-serialisable value (JSON cannot write a BigInt)'],
    ['a NaN at the top', NaN, 'publish.payload', 'a finite number (JSON writes NaN as null)'],
    ['a Map at the top', new Map(), 'publish.payload', 'a plain object or array (JSON writes a Map as {})'],
    ['a key that is no identifier', { 'a b': { 'x.y': NaN } }, 'publish.payload["a b"]["x.y"]', 'a finite number (JSON writes NaN as null)'],
  ])('refuses %s, naming the exact place and what JSON would do', (_what, value, path, expected) => {
    const error = refused(value);
    expect(error).toMatchObject({ path, expected, code: 'INVALID_OPTION' });
    expect(error.message).toMatch(new RegExp(`^${path.replace(/[.[\]$]/g, '\\$&')}: expected `));
  });

  it('refuses a Map subclass even when its own fields would be written (its entries would not)', () => {
    class Registry extends Map<string, number> {
      name = 'reg';
    }
    expect(refused({ r: new Registry([['a', 1]]) }).path).toBe('publish.payload.r');
  });

  it('finds a problem below the depth of the fast walk', () => {
    let deep: Record<string, unknown> = { leaf: NaN };
    for (let i = 0; i < 200; i++) deep = { d: deep };
    expect(refused(deep).path).toBe(`publish.payload${'.d'.repeat(200)}.leaf`);
  });

  it('refuses a circular structure, naming the reference and what it refers back to', () => {
    const root: Record<string, unknown> = { a: { b: [1] } };
    ((root.a as Record<string, unknown>).b as unknown[]).push(root);
    expect(refused(root)).toMatchObject({
      path: 'publish.payload.a.b[1]',
      expected: 'a JSON-serialisable value (a circular reference back to publish.payload)',
    });
    const inner: Record<string, unknown> = {};
    inner.self = inner;
    expect(refused({ x: [inner] }, 'publishBatch[3].payload')).toMatchObject({
      path: 'publishBatch[3].payload.x[0].self',
      expected: 'a JSON-serialisable value (a circular reference back to publishBatch[3].payload.x[0])',
    });
  });

  it('accepts an object met twice that is not its own ancestor', () => {
    const shared = { n: 1 };
    expect(stringifyPayload({ a: shared, b: [shared, shared] }, 'p')).toBe('{"a":{"n":1},"b":[{"n":1},{"n":1}]}');
  });

  it('refuses a function or a symbol as the whole value, and a getter that throws, as a JSON-serialisable value', () => {
    expect(refused(() => 1)).toMatchObject({ path: 'publish.payload', expected: 'a JSON-serialisable value' });
    expect(refused(Symbol('s'))).toMatchObject({ path: 'publish.payload', expected: 'a JSON-serialisable value' });
    const getter = {
      get broken(): number {
        throw new Error('no value');
      },
    };
    expect(refused(getter)).toMatchObject({ path: 'publish.payload', expected: 'a JSON-serialisable value (no value)' });
    const toJson = { toJSON: () => 1n };
    expect(refused(toJson)).toMatchObject({ path: 'publish.payload', expected: 'a JSON-serialisable value (Do not know how to serialize a BigInt)' });
  });

  it('builds the path only when the value is refused', () => {
    const path = jest.fn(() => 'publishBatch[7].payload');
    stringifyPayload({ i: 1, name: 'abc', tags: ['a', 'b'] }, path);
    expect(path).not.toHaveBeenCalled();
    expect(refusal(() => stringifyPayload({ n: NaN }, path)).path).toBe('publishBatch[7].payload.n');
  });

  it('accepts what JSON writes as given, with the same text as JSON.stringify', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    const values: unknown[] = [
      { i: 1, name: 'abc', tags: ['a', 'b'], nothing: null, yes: true },
      { at: new Date(0), buf: Buffer.from('hi'), point: new Point(1, 2) },
      { dropped: undefined, kept: 1 },
      { map: Object.assign(new Map([[1, 2]]), { toJSON: () => [[1, 2]] }) },
      { custom: { toJSON: () => ({ nested: 'x' }) } },
      Object.create(null) as object,
      [1, 'two', [3], { four: 4 }],
      'text',
      -0,
      Number.MAX_VALUE,
      null,
    ];
    for (const value of values) {
      const json = stringifyPayload(value, 'p');
      expect(json).toBe(JSON.stringify(value));
      expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(value)));
    }
  });

  it('writes undefined as null', () => {
    expect(stringifyPayload(undefined, 'p')).toBe('null');
  });

  it('writes a marked object without walking it again: its builder checked it (so a mark must only go on such an object)', () => {
    expect(stringifyPayload(markJsonChecked({ p: NaN }), 'p')).toBe('{"p":null}');
    // the mark is on that object: another with the same contents is walked
    expect(refused({ p: NaN }).path).toBe('publish.payload.p');
  });
});

describe('checkJsonValue', () => {
  it('refuses as stringifyPayload does, writing nothing', () => {
    expect(refusal(() => checkJsonValue({ a: [0, { b: NaN }] }, () => 'dispatch.payload')).path).toBe('dispatch.payload.a[1].b');
    expect(() => checkJsonValue({ a: [0, { b: 1 }] }, 'dispatch.payload')).not.toThrow();
    expect(() => checkJsonValue(null, 'dispatch.payload')).not.toThrow();
  });
});
