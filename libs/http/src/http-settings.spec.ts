import { nestingDepth } from './body/json-body';
import { isJsonType } from './body/json-content-type';
import { DEFAULT_RATE_LIMIT, rateLimitFromEnv } from './throttle/rate-limits';

describe('HTTP settings', () => {
  it('isJsonType: application/json and +json types, with parameters; nothing else', () => {
    for (const t of ['application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/merge-patch+json'])
      expect([t, isJsonType(t)]).toEqual([t, true]);
    for (const t of [
      undefined,
      '',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'text/json+xml',
      'application/+json',
      'text/vnd.x+json',
    ]) {
      expect([t, isJsonType(t)]).toEqual([t, false]);
    }
  });

  it('rateLimitFromEnv: RATE_LIMIT and RATE_LIMIT_WINDOW_MS over the given options over the default; bad values name the variable', () => {
    expect(rateLimitFromEnv({})).toEqual(DEFAULT_RATE_LIMIT);
    expect(rateLimitFromEnv({}, { limit: 3 })).toEqual({ limit: 3, ttlMs: DEFAULT_RATE_LIMIT.ttlMs });
    expect(rateLimitFromEnv({ RATE_LIMIT: '10', RATE_LIMIT_WINDOW_MS: '1000' }, { limit: 3 })).toEqual({ limit: 10, ttlMs: 1000 });
    expect(() => rateLimitFromEnv({ RATE_LIMIT: 'many' })).toThrow('RATE_LIMIT must be a positive integer, got "many"');
    expect(() => rateLimitFromEnv({ RATE_LIMIT_WINDOW_MS: '0' })).toThrow('RATE_LIMIT_WINDOW_MS must be a positive integer, got "0"');
  });

  it('nestingDepth: levels of objects and arrays, counted without recursion and only up to the limit', () => {
    expect([null, 'x', 3].map((v) => nestingDepth(v))).toEqual([0, 0, 0]);
    expect(nestingDepth({})).toBe(1);
    expect(nestingDepth({ a: 1, b: [2, { c: [] }] })).toBe(4);
    let deep: object = { end: true };
    for (let i = 1; i < 200_000; i++) deep = { a: deep };
    expect(nestingDepth(deep, 64)).toBe(65);
    expect(nestingDepth(deep)).toBe(200_000);
  });
});
