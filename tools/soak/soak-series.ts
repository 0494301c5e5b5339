/**
 * Time series of the soak (process RSS, Redis used_memory, key count) and the rule that judges them
 * flat. Only the last half of the load phase is judged (warm-up: caches, JIT and retention windows
 * fill in the first). Two measures of growth over that half: the least-squares line through its
 * samples, and the rise of its floor (the lowest sample of its second half minus the lowest of its
 * first half). A leak raises both; a garbage collector's sawtooth tilts the line but not the floor.
 * The series is flat when the smaller of the two stays within max(relative * mean, absolute).
 */
export interface Sample {
  /** Seconds since the load began. */
  t: number;
  v: number;
}

export interface FlatRule {
  /** Allowed growth over the judged half, as a fraction of its mean. */
  relative: number;
  /** Allowed growth over the judged half, in the series' unit, whatever the mean. */
  absolute: number;
}

export interface Flatness {
  ok: boolean;
  /** Slope of the judged half, per second. */
  slopePerSecond: number;
  /** Growth the slope gives over the judged half. */
  growth: number;
  /** Rise of the floor over the judged half. */
  floorGrowth: number;
  allowed: number;
  mean: number;
  samples: number;
}

/** Judges the last half of `samples` (at least 3 samples needed there; fewer: ok with a note in `samples`). */
export function judgeFlat(samples: Sample[], rule: FlatRule): Flatness {
  if (samples.length === 0) return { ok: true, slopePerSecond: 0, growth: 0, floorGrowth: 0, allowed: rule.absolute, mean: 0, samples: 0 };
  const start = samples[0].t;
  const end = samples[samples.length - 1].t;
  const half = samples.filter((s) => s.t >= start + (end - start) / 2);
  const n = half.length;
  const mean = half.reduce((a, s) => a + s.v, 0) / Math.max(1, n);
  const allowed = Math.max(rule.relative * mean, rule.absolute);
  if (n < 3) return { ok: true, slopePerSecond: 0, growth: 0, floorGrowth: 0, allowed, mean, samples: n };
  const mt = half.reduce((a, s) => a + s.t, 0) / n;
  let num = 0;
  let den = 0;
  for (const s of half) {
    num += (s.t - mt) * (s.v - mean);
    den += (s.t - mt) ** 2;
  }
  const slope = den === 0 ? 0 : num / den;
  const growth = slope * (half[n - 1].t - half[0].t);
  const middle = Math.floor(n / 2);
  const floorGrowth = Math.min(...half.slice(middle).map((s) => s.v)) - Math.min(...half.slice(0, middle).map((s) => s.v));
  return { ok: Math.min(growth, floorGrowth) <= allowed, slopePerSecond: slope, growth, floorGrowth, allowed, mean, samples: n };
}

export const MB = 1024 * 1024;

/** The rules the soak applies (docs/guarantees.md, "Soak"). */
export const RULES = {
  rss: { relative: 0.1, absolute: 24 * MB },
  redisMemory: { relative: 0.1, absolute: 4 * MB },
  keys: { relative: 0.1, absolute: 100 },
} satisfies Record<string, FlatRule>;
