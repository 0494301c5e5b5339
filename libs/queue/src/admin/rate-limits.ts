import type { StoreBackedQueue } from '../queue/task-queue';
import type { StoredRateState } from '../queue/queue-store';
import { PRIORITIES, Priority } from '../queue/queue.types';
import type { QueueWorkerInfo } from '../queue/queue-inspection.types';

/** One rate limit of a queue and its token bucket now (docs/queue.md, "Rate limits"). */
export interface RateLimitInfo {
  /** '*' the whole queue, else a task type. */
  name: string;
  scope: 'queue' | 'type';
  /**
   * The limit: what the live workers keep (from their heartbeats; the most common one when they
   * differ), else the configuration. Null when only the store's bucket is known (a limit of an
   * earlier run, or of workers whose heartbeats are gone).
   */
  max: number | null;
  perMs: number | null;
  /** Named by the configuration read here (`queues.<name>.rate_limit` / `rate_limits`). */
  configured: boolean;
  /** Live workers keeping it. */
  workers: number;
  /** The workers and the configuration do not all agree on `max` / `perMs`. */
  mismatch: boolean;
  /** Tokens available now (0..max; null when the limit is unknown). */
  tokens: number | null;
  /** ms until the next token (0: one is available now; null: unknown). */
  nextTokenInMs: number | null;
  /** ms until the bucket is full (0: full; null: unknown). */
  fullInMs: number | null;
  /** Messages of the type parked waiting for a token (type limits; null when not counted). */
  parked: number | null;
}

/** The rate limits of a queue and the messages parked behind them. */
export interface QueueRateLimits {
  queue: string;
  /** The store's clock at the read (ms). */
  at: number;
  limits: RateLimitInfo[];
  parked: {
    /** Parked messages (they also count in their tier's depth). */
    total: number;
    tiers: Record<Priority, number>;
    /** Per task type, over the first `counted` parked messages (tiers in order, head first). */
    byType: Record<string, number>;
    counted: number;
  };
}

interface Spec {
  max: number;
  perMs: number;
}

/**
 * The rate limits of a queue: those of its options (the configuration) and of its live workers,
 * with the store's token buckets (tokens now, next token, full again) and the parked messages,
 * counted per type over at most `scanMax` of them (0: per tier only, `parked` of each limit null).
 */
export async function readRateLimits(queue: StoreBackedQueue, workers: QueueWorkerInfo[], scanMax = 10_000): Promise<QueueRateLimits> {
  const state = await queue.rateState(scanMax);
  const configured = new Map<string, Spec>();
  if (queue.options.rateLimit) configured.set('*', queue.options.rateLimit);
  for (const [type, limit] of Object.entries(queue.options.rateLimits)) configured.set(type, limit);
  const kept = new Map<string, Spec[]>();
  for (const w of workers) {
    for (const l of w.rateLimits) kept.set(l.name, [...(kept.get(l.name) ?? []), { max: l.max, perMs: l.perMs }]);
  }
  const names = [...new Set([...configured.keys(), ...kept.keys(), ...Object.keys(state.tats)])].sort((a, b) =>
    a === '*' ? -1 : b === '*' ? 1 : a < b ? -1 : a > b ? 1 : 0,
  );
  const complete = state.looked >= state.parked.reduce((a, b) => a + b, 0);
  const limits = names.map((name) => limitInfo(name, configured.get(name), kept.get(name) ?? [], state, scanMax > 0 || complete));
  const tiers = {} as Record<Priority, number>;
  PRIORITIES.forEach((p, i) => (tiers[p] = state.parked[i]));
  return {
    queue: queue.options.name,
    at: state.now,
    limits,
    parked: { total: state.parked.reduce((a, b) => a + b, 0), tiers, byType: state.parkedByType, counted: state.looked },
  };
}

function limitInfo(name: string, configured: Spec | undefined, kept: Spec[], state: StoredRateState, counted: boolean): RateLimitInfo {
  const spec = mostCommon(kept) ?? configured ?? null;
  const all = [...kept, ...(configured ? [configured] : [])];
  const mismatch = all.some((s) => s.max !== all[0].max || s.perMs !== all[0].perMs);
  const base = {
    name,
    scope: name === '*' ? ('queue' as const) : ('type' as const),
    configured: configured !== undefined,
    workers: kept.length,
    mismatch,
    parked: name === '*' ? null : counted ? (state.parkedByType[name] ?? 0) : null,
  };
  if (!spec) return { ...base, max: null, perMs: null, tokens: null, nextTokenInMs: null, fullInMs: null };
  return { ...base, max: spec.max, perMs: spec.perMs, ...bucketNow(spec, state.tats[name], state.now) };
}

/**
 * The GCRA bucket of `spec` (as rate-limit.lua keeps it): one token every perMs / max ms, at most
 * max held; `tat` is its theoretical arrival time (absent: never used, full).
 */
export function bucketNow(spec: Spec, tat: number | undefined, now: number): { tokens: number; nextTokenInMs: number; fullInMs: number } {
  const interval = spec.perMs / spec.max;
  const t = Math.max(now, tat ?? now);
  const tokens = Math.min(spec.max, Math.max(0, Math.floor((now + spec.perMs - t) / interval + 1e-9)));
  return {
    tokens,
    nextTokenInMs: tokens >= 1 ? 0 : Math.max(0, Math.ceil(t + interval - spec.perMs - now)),
    fullInMs: Math.max(0, Math.ceil(t - now)),
  };
}

function mostCommon(specs: Spec[]): Spec | undefined {
  let best: Spec | undefined;
  let bestCount = 0;
  for (const s of specs) {
    const n = specs.filter((o) => o.max === s.max && o.perMs === s.perMs).length;
    if (n > bestCount) [best, bestCount] = [s, n];
  }
  return best;
}
