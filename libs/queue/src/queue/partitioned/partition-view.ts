import type { FetchResult, RateLimitSpec } from '../queue-store';
import { advanceDraw } from '../weighted-draw';

/**
 * What the newest fetch reply of each partition said (tiers with ready messages, paused, the next
 * due time), so that a fetch over all partitions knows where the highest tier waits and one
 * partition's wake-up can be reported with what the others last said.
 */
export class PartitionView {
  /** Per partition: tier mask of its newest reply, -1 before the first. */
  private readonly tiers: number[];
  private readonly paused: boolean[];
  /** Per partition: when (Date.now() ms) its next delayed message or lease is due, null for none. */
  private readonly dueAt: Array<number | null>;
  private rotation = 0;

  constructor(readonly count: number) {
    this.tiers = new Array<number>(count).fill(-1);
    this.paused = new Array<boolean>(count).fill(false);
    this.dueAt = new Array<number | null>(count).fill(null);
  }

  /**
   * Takes in a reply of partition p. Replies reach this process in the order their connections
   * deliver them, not the order Redis ran them (a fetch on the command connection, one behind a
   * BLPOP on the blocking one): a due time still to come is kept until it passes, even when a reply
   * says later or never, so an older reply cannot hide a retry or a delayed message a newer one saw
   * (the wake-up token that told of it is taken). At worst the wait ends once for nothing.
   */
  note(p: number, result: FetchResult): void {
    this.tiers[p] = result.tiersLeft;
    this.paused[p] = result.paused;
    const now = Date.now();
    const due = result.nextWakeMs === null ? null : now + result.nextWakeMs;
    const kept = this.dueAt[p];
    this.dueAt[p] = kept !== null && kept > now && (due === null || kept < due) ? kept : due;
  }

  /** Partitions that may have ready messages (unknown ones included). */
  hasWork(p: number): boolean {
    return this.tiers[p] !== 0 && !this.paused[p];
  }

  /**
   * How many of `max` messages to ask each partition (of `among`) for. Strict mode: only the
   * partitions whose highest ready tier is the highest anywhere (unknown counts as critical), split
   * evenly, the remainder rotating. Weighted mode (`weights`): the draws of the golden-ratio sequence
   * from `random` pick tiers over the union of the partitions' tiers, each draw going to a partition
   * holding that tier (in turn), so the weights hold across partitions. None known to have work: all, evenly.
   */
  shares(max: number, weights: readonly number[] | null, random: number, among: readonly number[]): number[] {
    const out = new Array<number>(this.count).fill(0);
    if (max === 0 || among.length === 0) return out;
    let chosen = among.filter((p) => this.hasWork(p));
    if (chosen.length === 0) return this.even(out, max, [...among]);
    if (weights && chosen.every((p) => this.tiers[p] > 0)) return this.weighted(out, max, weights, random, chosen);
    if (!weights) {
      const top = Math.min(...chosen.map((p) => this.topTier(p)));
      chosen = chosen.filter((p) => this.topTier(p) === top);
    }
    return this.even(out, max, chosen);
  }

  private even(out: number[], max: number, chosen: readonly number[]): number[] {
    const base = Math.floor(max / chosen.length);
    let extra = max - base * chosen.length;
    const start = this.rotation++ % chosen.length;
    for (let i = 0; i < chosen.length; i++) {
      const p = chosen[(start + i) % chosen.length];
      out[p] = base + (extra > 0 ? 1 : 0);
      if (extra > 0) extra--;
    }
    return out;
  }

  private weighted(out: number[], max: number, weights: readonly number[], random: number, chosen: readonly number[]): number[] {
    let union = 0;
    for (const p of chosen) union |= this.tiers[p];
    const tiers = [0, 1, 2, 3].filter((t) => union & (1 << t));
    const total = tiers.reduce((sum, t) => sum + weights[t], 0);
    const turn = [0, 0, 0, 0];
    for (let i = 0; i < max; i++) {
      let x = drawStart(random, i) * total;
      let tier = tiers[tiers.length - 1];
      for (const t of tiers) {
        if (x < weights[t]) {
          tier = t;
          break;
        }
        x -= weights[t];
      }
      const holders = chosen.filter((p) => this.tiers[p] & (1 << tier));
      out[holders[turn[tier]++ % holders.length]]++;
    }
    return out;
  }

  /** The combined reply: tiers of every partition's newest reply, paused when any is, the soonest due time. */
  combined(deliveries: FetchResult['deliveries'], brokenTiers: string[]): FetchResult {
    let tiersLeft = 0;
    let paused = false;
    for (let p = 0; p < this.count; p++) {
      if (this.tiers[p] > 0) tiersLeft |= this.tiers[p];
      paused ||= this.paused[p];
    }
    if (paused) tiersLeft = 0;
    const now = Date.now();
    let next: number | null = null;
    for (const due of this.dueAt) if (due !== null) next = next === null ? due : Math.min(next, due);
    return {
      deliveries,
      paused,
      tiersLeft,
      nextWakeMs: next === null ? null : Math.max(0, next - now),
      ...(brokenTiers.length > 0 ? { brokenTiers } : {}),
    };
  }

  private topTier(p: number): number {
    const mask = this.tiers[p];
    if (mask < 0) return 0;
    for (let t = 0; t < 4; t++) if (mask & (1 << t)) return t;
    return 4;
  }
}

/** The start of partition p's stretch of the weighted draw sequence, so the partitions of one fetch draw one unbroken sequence. */
export function drawStart(random: number, before: number): number {
  return advanceDraw(random, before);
}

/**
 * A rate limit of the whole queue as each of `n` partitions keeps it (each has its own bucket: a
 * Lua script sees only its own slot): the same rate over all of them, `ceil(max / n)` per window of
 * `perMs * ceil(max / n) * n / max`. Bursts may reach `n * ceil(max / n)` (docs/queue.md).
 */
export function partitionLimits(limits: readonly RateLimitSpec[], n: number): RateLimitSpec[] {
  return limits.map((l) => {
    const max = Math.ceil(l.max / n);
    return { name: l.name, max, perMs: Math.max(1, Math.round((l.perMs * max * n) / l.max)) };
  });
}
