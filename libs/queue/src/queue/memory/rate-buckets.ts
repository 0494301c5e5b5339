import type { Deque } from '../../util/deque';
import { decodeHeader } from '../message-codec';
import type { RateLimitSpec } from '../queue-store';
import type { HeadTake } from './memory-groups';

/** Most entries of one tier a rate-limited take looks at (as RATE_SCAN in redis/lua/includes/rate-limit.lua). */
export const RATE_SCAN = 256;
/** Parked entries a fetch looks at to tell whether a tier it did not take from has a message with a token (as RATE_CHUNK in rate-limit.lua). */
export const RATE_CHUNK = 32;

interface Bucket {
  interval: number;
  perMs: number;
  tat: number;
}

/**
 * The token buckets of one fetch in the memory store, as `rate-limit.lua` keeps them in Redis: GCRA
 * (a theoretical arrival time per limit), one token every `perMs / max` ms, at most `max` held.
 */
export class RateBuckets {
  /** ms until the next token a skipped message waits for (null: none). */
  due: number | null = null;
  readonly queue: Bucket | null;
  private readonly types = new Map<string, Bucket>();

  constructor(
    specs: readonly RateLimitSpec[],
    private readonly state: Map<string, number>,
    private readonly now: number,
  ) {
    let queue: Bucket | null = null;
    for (const s of specs) {
      const bucket = { interval: s.perMs / s.max, perMs: s.perMs, tat: Math.max(now, state.get(s.name) ?? now) };
      if (s.name === '*') queue = bucket;
      else this.types.set(s.name, bucket);
    }
    this.queue = queue;
  }

  get typed(): boolean {
    return this.types.size > 0;
  }

  bucketOf(type: string | null): Bucket | null {
    return type === null ? null : (this.types.get(type) ?? null);
  }

  available(b: Bucket): number {
    return Math.floor((this.now + b.perMs - b.tat) / b.interval + 1e-9);
  }

  spend(b: Bucket): void {
    b.tat += b.interval;
  }

  /** Notes when the bucket's next token is due. */
  wait(b: Bucket): void {
    const v = Math.max(0, Math.ceil(b.tat + b.interval - b.perMs - this.now));
    if (this.due === null || v < this.due) this.due = v;
  }

  /** Whether some limited type has a token now (else parked ids hold nothing takeable). */
  anyTypeToken(): boolean {
    for (const b of this.types.values()) if (this.available(b) >= 1) return true;
    return false;
  }

  /** Notes the next token of every limited type that has none now (messages of it may be parked). */
  waitEmpty(): void {
    for (const b of this.types.values()) if (this.available(b) < 1) this.wait(b);
  }

  save(specs: readonly RateLimitSpec[]): void {
    for (const s of specs) {
      const b = s.name === '*' ? this.queue : this.types.get(s.name);
      if (b) this.state.set(s.name, Math.round(b.tat * 1000) / 1000);
    }
  }
}

/** Parked ids per task type over at most `scanMax` of them, tiers in order (as rate-state.lua). */
export function parkedByType(
  parked: readonly Deque<string>[],
  msgs: ReadonlyMap<string, string>,
  scanMax: number,
): { counts: Record<string, number>; looked: number } {
  const counts: Record<string, number> = {};
  let looked = 0;
  for (const list of parked) {
    for (const id of list) {
      if (looked >= scanMax) return { counts, looked };
      looked++;
      const body = msgs.get(id);
      const type = body === undefined ? null : (decodeHeader(body)?.header.type ?? null);
      if (type !== null) counts[type] = (counts[type] ?? 0) + 1;
    }
  }
  return { counts, looked };
}

/**
 * A group's head within the rate limits (memory store), as groupHeadTake in group-take.lua: FIFO
 * inside the group, so a head of a limited type without a token holds the group's turn. `typeOf`
 * reads a message's type; `blocked` is set for every tier when the whole-queue limit runs out.
 */
export function groupHeadTake(rate: RateBuckets | null, blocked: boolean[], typeOf: (id: string) => string | null): HeadTake {
  return (list, want) => {
    const ids: string[] = [];
    if (rate?.queue) {
      want = Math.min(want, rate.available(rate.queue));
      if (want <= 0) {
        rate.wait(rate.queue);
        blocked.fill(true);
        return { ids, held: true };
      }
    }
    let held = false;
    while (ids.length < want && list.length > 0) {
      const bucket = rate?.typed ? rate.bucketOf(typeOf(list.peek()!)) : null;
      if (bucket && rate) {
        if (rate.available(bucket) < 1) {
          rate.wait(bucket);
          held = true;
          break;
        }
        rate.spend(bucket);
      }
      ids.push(list.shift()!);
    }
    if (rate?.queue) {
      for (let i = 0; i < ids.length; i++) rate.spend(rate.queue);
      if (rate.available(rate.queue) <= 0) {
        rate.wait(rate.queue);
        blocked.fill(true);
      }
    }
    return { ids, held };
  };
}
