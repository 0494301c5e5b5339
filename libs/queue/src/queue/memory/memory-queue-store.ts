import { Deque } from '../../util/deque';
import { uniqueId } from '../../util/unique-id';
import { DueTimes } from './due-times';
import { groupHeadTake, parkedByType, RATE_SCAN, RateBuckets } from './rate-buckets';
import { MemoryGroups } from './memory-groups';
import { decodeHeader } from '../message-codec';
import type {
  Completion,
  DeliveryRef,
  FailAction,
  FetchResult,
  PeekSection,
  QueueStore,
  RateLimitSpec,
  StoreLimits,
  StoredCounts,
  StoredDeadLetter,
  StoredGroupList,
  StoredOldest,
  StoredPeekItem,
  StoredPublish,
  StoredRateState,
  StoredStatus,
  StoredWorker,
} from '../queue-store';

const GOLDEN = 0.6180339887498949;

/**
 * {@link QueueStore} inside one process, step for step what the Lua scripts do on Redis (same
 * attempt accounting, same bounds, same wake-up rule), with timers instead of blocking reads.
 */
export class MemoryQueueStore implements QueueStore {
  private readonly tiers = [new Deque<string>(), new Deque<string>(), new Deque<string>(), new Deque<string>()];
  /** Per tier: ids of rate-limited types held back (as the `parked` lists of rate-limit.lua). */
  private readonly parked = [new Deque<string>(), new Deque<string>(), new Deque<string>(), new Deque<string>()];
  private readonly msgs = new Map<string, string>();
  private readonly inflight = new DueTimes();
  /** id -> lease token of its delivery, while in flight. */
  private readonly leases = new Map<string, string>();
  /** Progress of the delivery in flight (its lease token with it; dropped when the lease ends). */
  private readonly progressOf = new Map<string, { lease: string; json: string; at: number }>();
  private readonly progressListeners = new Set<(eventJson: string) => void>();
  /** Worker registry: id -> last heartbeat and record. */
  private readonly workerRecords = new Map<string, { seenAt: number; record: string }>();
  private readonly delayed = new DueTimes();
  private readonly att = new Map<string, number>();
  private readonly errors = new Map<string, string>();
  private readonly results = new Map<string, { record: string; at: number }>();
  private readonly dlq = new Map<string, { at: number; info: string }>();
  private readonly idempotency = new Map<string, { id: string; expiresAt: number }>();
  private readonly counters: Record<string, number> = {};
  /** Rate limit name -> token bucket state (theoretical arrival time, ms; see RateBuckets). */
  private readonly buckets = new Map<string, number>();
  /** Grouped ready messages and the rotation of groups (docs/queue.md, "Groups"). */
  private readonly groups = new MemoryGroups();
  /** id -> group of each grouped delivery in flight. */
  private readonly inflightGroup = new Map<string, string>();
  private paused = false;
  private token = false;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly limits: StoreLimits,
    private readonly deadLetterEnabled: boolean,
  ) {}

  async publish(messages: StoredPublish[]): Promise<string[]> {
    const now = Date.now();
    const ids: string[] = [];
    let added = 0;
    for (const m of messages) {
      if (m.idempotencyKey !== undefined) {
        const seen = this.idempotency.get(m.idempotencyKey);
        if (seen && seen.expiresAt > now) {
          ids.push(seen.id);
          continue;
        }
      }
      const id = m.id;
      if (this.msgs.has(id) || this.results.has(id)) {
        // already stored: a re-sent publish is applied once
        ids.push(id);
        continue;
      }
      if (m.idempotencyKey !== undefined) this.idempotency.set(m.idempotencyKey, { id, expiresAt: now + m.idempotencyTtlMs });
      this.msgs.set(id, m.body);
      if (m.delayMs > 0) this.delayed.set(id, now + m.delayMs);
      else if (m.group !== undefined) this.groups.push(m.priority, m.group, [id]);
      else this.tiers[m.priority].push(id);
      ids.push(id);
      added++;
    }
    if (added > 0) {
      this.count('published', added);
      this.wakeOne();
    }
    return ids;
  }

  async fetch(max: number, leaseMs: number, weights: number[] | null, random: number, limits: readonly RateLimitSpec[] = []): Promise<FetchResult> {
    const now = Date.now();
    for (const [id] of this.delayed.takeDue(now)) this.ready(id, false);
    for (const [id] of this.inflight.takeDue(now)) {
      this.leases.delete(id);
      this.progressOf.delete(id);
      this.groupEnded(id);
      this.count('failed', 1);
      const ended = (this.att.get(id) ?? 0) + 1;
      this.att.set(id, ended);
      const maxRetries = this.maxRetriesOf(id);
      if (maxRetries >= 0 && ended > maxRetries) {
        const info = JSON.stringify({
          reason: 'lease expired on every attempt (worker crashed or stalled)',
          attempts: ended,
          deadAt: now,
          error: { name: 'LeaseExpiredError', message: `lease expired after attempt ${ended}` },
        });
        if (this.deadLetterEnabled) this.deadLetter(id, info, now);
        else this.drop(id);
      } else {
        this.ready(id, true);
        this.count('retried', 1);
      }
    }
    if (this.paused) return { paused: true, nextWakeMs: this.nextWake(now), deliveries: [], tiersLeft: 0 };

    const taken: string[] = [];
    const rate = limits.length > 0 ? new RateBuckets(limits, this.buckets, now) : null;
    if (!rate) this.unpark();
    const blocked = [false, false, false, false];
    const more = [false, false, false, false];
    const held = [0, 0, 0, 0];
    const takeUngrouped = (t: number, count: number, into: string[]): void => {
      if (rate) this.rateTake(rate, t, count, into, blocked, more);
      else for (let i = 0; i < count && this.tiers[t].length > 0; i++) into.push(this.tiers[t].shift()!);
    };
    const takeFrom = (t: number, count: number): void => {
      if (!this.groups.ringed(t)) return takeUngrouped(t, count, taken);
      const got = this.groups.take(
        t,
        count,
        this.limits.groupConcurrency ?? 0,
        (n) => {
          const into: string[] = [];
          takeUngrouped(t, n, into);
          return into;
        },
        () => this.tiers[t].length > 0 || (rate !== null && rate.typed && this.parked[t].length > 0),
        groupHeadTake(rate, blocked, (id) => {
          const body = this.msgs.get(id);
          return body === undefined ? null : (decodeHeader(body)?.header.type ?? null);
        }),
        (id, group) => this.inflightGroup.set(id, group),
      );
      held[t] = got.held;
      for (const id of got.ids) taken.push(id);
    };
    if (!weights) {
      for (let t = 0; t < 4; t++) takeFrom(t, max - taken.length);
    } else {
      const counts = [0, 0, 0, 0];
      let x = random;
      for (let i = 0; i < max; i++) {
        let total = 0;
        for (let t = 0; t < 4; t++) if (this.readyAtLeast(t) > counts[t]) total += weights[t];
        if (total === 0) break;
        x = (x + GOLDEN) % 1;
        let r = x * total;
        for (let t = 0; t < 4; t++) {
          if (this.readyAtLeast(t) > counts[t]) {
            r -= weights[t];
            if (r < 0) {
              counts[t]++;
              break;
            }
          }
        }
      }
      for (let t = 0; t < 4; t++) if (counts[t] > 0) takeFrom(t, counts[t]);
    }
    if (rate) {
      if (rate.typed && this.parked.some((p) => p.length > 0)) rate.waitEmpty();
      rate.save(limits);
    }
    const tiersLeft = this.tiers.reduce(
      (mask, tier, t) => ((tier.length > 0 || more[t] || this.groups.readyGroups(t) > held[t]) && !blocked[t] ? mask | (1 << t) : mask),
      0,
    );
    const nextWake = (): number | null => {
      const wake = this.nextWake(now);
      if (rate?.due == null) return wake;
      return wake === null ? rate.due : Math.min(wake, rate.due);
    };
    if (taken.length === 0) return { paused: false, nextWakeMs: nextWake(), deliveries: [], tiersLeft };
    const lease = uniqueId();
    for (const id of taken) {
      this.inflight.set(id, now + leaseMs);
      this.leases.set(id, lease);
    }
    if (taken.length === max && tiersLeft !== 0) this.wakeOne();
    return {
      paused: false,
      tiersLeft,
      nextWakeMs: taken.length < max ? nextWake() : null,
      deliveries: taken.map((id) => ({ id, body: this.msgs.get(id) ?? null, attempt: (this.att.get(id) ?? 0) + 1, lease })),
    };
  }

  /**
   * Takes up to `count` ids from the head of tier `t` within the rate limits, as rate-limit.lua:
   * ids whose type has no token now keep their place; at most RATE_SCAN entries are looked at.
   */
  private rateTake(rate: RateBuckets, t: number, count: number, taken: string[], blocked: boolean[], more: boolean[]): void {
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
      const tier = this.tiers[t];
      while (taken.length - before < count && tier.length > 0) taken.push(tier.shift()!);
    } else {
      // parked first (older), held back ones keep their place; then the tier, held back ones are parked
      if (rate.anyTypeToken() && this.parked[t].length > 0) {
        const kept: string[] = [];
        if (this.scan(rate, this.parked[t], taken, before + count, kept, true)) more[t] = true;
        for (let i = kept.length - 1; i >= 0; i--) this.parked[t].unshift(kept[i]);
      }
      if (taken.length - before < count) {
        const kept: string[] = [];
        this.scan(rate, this.tiers[t], taken, before + count, kept);
        for (const id of kept) this.parked[t].push(id);
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

  /** Ready messages of tier `t` for the weighted draw (grouped ones of blocked groups too: such a draw may take fewer). */
  private readyAtLeast(t: number): number {
    return this.groups.ringed(t) ? this.tiers[t].length + this.groups.queuedIn(t) : this.tiers[t].length;
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
      const body = this.msgs.get(id);
      const bucket = rate.bucketOf(body === undefined ? null : (decodeHeader(body)?.header.type ?? null));
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
    for (let t = 0; t < 4; t++) {
      const ids: string[] = [];
      while (this.parked[t].length > 0) ids.push(this.parked[t].shift()!);
      for (let i = ids.length - 1; i >= 0; i--) this.tiers[t].unshift(ids[i]);
    }
  }

  waitForWork(timeoutMs: number): Promise<null> {
    if (this.token) {
      this.token = false;
      return Promise.resolve(null);
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(null);
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.push(done);
    });
  }

  interruptWait(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  async complete(items: Completion[]): Promise<DeliveryRef[]> {
    const now = Date.now();
    const stale: DeliveryRef[] = [];
    let processed = 0;
    for (const item of items) {
      if (!this.holds(item)) {
        stale.push({ id: item.id, attempt: item.attempt, lease: item.lease });
        continue;
      }
      this.endLease(item.id);
      this.groupEnded(item.id);
      this.msgs.delete(item.id);
      this.att.delete(item.id);
      this.errors.delete(item.id);
      processed++;
      if (this.limits.completedCount > 0) {
        this.results.delete(item.id);
        this.results.set(item.id, { record: item.record, at: now });
      }
    }
    if (processed > 0) this.count('processed', processed);
    for (const [id, r] of this.results) {
      if (this.results.size <= this.limits.completedCount && r.at > now - this.limits.completedAgeMs) break;
      this.results.delete(id);
    }
    return stale;
  }

  async fail(ref: DeliveryRef, action: FailAction): Promise<boolean> {
    if (!this.holds(ref)) return false;
    const now = Date.now();
    this.endLease(ref.id);
    this.groupEnded(ref.id);
    if (action.kind === 'retry' || action.countsAsFailure) this.count('failed', 1);
    if (action.kind === 'retry') {
      this.att.set(ref.id, ref.attempt);
      this.errors.set(ref.id, action.errorJson);
      this.count('retried', 1);
      if (action.delayMs > 0) this.delayed.set(ref.id, now + action.delayMs);
      else this.ready(ref.id, false);
      this.wakeOne();
    } else if (action.kind === 'dead') {
      this.att.set(ref.id, ref.attempt);
      this.deadLetter(ref.id, action.infoJson, now);
    } else {
      this.drop(ref.id);
    }
    return true;
  }

  async extend(refs: DeliveryRef[], leaseMs: number): Promise<DeliveryRef[]> {
    const deadline = Date.now() + leaseMs;
    const stale: DeliveryRef[] = [];
    for (const ref of refs) {
      // never shortened (as extend.lua's ZADD GT): a late renewal keeps a handler's longer extension
      if (this.holds(ref)) this.inflight.set(ref.id, Math.max(deadline, this.inflight.get(ref.id) ?? 0));
      else stale.push(ref);
    }
    return stale;
  }

  async progress(ref: DeliveryRef, json: string, eventJson: string): Promise<boolean> {
    if (!this.holds(ref)) return false;
    this.progressOf.set(ref.id, { lease: ref.lease, json, at: Date.now() });
    for (const listener of this.progressListeners) listener(eventJson);
    return true;
  }

  async subscribeProgress(listener: (eventJson: string) => void): Promise<() => Promise<void>> {
    // a wrapper per call, so the same function subscribed twice is two listeners (as on Redis)
    const own = (eventJson: string) => listener(eventJson);
    this.progressListeners.add(own);
    return async () => void this.progressListeners.delete(own);
  }

  async release(refs: DeliveryRef[], delayMs: number): Promise<void> {
    const now = Date.now();
    let released = 0;
    for (const ref of [...refs].reverse()) {
      if (!this.holds(ref)) continue;
      this.endLease(ref.id);
      this.groupEnded(ref.id);
      released++;
      if (delayMs > 0) this.delayed.set(ref.id, now + delayMs);
      else this.ready(ref.id, true);
    }
    if (released > 0) this.wakeOne();
  }

  async cancel(id: string): Promise<boolean> {
    if (!this.msgs.has(id)) return false;
    const t = this.tierOf(id);
    const group = this.groupOfBody(id);
    if (!this.delayed.delete(id)) {
      if (group !== undefined) {
        if (!this.groups.remove(t, group, id)) return false;
      } else if (this.tiers[t].removeWhere((x) => x === id) === 0 && this.parked[t].removeWhere((x) => x === id) === 0) return false;
    }
    this.msgs.delete(id);
    this.att.delete(id);
    this.errors.delete(id);
    this.count('cancelled', 1);
    return true;
  }

  async status(id: string): Promise<StoredStatus | null> {
    const result = this.results.get(id);
    if (result) return { state: 'completed', body: null, endedAttempts: 0, nextAt: null, detail: result.record };
    const body = this.msgs.get(id) ?? null;
    const ended = this.att.get(id) ?? 0;
    const dead = this.dlq.get(id);
    if (dead) return { state: 'dead', body, endedAttempts: ended, nextAt: null, detail: dead.info };
    const lease = this.inflight.get(id);
    if (lease !== undefined) {
      const status: StoredStatus = { state: 'processing', body, endedAttempts: ended, nextAt: lease, detail: null };
      const progress = this.progressOf.get(id);
      if (progress && progress.lease === this.leases.get(id)) status.progress = { json: progress.json, at: progress.at };
      return status;
    }
    const due = this.delayed.get(id);
    const err = this.errors.get(id) ?? null;
    if (due !== undefined) return { state: ended > 0 ? 'retrying' : 'delayed', body, endedAttempts: ended, nextAt: due, detail: ended > 0 ? err : null };
    if (body === null) return null;
    return { state: ended > 0 ? 'retrying' : 'pending', body, endedAttempts: ended, nextAt: null, detail: ended > 0 ? err : null };
  }

  async counts(): Promise<StoredCounts> {
    return {
      tiers: [0, 1, 2, 3].map((t) => this.tiers[t].length + this.parked[t].length + this.groups.queuedIn(t)) as [number, number, number, number],
      processing: this.inflight.size,
      delayed: this.delayed.size,
      dead: this.dlq.size,
      counters: { ...this.counters },
      groups: this.groups.counts(),
    };
  }

  async deadLetterPage(offset: number, limit: number): Promise<{ items: StoredDeadLetter[]; total: number }> {
    const newestFirst = [...this.dlq].reverse().slice(offset, offset + limit);
    return { total: this.dlq.size, items: newestFirst.map(([id, d]) => this.deadEntry(id, d)) };
  }

  async deadLetterGet(id: string): Promise<StoredDeadLetter | null> {
    const d = this.dlq.get(id);
    return d ? this.deadEntry(id, d) : null;
  }

  async deadLetterReplay(ids: string[] | null, limit: number): Promise<string[]> {
    const chosen = ids ?? [...this.dlq.keys()].slice(0, limit);
    const replayed: string[] = [];
    for (const id of chosen) {
      if (!this.dlq.delete(id)) continue;
      this.att.delete(id);
      this.errors.delete(id);
      if (this.maxRetriesOf(id) >= 0) {
        this.ready(id, false);
        replayed.push(id);
      } else {
        this.msgs.delete(id);
      }
    }
    if (replayed.length > 0) {
      this.count('replayed', replayed.length);
      this.wakeOne();
    }
    return replayed;
  }

  async deadLetterDelete(ids: string[] | null, limit: number): Promise<number> {
    const chosen = ids ?? [...this.dlq.keys()].slice(0, limit);
    let deleted = 0;
    for (const id of chosen) {
      if (!this.dlq.has(id)) continue;
      this.removeDead(id);
      deleted++;
    }
    return deleted;
  }

  async peek(section: PeekSection, offset: number, limit: number): Promise<{ items: StoredPeekItem[]; total: number }> {
    const item = (id: string, at: number | null): StoredPeekItem => ({ id, body: this.msgs.get(id) ?? null, endedAttempts: this.att.get(id) ?? 0, at });
    if (typeof section === 'number') {
      const tier = this.tiers[section];
      return { total: tier.length, items: [...tier].slice(offset, offset + limit).map((id) => item(id, null)) };
    }
    if (section === 'completed') {
      const all = [...this.results].reverse();
      return {
        total: all.length,
        items: all.slice(offset, offset + limit).map(([id, r]) => ({ id, body: null, endedAttempts: 0, at: r.at, record: r.record })),
      };
    }
    const set = section === 'inflight' ? this.inflight : this.delayed;
    const sorted = [...set].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
    const withLease = (p: StoredPeekItem): StoredPeekItem => {
      const lease = section === 'inflight' ? this.leases.get(p.id) : undefined;
      if (lease === undefined) return p;
      const progress = this.progressOf.get(p.id);
      return progress?.lease === lease ? { ...p, lease, progress: { json: progress.json, at: progress.at } } : { ...p, lease };
    };
    return { total: sorted.length, items: sorted.slice(offset, offset + limit).map(([id, at]) => withLease(item(id, at))) };
  }

  async heartbeat(id: string, record: string, staleMs: number): Promise<void> {
    const now = Date.now();
    this.workerRecords.set(id, { seenAt: now, record });
    for (const [other, w] of this.workerRecords) if (w.seenAt < now - staleMs) this.workerRecords.delete(other);
  }

  async removeWorker(id: string): Promise<void> {
    this.workerRecords.delete(id);
  }

  async workers(staleMs: number): Promise<{ now: number; items: StoredWorker[] }> {
    const now = Date.now();
    const items = [...this.workerRecords]
      .filter(([, w]) => w.seenAt >= now - staleMs)
      .map(([id, w]) => ({ id, seenAt: w.seenAt, record: w.record }))
      .sort((a, b) => a.seenAt - b.seenAt);
    return { now, items };
  }

  async rateState(scanMax: number): Promise<StoredRateState> {
    const { counts, looked } = parkedByType(this.parked, this.msgs, scanMax);
    return {
      now: Date.now(),
      tats: Object.fromEntries(this.buckets),
      parked: this.parked.map((p) => p.length) as [number, number, number, number],
      parkedByType: counts,
      looked,
    };
  }

  async groupList(ringMax: number): Promise<StoredGroupList> {
    const { items, more } = this.groups.list(ringMax);
    return {
      more,
      items: items.map(({ group, ready, running, blocked, heads }) => ({
        group,
        ready: ready as [number, number, number, number],
        running,
        blocked,
        oldestAt: this.oldestOf(heads),
      })),
    };
  }

  async oldestWaiting(ringMax: number): Promise<StoredOldest> {
    return [0, 1, 2, 3].map((t) =>
      this.oldestOf([this.tiers[t].peek(), this.parked[t].peek(), ...this.groups.heads(t, ringMax)].filter((id): id is string => id !== undefined)),
    ) as StoredOldest;
  }

  /** The earliest creation time of these messages (null: none has a body). */
  private oldestOf(ids: string[]): number | null {
    let oldest: number | null = null;
    for (const id of ids) {
      const at = decodeHeader(this.msgs.get(id) ?? '')?.header.createdAt;
      if (at !== undefined && (oldest === null || at < oldest)) oldest = at;
    }
    return oldest;
  }

  async setPaused(paused: boolean): Promise<void> {
    this.paused = paused;
    if (!paused) this.wakeOne();
  }

  async isPaused(): Promise<boolean> {
    return this.paused;
  }

  async close(): Promise<void> {
    this.interruptWait();
  }

  /** True while the message is in flight under this delivery's lease token. */
  private holds(ref: DeliveryRef): boolean {
    return this.leases.get(ref.id) === ref.lease;
  }

  private endLease(id: string): void {
    this.inflight.delete(id);
    this.leases.delete(id);
    this.progressOf.delete(id);
  }

  /** A ready id to the tail (or `head`) of its tier, or of its group's list there. */
  private ready(id: string, head: boolean): void {
    const t = this.tierOf(id);
    const group = this.groupOfBody(id);
    if (group !== undefined) this.groups.push(t, group, [id], head);
    else if (head) this.tiers[t].unshift(id);
    else this.tiers[t].push(id);
  }

  /** A delivery ended (completed, failed, put back, lease expired): its group has one fewer in flight. */
  private groupEnded(id: string): void {
    if (this.inflightGroup.size === 0) return;
    const group = this.inflightGroup.get(id);
    if (group === undefined) return;
    this.inflightGroup.delete(id);
    if (this.groups.ended(group)) this.wakeOne();
  }

  private groupOfBody(id: string): string | undefined {
    const body = this.msgs.get(id);
    return body === undefined ? undefined : decodeHeader(body)?.header.group;
  }

  private tierOf(id: string): number {
    const body = this.msgs.get(id);
    return body ? (decodeHeader(body)?.header.priority ?? 2) : 2;
  }

  private maxRetriesOf(id: string): number {
    const body = this.msgs.get(id);
    return body ? (decodeHeader(body)?.header.maxRetries ?? -1) : -1;
  }

  private deadLetter(id: string, info: string, now: number): void {
    this.dlq.delete(id);
    this.dlq.set(id, { at: now, info });
    this.errors.delete(id);
    this.count('dead_letter', 1);
    let trimmed = 0;
    for (const [oldId, d] of this.dlq) {
      if (this.dlq.size <= this.limits.deadLetterMaxSize && d.at > now - this.limits.deadLetterMaxAgeMs) break;
      this.removeDead(oldId);
      trimmed++;
    }
    if (trimmed > 0) this.count('dead_letter_trimmed', trimmed);
  }

  private removeDead(id: string): void {
    this.dlq.delete(id);
    this.msgs.delete(id);
    this.att.delete(id);
    this.errors.delete(id);
  }

  private drop(id: string): void {
    this.msgs.delete(id);
    this.att.delete(id);
    this.errors.delete(id);
    this.count('dropped', 1);
  }

  private deadEntry(id: string, d: { at: number; info: string }): StoredDeadLetter {
    return { id, body: this.msgs.get(id) ?? null, infoJson: d.info, deadAt: d.at };
  }

  private nextWake(now: number): number | null {
    const times = [this.delayed.firstDue(), this.inflight.firstDue()].filter((t): t is number => t !== null);
    return times.length === 0 ? null : Math.max(0, Math.min(...times) - now);
  }

  private wakeOne(): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter();
    else this.token = true;
  }

  private count(name: string, n: number): void {
    this.counters[name] = (this.counters[name] ?? 0) + n;
  }
}
