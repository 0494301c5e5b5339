import { processTag, uniqueId, uniqueIdParts } from './unique-id';

describe('uniqueId', () => {
  test('17 characters [0-9a-z], strictly increasing within a process, time first', () => {
    const before = Date.now();
    const ids = Array.from({ length: 100_000 }, () => uniqueId());
    expect(ids.every((id) => /^[0-9a-z]{17}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.findIndex((id, i) => i > 0 && id <= ids[i - 1])).toBe(-1);
    const ms = parseInt(ids[0].slice(0, 8), 36);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now());
  });

  test('the time part never goes back when the clock does', () => {
    const real = Date.now;
    const first = uniqueId();
    try {
      Date.now = () => real() - 60_000;
      const second = uniqueId();
      expect(second > first).toBe(true);
    } finally {
      Date.now = real;
    }
  });

  test('parts: the time it was made and the tag of this process; null for anything else', () => {
    const before = Date.now();
    const parts = uniqueIdParts(uniqueId());
    expect(parts?.tag).toBe(processTag());
    expect(parts!.ms).toBeGreaterThanOrEqual(before);
    expect(parts!.ms).toBeLessThanOrEqual(Date.now());
    expect(uniqueIdParts('not-an-id')).toBeNull();
    expect(uniqueIdParts('ABCDEFGHIJKLMNOPQ')).toBeNull();
  });
});
