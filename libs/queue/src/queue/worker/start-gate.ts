import type { HandlerSlot } from './handler-slot';
import type { ResolvedQueueOptions } from '../queue-options';

/** Handlers faster than this on average let the worker fetch further ahead (see holdLimit). */
const FAST_HANDLER_MS = 2;
/**
 * Preemption window: while handlers average at least this long, at most `capacity` messages that a
 * higher tier could outrank start per look at the store (see startBudget). Faster handlers get
 * more starts per look, as many as fit in this much handler time per slot.
 */
const PREEMPT_WINDOW_MS = 0.5;
/**
 * How long what the newest fetch reply said about the store counts as current for starting
 * messages a higher tier could outrank (ms after the reply arrived), while handlers average under
 * PREEMPT_WINDOW_MS (their starts are bound by the budget). Past it, a freed slot looks at the
 * store again before it starts one (see mayStart).
 */
const FRESH_MS = 2;
/**
 * The same for handlers of PREEMPT_WINDOW_MS and more: shorter than a handler run, so a look sent
 * when one run started is out of date when its slot frees, and a higher-tier message published
 * while it ran waits for the rest of that run and one look, not for one more lower-tier run.
 */
const FRESH_TIMED_MS = 0.5;

/**
 * The start policy of one QueueWorker (docs/architecture.md, "Look-ahead, preemption and pause"):
 * how many messages it holds ahead, whether a held run may start now or must wait for a look at the
 * store, and when the fetch loop must look. It keeps what the newest fetch reply said about the
 * store and the starts since; it reads the worker's handler slots, and the worker tells it of every
 * look sent, reply, start and finished run. Pause and close are the worker's: it asks nothing here
 * while paused or closing.
 */
export class StartGate {
  /** Sum of the handlers' concurrency. */
  capacity = 0;
  /** Strict scheduling (the other mode is weighted). */
  private readonly strict: boolean;
  /** Moving average of handler run time; starts "slow" so nothing is hoarded before it is known. */
  private avgRunMs = FAST_HANDLER_MS * 5;
  /**
   * What the last fetch reply said about the store: tiers that still had ready messages (bit t for
   * tier t), and the highest of them (`top`, read as storeTop; 4: none). In strict mode a waiting
   * run of a lower tier than `top` does not start: the higher-tier message is fetched (or, the hold
   * being full, the outranked runs are released) first.
   */
  private storeTiers = 0;
  private top = 4;
  /**
   * Starts, counted for ever; `checkedAt` is that count when the fetch behind the newest reply was
   * sent. At most startBudget() starts may happen after the send of the newest reply's fetch: a
   * higher-tier publish, or a pause, is seen by the next fetch after it, so at most that many
   * messages start before the worker knows (critical ones too: a pause stops them as well).
   */
  private starts = 0;
  private checkedAt = 0;
  /** `starts` when the newest fetch was sent (a look already on its way since the last start). */
  private lookSentAt = -1;
  /** When (performance clock, ms) the newest fetch reply arrived: what it said stays current for FRESH_MS. */
  private replyAt = -Infinity;

  constructor(
    /** The worker's handler slots (the same map: registrations show at once). */
    private readonly handlers: ReadonlyMap<string, HandlerSlot>,
    private readonly options: ResolvedQueueOptions,
  ) {
    this.strict = options.scheduling.mode === 'strict';
  }

  /** The highest tier with ready messages in the store at the newest reply (4: none). */
  get storeTop(): number {
    return this.top;
  }

  /** A fetch (a look at the store) is being sent: returns what to give replied() with its reply. */
  lookSent(): number {
    this.lookSentAt = this.starts;
    return this.lookSentAt;
  }

  /**
   * Takes in what a fetch reply said about the store (`tiersLeft`; `sentAt` from lookSent()).
   * Returns, in weighted mode, the highest tier that had no ready messages at the previous reply
   * and has some now (a rising bit; 4: none, and always 4 in strict mode).
   */
  replied(tiersLeft: number, sentAt: number): number {
    this.checkedAt = Math.max(this.checkedAt, sentAt);
    this.replyAt = performance.now();
    const rising = tiersLeft & ~this.storeTiers;
    this.storeTiers = tiersLeft;
    this.top = lowestBit(tiersLeft);
    return !this.strict && rising !== 0 ? lowestBit(rising) : 4;
  }

  /** A held run started. */
  started(): void {
    this.starts++;
  }

  /** A run ended after this long (ms). */
  ran(durationMs: number): void {
    this.avgRunMs += (durationMs - this.avgRunMs) * 0.2;
  }

  /**
   * A free slot has a waiting run that may not start until the worker looks at the store again; or
   * slots free often enough that a reply would still be current at the next start, no look went out
   * since the last start, and half the start budget is spent or the newest reply is half its
   * freshness old: the look is sent now, while the handlers run, so its reply is usually back (and
   * still current) before the rest is spent, and short handlers do not wait a round trip per start.
   * The worker asks only while not paused.
   */
  needsCheck(waitingCount: number): boolean {
    if (waitingCount === 0) return false;
    for (const slot of this.handlers.values()) {
      const tier = slot.waiting.findIndex((list) => list.length > 0);
      if (tier >= 0 && slot.running < slot.concurrency && !this.mayStart(tier)) return true;
    }
    if (this.lookSentAt >= this.starts) return false;
    // a slot frees this often: when that is not well within what a reply stays current, a look sent
    // now would be out of date by then, and the freed slot looks itself
    const fresh = this.freshMs();
    if (this.avgRunMs / Math.max(1, this.capacity) >= 2 * fresh) return false;
    return 2 * (this.starts - this.checkedAt) >= this.startBudget() || performance.now() - this.replyAt >= fresh / 2;
  }

  /** Strict mode: some waiting run is of a lower tier than the highest one with ready messages in the store. */
  hasOutranked(waitingCount: number): boolean {
    if (!this.strict || waitingCount === 0) return false;
    for (const slot of this.handlers.values()) {
      for (let tier = this.top + 1; tier < 4; tier++) if (slot.waiting[tier].length > 0) return true;
    }
    return false;
  }

  /** Whether a held run of this tier may start now (the worker asks only while neither paused nor closing). */
  mayStart(tier: number): boolean {
    if (this.starts - this.checkedAt >= this.startBudget()) return false;
    // nothing outranks a critical message: only the budget (the bound on starts after a pause) applies
    if (tier === 0) return true;
    if (this.strict && tier > this.top) return false;
    return performance.now() - this.replyAt <= this.freshMs();
  }

  /** How long (ms) a fetch reply counts as current: FRESH_MS, or FRESH_TIMED_MS for handlers of PREEMPT_WINDOW_MS and more. */
  private freshMs(): number {
    return this.avgRunMs < PREEMPT_WINDOW_MS ? FRESH_MS : FRESH_TIMED_MS;
  }

  /**
   * How many messages this process holds (running + waiting for a slot). Waiting ones keep a
   * renewed lease, and a freed slot starts the next at once instead of after a round trip. Twice
   * the capacity; while handlers are fast (under FAST_HANDLER_MS on average) up to `prefetch`
   * more (64 at most), so small concurrencies are not bound by round trips. Slow handlers never
   * hoard. (Holding less makes a critical message start sooner behind a low backlog, about
   * 1.2 ms instead of 2.2 ms p50 at concurrency 1 with 16, at half the throughput; holding room for
   * two fetches, one sent before the other's runs start, did not help: docs/benchmarks.md.)
   */
  holdLimit(): number {
    const ahead = this.avgRunMs < FAST_HANDLER_MS ? Math.max(this.capacity, Math.min(this.options.prefetch, 64)) : this.capacity;
    return this.capacity + ahead;
  }

  /**
   * How many messages a higher tier could outrank may start per look at the store: the capacity
   * while handlers average PREEMPT_WINDOW_MS or more (the look, one round trip, overlaps them);
   * for faster handlers as many as fit in that much handler time per slot, at most the hold limit,
   * so that very short handlers are not bound by round trips.
   */
  private startBudget(): number {
    if (this.avgRunMs >= PREEMPT_WINDOW_MS) return this.capacity;
    const perLook = Math.floor((this.capacity * PREEMPT_WINDOW_MS) / Math.max(this.avgRunMs, 0.001));
    return Math.max(this.capacity, Math.min(this.holdLimit(), perLook));
  }
}

/** Index of the lowest set bit (the highest tier in a tier mask), 4 for none. */
function lowestBit(mask: number): number {
  for (let t = 0; t < 4; t++) if (mask & (1 << t)) return t;
  return 4;
}
