import { WAIT_BUCKETS_MS, WaitWindow, waitQuantileMs } from './wait-window';

describe('WaitWindow', () => {
  test('counts per bucket over the last minute; older slots drop out', () => {
    const w = new WaitWindow();
    const t0 = 1_000_000_000_000;
    w.record(3, t0);
    w.record(7, t0 + 1000);
    w.record(999_999, t0 + 2000);
    const counts = w.counts(t0 + 2000);
    expect(counts).toHaveLength(WAIT_BUCKETS_MS.length + 1);
    expect(counts[0]).toBe(1);
    expect(counts[1]).toBe(1);
    expect(counts[WAIT_BUCKETS_MS.length]).toBe(1);
    expect(w.counts(t0 + 61_000).reduce((a, b) => a + b, 0)).toBe(0);
    w.record(40, t0 + 61_000);
    expect(w.counts(t0 + 61_000)[3]).toBe(1);
  });

  test('quantiles are bucket upper bounds; null without samples or past the last bound', () => {
    const counts = new Array<number>(WAIT_BUCKETS_MS.length + 1).fill(0);
    expect(waitQuantileMs(counts, 0.5)).toBeNull();
    counts[0] = 90; // <= 5 ms
    counts[6] = 10; // <= 500 ms
    expect(waitQuantileMs(counts, 0.5)).toBe(5);
    expect(waitQuantileMs(counts, 0.95)).toBe(500);
    counts[WAIT_BUCKETS_MS.length] = 1000;
    expect(waitQuantileMs(counts, 0.95)).toBeNull();
  });
});
