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
import { PartitionWaits } from './partition-waits';
import { mergeDeadLetterPages, mergePeekPages, mergeRateStates, oldestOf, sumCounts } from './partitioned-views';

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
  /** The idle waits on every partition at once (partition-waits.ts). */
  private readonly waits: PartitionWaits;

  constructor(readonly parts: readonly QueueStore[]) {
    this.view = new PartitionView(parts.length);
    this.waits = new PartitionWaits(parts, this.view);
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
    // later rounds top up from partitions that still have messages, until `max` or none has more. A
    // partition that gave fewer than its share has nothing more to give now (another worker may have
    // taken what its last reply showed): it is not asked again, so the next round goes to the
    // partitions below it. Each round after the first fills `max` or leaves a partition out, so
    // n + 1 rounds are enough.
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
      const spent = new Set<number>();
      for (const { p, r } of replies) {
        this.view.note(p, r);
        deliveries.push(...r.deliveries);
        taken += r.deliveries.length;
        if (r.deliveries.length < shares[p]) spent.add(p);
        for (const key of r.brokenTiers ?? []) broken.add(key);
      }
      remaining -= taken;
      // not `asked`: a partition left out of this round (a lower tier than the one asked) still counts
      among = among.filter((p) => !spent.has(p) && this.view.hasWork(p));
      if (remaining <= 0 || among.length === 0) break;
    }
    return this.view.combined(deliveries, [...broken]);
  }

  /** Waits on every partition at once, a partition's pending wait reused by the next call (`PartitionWaits.waitForWork`). */
  waitForWork(timeoutMs: number, fetch: WakeFetch): Promise<WokenFetch | null> {
    return this.waits.waitForWork(timeoutMs, fetch);
  }

  interruptWait(): void {
    this.waits.interrupt();
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
    return sumCounts(await Promise.all(this.parts.map((part) => part.counts())));
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

  /** One view of the partitions' rate-limit state (`mergeRateStates`: parked counts summed, of each limit the earliest bucket). */
  async rateState(scanMax: number): Promise<StoredRateState> {
    const states = await Promise.all(this.parts.map((part) => part.rateState(Math.ceil(scanMax / this.parts.length))));
    return mergeRateStates(states);
  }

  /** Every partition's groups (a group is a partition key: it lives in one partition); `ringMax` applies per partition. */
  async groupList(ringMax: number): Promise<StoredGroupList> {
    const lists = await Promise.all(this.parts.map((part) => part.groupList(ringMax)));
    return { items: lists.flatMap((l) => l.items), more: lists.some((l) => l.more) };
  }

  /** Per tier, the oldest over the partitions. */
  async oldestWaiting(ringMax: number): Promise<StoredOldest> {
    const all = await Promise.all(this.parts.map((part) => part.oldestWaiting(ringMax)));
    return oldestOf(all);
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
