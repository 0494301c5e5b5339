import type {
  Completion,
  DeliveryRef,
  FailAction,
  FetchResult,
  PeekSection,
  QueueStore,
  RateLimitSpec,
  StoredCounts,
  StoredDeadLetter,
  StoredGroupList,
  StoredOldest,
  StoredPeekItem,
  StoredPublish,
  StoredRateState,
  StoredStatus,
  StoredWorker,
  WakeFetch,
  WokenFetch,
} from '../queue-store';
import { partitionOfId } from './partition-layout';
import { drawStart, partitionLimits, PartitionView } from './partition-view';
import { mergeDeadLetterPages, mergePeekPages } from './partitioned-views';

/** A partition's pending wait: what it resolves to, and whether it has. */
interface PartitionWait {
  promise: Promise<WokenFetch | null>;
  ended: boolean;
}

/**
 * One logical queue over N single-slot stores (docs/architecture.md, "Partitioned queues"): the
 * same {@link QueueStore} contract, so the worker, the admin tools, the scheduler and the
 * dispatcher need not know. Every step that names a message goes to the partition its id names; a
 * fetch asks every partition (those that hold the highest tier for messages, the others for
 * nothing: their reply still says what they hold), so strict priority holds across partitions with
 * the worker's own bound; an idle worker waits on every partition at once (one blocking wait each,
 * no polling). Counts are summed; the dead-letter queue, peek and the worker registry are one view.
 */
export class PartitionedQueueStore implements QueueStore {
  private readonly view: PartitionView;
  /**
   * Per partition: its waitForWork, reused until a wait of this store has seen it end (so each
   * partition has one waiter at most, and a wake-up that ends it between two waits ends the next one).
   */
  private readonly waits: Array<PartitionWait | undefined>;
  private interruptLocal?: () => void;

  constructor(readonly parts: readonly QueueStore[]) {
    this.view = new PartitionView(parts.length);
    this.waits = new Array(parts.length).fill(undefined);
  }

  get count(): number {
    return this.parts.length;
  }

  partitionOf(id: string): number {
    return partitionOfId(id, this.parts.length);
  }

  /** Atomic per partition, not across them: a re-sent batch is applied once all the same (ids are the producer's). */
  async publish(messages: StoredPublish[]): Promise<string[]> {
    const groups = this.group(messages, (m) => m.id);
    const ids = new Array<string>(messages.length);
    await Promise.all(
      [...groups].map(async ([p, { items, positions }]) => {
        const stored = await this.parts[p].publish(items);
        stored.forEach((id, i) => (ids[positions[i]] = id));
      }),
    );
    return ids;
  }

  async fetch(max: number, leaseMs: number, weights: number[] | null, random: number, limits: readonly RateLimitSpec[] = []): Promise<FetchResult> {
    const n = this.parts.length;
    const partLimits = partitionLimits(limits, n);
    const deliveries: FetchResult['deliveries'] = [];
    const broken = new Set<string>();
    let remaining = max;
    let among = Array.from({ length: n }, (_, p) => p);
    // Round one asks every partition (the share-less ones for nothing: a look at what they hold);
    // later rounds top up from partitions that still had messages, until `max` or none has more.
    for (let round = 0; round <= n; round++) {
      const shares = this.view.shares(remaining, weights, drawStart(random, max - remaining), among);
      const asked = round === 0 ? among : among.filter((p) => shares[p] > 0);
      if (asked.length === 0) break;
      let before = max - remaining;
      const replies = await Promise.all(
        asked.map((p) => {
          const start = drawStart(random, before);
          before += shares[p];
          return this.parts[p].fetch(shares[p], leaseMs, weights, start, partLimits).then((r) => ({ p, r }));
        }),
      );
      let taken = 0;
      for (const { p, r } of replies) {
        this.view.note(p, r);
        deliveries.push(...r.deliveries);
        taken += r.deliveries.length;
        for (const key of r.brokenTiers ?? []) broken.add(key);
      }
      remaining -= taken;
      among = asked.filter((p) => this.view.hasWork(p));
      if (remaining <= 0 || (round > 0 && taken === 0)) break;
    }
    return this.view.combined(deliveries, [...broken]);
  }

  /**
   * Waits on every partition at once (each store's own blocking wait: Redis, one BLPOP connection
   * per partition with its fetch pipelined behind it). The first partition to wake ends the wait;
   * the others stay pending and are reused by the next call, so no wake-up token is taken by a
   * waiter nobody listens to. Each pipelined fetch asks for `ceil(max / N)`. A reused wait that ends
   * having taken nothing (it may have run out its own, earlier time) ends this call only when a look
   * at its partition shows ready work, a pause, or a due time before this call's end; else that
   * partition is waited on again. So a short wait's leftovers do not end a long one early, and the
   * partition that is woken answers the call (not a fetch that finishes after it returned).
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
        if (look.paused || look.tiersLeft !== 0 || (look.nextWakeMs !== null && Date.now() + look.nextWakeMs < deadline)) {
          return { result: this.view.combined([], look.brokenTiers ?? []), max: 0 };
        }
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
          fetch.onResult(this.view.combined(result.deliveries, result.brokenTiers ?? []));
        },
      })
      .then((woken) => (woken ? { result: this.view.combined(woken.result.deliveries, woken.result.brokenTiers ?? []), max: woken.max } : null))
      .finally(() => (wait.ended = true));
    this.waits[p] = wait;
    return wait;
  }

  interruptWait(): void {
    this.waits.fill(undefined);
    this.interruptLocal?.();
    for (const part of this.parts) part.interruptWait();
  }

  async complete(items: Completion[]): Promise<DeliveryRef[]> {
    const stale = await Promise.all([...this.group(items, (c) => c.id)].map(([p, { items: own }]) => this.parts[p].complete(own)));
    return stale.flat();
  }

  fail(ref: DeliveryRef, action: FailAction): Promise<boolean> {
    return this.parts[this.partitionOf(ref.id)].fail(ref, action);
  }

  progress(ref: DeliveryRef, json: string, eventJson: string): Promise<boolean> {
    return this.parts[this.partitionOf(ref.id)].progress(ref, json, eventJson);
  }

  async subscribeProgress(listener: (eventJson: string) => void): Promise<() => Promise<void>> {
    const stops = await Promise.all(this.parts.map((part) => part.subscribeProgress(listener)));
    return async () => {
      await Promise.all(stops.map((stop) => stop()));
    };
  }

  async extend(refs: DeliveryRef[], leaseMs: number): Promise<DeliveryRef[]> {
    const stale = await Promise.all([...this.group(refs, (r) => r.id)].map(([p, { items }]) => this.parts[p].extend(items, leaseMs)));
    return stale.flat();
  }

  async release(refs: DeliveryRef[], delayMs: number): Promise<void> {
    await Promise.all([...this.group(refs, (r) => r.id)].map(([p, { items }]) => this.parts[p].release(items, delayMs)));
  }

  cancel(id: string): Promise<boolean> {
    return this.parts[this.partitionOf(id)].cancel(id);
  }

  status(id: string): Promise<StoredStatus | null> {
    return this.parts[this.partitionOf(id)].status(id);
  }

  async counts(): Promise<StoredCounts> {
    const all = await Promise.all(this.parts.map((part) => part.counts()));
    const sum: StoredCounts = { tiers: [0, 0, 0, 0], processing: 0, delayed: 0, dead: 0, counters: {} };
    for (const c of all) {
      c.tiers.forEach((v, t) => (sum.tiers[t] += v));
      sum.processing += c.processing;
      sum.delayed += c.delayed;
      sum.dead += c.dead;
      for (const [key, v] of Object.entries(c.counters)) sum.counters[key] = (sum.counters[key] ?? 0) + v;
      if (c.groups) {
        const g = (sum.groups ??= { ready: 0, blocked: 0, running: 0 });
        g.ready += c.groups.ready;
        g.blocked += c.groups.blocked;
        g.running += c.groups.running;
      }
    }
    return sum;
  }

  /** Newest first over every partition: each is read from 0 to offset + limit, then merged. */
  async deadLetterPage(offset: number, limit: number): Promise<{ items: StoredDeadLetter[]; total: number }> {
    const pages = await Promise.all(this.parts.map((part) => part.deadLetterPage(0, offset + limit)));
    return mergeDeadLetterPages(pages, offset, limit);
  }

  deadLetterGet(id: string): Promise<StoredDeadLetter | null> {
    return this.parts[this.partitionOf(id)].deadLetterGet(id);
  }

  async deadLetterReplay(ids: string[] | null, limit: number): Promise<string[]> {
    if (ids) {
      const replayed = await Promise.all([...this.group(ids, (id) => id)].map(([p, { items }]) => this.parts[p].deadLetterReplay(items, items.length)));
      return replayed.flat();
    }
    const out: string[] = [];
    for (const part of this.parts) {
      if (out.length >= limit) break;
      out.push(...(await part.deadLetterReplay(null, limit - out.length)));
    }
    return out;
  }

  async deadLetterDelete(ids: string[] | null, limit: number): Promise<number> {
    if (ids) {
      const removed = await Promise.all([...this.group(ids, (id) => id)].map(([p, { items }]) => this.parts[p].deadLetterDelete(items, items.length)));
      return removed.reduce((a, b) => a + b, 0);
    }
    let total = 0;
    for (const part of this.parts) {
      if (total >= limit) break;
      total += await part.deadLetterDelete(null, limit - total);
    }
    return total;
  }

  async peek(section: PeekSection, offset: number, limit: number): Promise<{ items: StoredPeekItem[]; total: number }> {
    const pages = await Promise.all(this.parts.map((part) => part.peek(section, 0, offset + limit)));
    return mergePeekPages(section, pages, offset, limit);
  }

  /** The worker registry is kept in partition 0 (one registry per logical queue). */
  heartbeat(id: string, record: string, staleMs: number): Promise<void> {
    return this.parts[0].heartbeat(id, record, staleMs);
  }

  removeWorker(id: string): Promise<void> {
    return this.parts[0].removeWorker(id);
  }

  workers(staleMs: number): Promise<{ now: number; items: StoredWorker[] }> {
    return this.parts[0].workers(staleMs);
  }

  /**
   * One view of the partitions' rate-limit state: parked counts summed; of each limit the earliest
   * bucket (a token is due there first; each partition keeps its share of the limit, docs/queue.md).
   */
  async rateState(scanMax: number): Promise<StoredRateState> {
    const states = await Promise.all(this.parts.map((part) => part.rateState(Math.ceil(scanMax / this.parts.length))));
    const merged: StoredRateState = { now: 0, tats: {}, parked: [0, 0, 0, 0], parkedByType: {}, looked: 0 };
    for (const state of states) {
      merged.now = Math.max(merged.now, state.now);
      for (const [name, tat] of Object.entries(state.tats)) merged.tats[name] = Math.min(merged.tats[name] ?? tat, tat);
      state.parked.forEach((n, tier) => (merged.parked[tier] += n));
      for (const [type, n] of Object.entries(state.parkedByType)) merged.parkedByType[type] = (merged.parkedByType[type] ?? 0) + n;
      merged.looked += state.looked;
    }
    return merged;
  }

  /** Every partition's groups (a group is a partition key: it lives in one partition); `ringMax` applies per partition. */
  async groupList(ringMax: number): Promise<StoredGroupList> {
    const lists = await Promise.all(this.parts.map((part) => part.groupList(ringMax)));
    return { items: lists.flatMap((l) => l.items), more: lists.some((l) => l.more) };
  }

  /** Per tier, the oldest over the partitions. */
  async oldestWaiting(ringMax: number): Promise<StoredOldest> {
    const all = await Promise.all(this.parts.map((part) => part.oldestWaiting(ringMax)));
    return [0, 1, 2, 3].map((t) => {
      const known = all.map((a) => a[t]).filter((at): at is number => at !== null);
      return known.length > 0 ? Math.min(...known) : null;
    }) as StoredOldest;
  }

  async setPaused(paused: boolean): Promise<void> {
    await Promise.all(this.parts.map((part) => part.setPaused(paused)));
  }

  /** Paused when any partition is (a pause reaches every partition; a half-applied one still stops the queue). */
  async isPaused(): Promise<boolean> {
    return (await Promise.all(this.parts.map((part) => part.isPaused()))).some(Boolean);
  }

  async close(): Promise<void> {
    this.interruptWait();
    await Promise.all(this.parts.map((part) => part.close()));
  }

  /** Items by partition (of the id `idOf` reads), with their positions in the input. */
  private group<T>(items: readonly T[], idOf: (item: T) => string): Map<number, { items: T[]; positions: number[] }> {
    const groups = new Map<number, { items: T[]; positions: number[] }>();
    items.forEach((item, i) => {
      const p = this.partitionOf(idOf(item));
      let g = groups.get(p);
      if (!g) groups.set(p, (g = { items: [], positions: [] }));
      g.items.push(item);
      g.positions.push(i);
    });
    return groups;
  }
}
