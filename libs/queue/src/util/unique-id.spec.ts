import { uniqueId } from './unique-id';

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
});
