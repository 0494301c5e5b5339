import type { FetchResult, QueueStore, WakeFetch, WokenFetch } from '../queue-store';
import { drawStart, partitionLimits, PartitionView } from './partition-view';

/** A partition's pending wait: what it resolves to, and whether it has. */
interface PartitionWait {
  promise: Promise<WokenFetch | null>;
  ended: boolean;
}

/**
 * The idle wait of a `PartitionedQueueStore`: every partition waited on at once (one blocking
 * wait each, no polling), a partition's wait kept across calls until one has seen it end.
 */
export class PartitionWaits {
  /**
   * Per partition: its waitForWork, reused until a wait of this store has seen it end (so each
   * partition has one waiter at most, and a wake-up that ends it between two waits ends the next one).
   */
  private readonly waits: Array<PartitionWait | undefined>;
  /** Per partition: what its last wait said about its wake-up list (undefined: fine). */
  private readonly wakeProblems: Array<string | undefined>;
  private interruptLocal?: () => void;

  constructor(
    private readonly parts: readonly QueueStore[],
    private readonly view: PartitionView,
  ) {
    this.waits = new Array(parts.length).fill(undefined);
    this.wakeProblems = new Array(parts.length).fill(undefined);
  }

  /**
   * Waits on every partition at once (each store's own blocking wait: Redis, one BLPOP connection
   * per partition with its fetch pipelined behind it). The first partition to wake ends the wait;
   * the others stay pending and are reused by the next call, so no wake-up token is taken by a
   * waiter nobody listens to. Each pipelined fetch asks for `ceil(max / N)`. A reused wait that ends
   * having taken nothing (it may have run out its own, earlier time) ends this call only when a look
   * at its partition shows ready work, a pause, or something due now; else that partition is
   * waited on again, until its next due time when that comes before this call's end. So a short
   * wait's leftovers do not end a long one early, and the partition that is woken answers the call
   * (not a fetch that finishes after it returned).
   */
  async waitForWork(timeoutMs: number, fetch: WakeFetch): Promise<WokenFetch | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), fetch.precise ? timeoutMs : timeoutMs + 500)));
    let stopped = false;
    const interrupted = new Promise<null>(
      (resolve) =>
        (this.interruptLocal = () => {
          stopped = true;
          resolve(null);
        }),
    );
    const mine = new Set<PartitionWait>();
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        const pending = this.parts.map((_, p) => {
          let wait = this.waits[p];
          if (!wait) mine.add((wait = this.arm(p, timeoutMs, fetch)));
          const armed = wait;
          return armed.promise.then((woken) => ({ p, wait: armed, woken }));
        });
        const first = await Promise.race([...pending, timeout, interrupted]);
        if (first === null || stopped) return null;
        const { p, wait, woken } = first;
        if (this.waits[p] === wait) this.waits[p] = undefined;
        if (mine.has(wait) || woken?.result.deliveries.length) return woken;
        // A wait left from an earlier call (its own time, its own fetch) ended having taken nothing:
        // a look at its partition says whether this call has a reason to end.
        const look = await this.parts[p].fetch(0, fetch.leaseMs, fetch.weights, fetch.random, partitionLimits(fetch.limits, this.parts.length));
        this.view.note(p, look);
        if (stopped) return null;
        if (look.paused || look.tiersLeft !== 0 || (look.nextWakeMs !== null && look.nextWakeMs <= 0)) {
          return { result: this.view.combined([], look.brokenTiers ?? []), max: 0 };
        }
        // Something there is due before this call's end (a delayed message, a lease's expiry): the
        // partition is waited on until then, and that wait (this call's own) ends the call when due.
        if (look.nextWakeMs !== null && Date.now() + look.nextWakeMs < deadline) mine.add(this.arm(p, look.nextWakeMs, fetch));
      }
    } finally {
      clearTimeout(timer);
      this.interruptLocal = undefined;
      // waits that ended are seen now (their fetch results went to onResult); the others are reused
      this.waits.forEach((wait, p) => {
        if (wait?.ended) this.waits[p] = undefined;
      });
    }
  }

  /** Ends the current wait at once and forgets the partitions' pending waits (the caller interrupts the partitions' own). */
  interrupt(): void {
    this.waits.fill(undefined);
    this.interruptLocal?.();
  }

  /** A partition's wait result, reported with what the other partitions last said (their wake-up lists' problems too). */
  private woken(result: FetchResult): FetchResult {
    const combined = this.view.combined(result.deliveries, result.brokenTiers ?? []);
    const problems = this.wakeProblems.filter((problem) => problem !== undefined);
    return problems.length > 0 ? { ...combined, wakeProblem: problems.join('; ') } : combined;
  }

  /** Starts partition p's wait for `fetch` (its share of `max`), reported with what the other partitions last said. */
  private arm(p: number, timeoutMs: number, fetch: WakeFetch): PartitionWait {
    const n = this.parts.length;
    const share = Math.ceil(fetch.max / n);
    const wait: PartitionWait = { promise: Promise.resolve(null), ended: false };
    wait.promise = this.parts[p]
      .waitForWork(timeoutMs, {
        ...fetch,
        max: share,
        random: drawStart(fetch.random, p * share),
        limits: partitionLimits(fetch.limits, n),
        onResult: (result) => {
          this.view.note(p, result);
          this.wakeProblems[p] = result.wakeProblem;
          fetch.onResult(this.woken(result));
        },
      })
      .then((woken) => (woken ? { result: this.woken(woken.result), max: woken.max } : null))
      .finally(() => (wait.ended = true));
    this.waits[p] = wait;
    return wait;
  }
}
