import type { Deque } from '../../util/deque';
import { uniqueId } from '../../util/unique-id';
import { groupHeadTake, RATE_CHUNK, RATE_SCAN, RateBuckets } from './rate-buckets';
import type { FetchResult, RateLimitSpec } from '../queue-store';
import type { MemoryDeadLetters } from './memory-dead-letters';
import type { MemoryQueueState } from './memory-state';
import { advanceDraw } from '../weighted-draw';

/**
 * The fetch of the memory store ({@link QueueStore.fetch}), step for step what fetch.lua does:
 * due delayed messages to their tier, expired leases back (or dead-lettered past maxRetries), then
 * the take in strict or weighted priority, within the groups' rotation and the rate limits.
 */
export class MemoryFetch {
  constructor(
    private readonly state: MemoryQueueState,
    private readonly deadLetters: MemoryDeadLetters,
  ) {}

  fetch(max: number, leaseMs: number, weights: number[] | null, random: number, limits: readonly RateLimitSpec[]): FetchResult {
    const s = this.state;
    const now = Date.now();
    for (const [id] of s.delayed.takeDue(now)) s.ready(id, false);
    this.expireLeases(now);
    if (s.paused) return { paused: true, nextWakeMs: s.nextWake(now), deliveries: [], tiersLeft: 0 };

    const taken: string[] = [];
    const rate = limits.length > 0 ? new RateBuckets(limits, s.buckets, now) : null;
    if (!rate) this.unpark();
    const blocked = [false, false, false, false];
    const more = [false, false, false, false];
    const held = [0, 0, 0, 0];
    // tiers whose rate-limited take ran (rate-limit.lua's rateLooked): what the others hold parked is reported below
    const looked = [false, false, false, false];
    const takeUngrouped = (t: number, count: number, into: string[]): void => {
      if (rate) {
        looked[t] = true;
        this.rateTake(rate, t, count, into, blocked, more);
      } else for (let i = 0; i < count && s.tiers[t].length > 0; i++) into.push(s.tiers[t].shift()!);
    };
    const takeFrom = (t: number, count: number): void => {
      if (!s.groups.ringed(t)) return takeUngrouped(t, count, taken);
      const got = s.groups.take(
        t,
        count,
        s.limits.groupConcurrency ?? 0,
        (n) => {
          const into: string[] = [];
          takeUngrouped(t, n, into);
          return into;
        },
        () => s.tiers[t].length > 0 || (rate !== null && rate.typed && s.parked[t].length > 0),
        groupHeadTake(rate, blocked, (id) => s.typeOf(id)),
        (id, group) => s.inflightGroup.set(id, group),
      );
      held[t] = got.held;
      for (const id of got.ids) taken.push(id);
    };
    if (!weights) {
      for (let t = 0; t < 4 && taken.length < max; t++) takeFrom(t, max - taken.length);
    } else {
      // parked messages count for the draw while a limited type has a token (else a backlog that is all parked is never drawn)
      const counts = this.weightedCounts(max, weights, random, rate?.typed && rate.anyTypeToken() ? s.parked : null);
      for (let t = 0; t < 4; t++) if (counts[t] > 0) takeFrom(t, counts[t]);
    }
    if (rate) {
      if (rate.typed && s.parked.some((p) => p.length > 0)) rate.waitEmpty();
      // parked messages no take looked at (a look for 0, tiers past a full take) that have a token now: reported as left
      if (rate.typed && rate.anyTypeToken()) for (let t = 0; t < 4; t++) if (!looked[t] && this.parkedTakeable(rate, t)) more[t] = true;
      rate.save(limits);
    }
    const tiersLeft = s.tiers.reduce(
      (mask, tier, t) => ((tier.length > 0 || more[t] || s.groups.readyGroups(t) > held[t]) && !blocked[t] ? mask | (1 << t) : mask),
      0,
    );
    const nextWake = (): number | null => {
      const wake = s.nextWake(now);
      if (rate?.due == null) return wake;
      return wake === null ? rate.due : Math.min(wake, rate.due);
    };
    if (taken.length === 0) return { paused: false, nextWakeMs: nextWake(), deliveries: [], tiersLeft };
    const lease = uniqueId();
    for (const id of taken) {
      s.inflight.set(id, now + leaseMs);
      s.leases.set(id, lease);
    }
    if (taken.length === max && tiersLeft !== 0) s.wakeOne();
    return {
      paused: false,
      tiersLeft,
      nextWakeMs: taken.length < max ? nextWake() : null,
      deliveries: taken.map((id) => ({ id, body: s.msgs.get(id) ?? null, attempt: (s.att.get(id) ?? 0) + 1, lease })),
    };
  }

  /** Expired leases end their attempt: back to the head of their tier, or dead-lettered (dropped) past maxRetries. */
  private expireLeases(now: number): void {
    const s = this.state;
    for (const [id] of s.inflight.takeDue(now)) {
      s.leases.delete(id);
      s.progressOf.delete(id);
      s.groupEnded(id);
      s.count('failed', 1);
      const ended = (s.att.get(id) ?? 0) + 1;
      s.att.set(id, ended);
      const maxRetries = s.maxRetriesOf(id);
      if (maxRetries >= 0 && ended > maxRetries) {
        const info = JSON.stringify({
          reason: 'lease expired on every attempt (worker crashed or stalled)',
          attempts: ended,
          deadAt: now,
          error: { name: 'LeaseExpiredError', message: `lease expired after attempt ${ended}` },
        });
        if (s.deadLetterEnabled) this.deadLetters.add(id, info, now);
        else s.drop(id);
      } else {
        s.ready(id, true);
        s.count('retried', 1);
      }
    }
  }

  /** How many of `max` to take per tier in weighted mode: the golden-ratio draw from `random` over the tiers with ready messages left. */
  private weightedCounts(max: number, weights: number[], random: number, parked: ReadonlyArray<Deque<string>> | null): number[] {
    const counts = [0, 0, 0, 0];
    const ready = [0, 1, 2, 3].map((t) => this.readyAtLeast(t) + (parked ? parked[t].length : 0));
    let x = random;
    for (let i = 0; i < max; i++) {
      let total = 0;
      for (let t = 0; t < 4; t++) if (ready[t] > counts[t]) total += weights[t];
      if (total === 0) break;
      x = advanceDraw(x, 1);
      let r = x * total;
      for (let t = 0; t < 4; t++) {
        if (ready[t] > counts[t]) {
          r -= weights[t];
          if (r < 0) {
            counts[t]++;
            break;
          }
        }
      }
    }
    return counts;
  }

  /**
   * Takes up to `count` ids from the head of tier `t` within the rate limits, as rate-limit.lua:
   * ids whose type has no token now keep their place; at most RATE_SCAN entries are looked at.
   */
  private rateTake(rate: RateBuckets, t: number, count: number, taken: string[], blocked: boolean[], more: boolean[]): void {
    const s = this.state;
    if (rate.queue) {
      count = Math.min(count, rate.available(rate.queue));
      if (count <= 0) {
        rate.wait(rate.queue);
        blocked.fill(true);
        return;
      }
    }
    const before = taken.length;
    if (!rate.typed) {
      const tier = s.tiers[t];
      while (taken.length - before < count && tier.length > 0) taken.push(tier.shift()!);
    } else {
      // parked first (older), held back ones keep their place; then the tier, held back ones are parked
      if (rate.anyTypeToken() && s.parked[t].length > 0) {
        const kept: string[] = [];
        if (this.scan(rate, s.parked[t], taken, before + count, kept, true)) more[t] = true;
        for (let i = kept.length - 1; i >= 0; i--) s.parked[t].unshift(kept[i]);
      }
      if (taken.length - before < count) {
        const kept: string[] = [];
        this.scan(rate, s.tiers[t], taken, before + count, kept);
        for (const id of kept) s.parked[t].push(id);
      }
    }
    if (rate.queue) {
      for (let i = before; i < taken.length; i++) rate.spend(rate.queue);
      if (rate.available(rate.queue) <= 0) {
        rate.wait(rate.queue);
        blocked.fill(true);
      }
    }
  }

  /** Whether one of the first RATE_CHUNK parked ids of tier `t` has a token now (as rateParkedTakeable in rate-limit.lua). */
  private parkedTakeable(rate: RateBuckets, t: number): boolean {
    let looked = 0;
    for (const id of this.state.parked[t]) {
      if (looked++ >= RATE_CHUNK) return false;
      const bucket = rate.bucketOf(this.state.typeOf(id));
      if (!bucket || rate.available(bucket) >= 1) return true;
    }
    return false;
  }

  /** Ready messages of tier `t` for the weighted draw (grouped ones of blocked groups too: such a draw may take fewer). */
  private readyAtLeast(t: number): number {
    const s = this.state;
    return s.groups.ringed(t) ? s.tiers[t].length + s.groups.queuedIn(t) : s.tiers[t].length;
  }

  /**
   * Shifts at most RATE_SCAN ids off `list`: allowed ones to `taken` (until it has `until`), held back ones to `kept`. True when it stopped at `until` with ids left.
   * `parked`: the list holds limited types only, so the scan ends once none has a token (as rate-limit.lua).
   */
  private scan(rate: RateBuckets, list: Deque<string>, taken: string[], until: number, kept: string[], parked = false): boolean {
    let scanned = 0;
    while (scanned < RATE_SCAN && list.length > 0) {
      if (taken.length >= until) return true;
      const id = list.shift()!;
      scanned++;
      const bucket = rate.bucketOf(this.state.typeOf(id));
      if (!bucket) taken.push(id);
      else if (rate.available(bucket) >= 1) {
        rate.spend(bucket);
        taken.push(id);
        if (parked && !rate.anyTypeToken()) return false;
      } else {
        rate.wait(bucket);
        kept.push(id);
      }
    }
    return false;
  }

  /** A fetch without limits puts parked ids back at the head of their tier, in order. */
  private unpark(): void {
    const s = this.state;
    for (let t = 0; t < 4; t++) {
      const ids: string[] = [];
      while (s.parked[t].length > 0) ids.push(s.parked[t].shift()!);
      for (let i = ids.length - 1; i >= 0; i--) s.tiers[t].unshift(ids[i]);
    }
  }
}
