import { MemoryDeadLetters } from './memory-dead-letters';
import { MemoryFetch } from './memory-fetch';
import { MemoryInspection } from './memory-inspection';
import { MemoryQueueState } from './memory-state';
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

/**
 * {@link QueueStore} inside one process, step for step what the Lua scripts do on Redis (same
 * attempt accounting, same bounds, same wake-up rule), with timers instead of blocking reads.
 * Its data is one {@link MemoryQueueState}; the fetch ({@link MemoryFetch}), the dead-letter queue
 * ({@link MemoryDeadLetters}) and the read-only views ({@link MemoryInspection}) work on it, and the
 * steps that settle a delivery are here.
 */
export class MemoryQueueStore implements QueueStore {
  private readonly state: MemoryQueueState;
  private readonly deadLetters: MemoryDeadLetters;
  private readonly fetcher: MemoryFetch;
  private readonly inspection: MemoryInspection;

  constructor(limits: StoreLimits, deadLetterEnabled: boolean) {
    this.state = new MemoryQueueState(limits, deadLetterEnabled);
    this.deadLetters = new MemoryDeadLetters(this.state);
    this.fetcher = new MemoryFetch(this.state, this.deadLetters);
    this.inspection = new MemoryInspection(this.state);
  }

  async publish(messages: StoredPublish[]): Promise<string[]> {
    const s = this.state;
    const now = Date.now();
    const ids: string[] = [];
    let added = 0;
    for (const m of messages) {
      if (m.idempotencyKey !== undefined) {
        const seen = s.idempotency.get(m.idempotencyKey);
        if (seen && seen.expiresAt > now) {
          ids.push(seen.id);
          continue;
        }
      }
      const id = m.id;
      if (s.msgs.has(id) || s.results.has(id)) {
        // already stored: a re-sent publish is applied once
        ids.push(id);
        continue;
      }
      if (m.idempotencyKey !== undefined) s.idempotency.set(m.idempotencyKey, { id, expiresAt: now + m.idempotencyTtlMs });
      s.msgs.set(id, m.body);
      if (m.delayMs > 0) s.delayed.set(id, now + m.delayMs);
      else if (m.group !== undefined) s.groups.push(m.priority, m.group, [id]);
      else s.tiers[m.priority].push(id);
      ids.push(id);
      added++;
    }
    if (added > 0) {
      s.count('published', added);
      s.wakeOne();
    }
    return ids;
  }

  async fetch(max: number, leaseMs: number, weights: number[] | null, random: number, limits: readonly RateLimitSpec[] = []): Promise<FetchResult> {
    return this.fetcher.fetch(max, leaseMs, weights, random, limits);
  }

  waitForWork(timeoutMs: number): Promise<null> {
    return this.state.waitForWork(timeoutMs);
  }

  interruptWait(): void {
    this.state.interruptWait();
  }

  async complete(items: Completion[]): Promise<DeliveryRef[]> {
    const s = this.state;
    const now = Date.now();
    const stale: DeliveryRef[] = [];
    let processed = 0;
    for (const item of items) {
      if (!s.holds(item)) {
        stale.push({ id: item.id, attempt: item.attempt, lease: item.lease });
        continue;
      }
      s.endLease(item.id);
      s.groupEnded(item.id);
      s.msgs.delete(item.id);
      s.att.delete(item.id);
      s.errors.delete(item.id);
      processed++;
      if (s.limits.completedCount > 0) {
        s.results.delete(item.id);
        s.results.set(item.id, { record: item.record, at: now });
      }
    }
    if (processed > 0) s.count('processed', processed);
    for (const [id, r] of s.results) {
      if (s.results.size <= s.limits.completedCount && r.at > now - s.limits.completedAgeMs) break;
      s.results.delete(id);
    }
    return stale;
  }

  async fail(ref: DeliveryRef, action: FailAction): Promise<boolean> {
    const s = this.state;
    if (!s.holds(ref)) return false;
    const now = Date.now();
    s.endLease(ref.id);
    s.groupEnded(ref.id);
    if (action.kind === 'retry' || action.countsAsFailure) s.count('failed', 1);
    if (action.kind === 'retry') {
      s.att.set(ref.id, ref.attempt);
      s.errors.set(ref.id, action.errorJson);
      s.count('retried', 1);
      if (action.delayMs > 0) s.delayed.set(ref.id, now + action.delayMs);
      else s.ready(ref.id, false);
      s.wakeOne();
    } else if (action.kind === 'dead') {
      s.att.set(ref.id, ref.attempt);
      this.deadLetters.add(ref.id, action.infoJson, now);
    } else {
      s.drop(ref.id);
    }
    return true;
  }

  async extend(refs: DeliveryRef[], leaseMs: number): Promise<DeliveryRef[]> {
    const s = this.state;
    const deadline = Date.now() + leaseMs;
    const stale: DeliveryRef[] = [];
    for (const ref of refs) {
      // never shortened (as extend.lua's ZADD GT): a late renewal keeps a handler's longer extension
      if (s.holds(ref)) s.inflight.set(ref.id, Math.max(deadline, s.inflight.get(ref.id) ?? 0));
      else stale.push(ref);
    }
    return stale;
  }

  async progress(ref: DeliveryRef, json: string, eventJson: string): Promise<boolean> {
    const s = this.state;
    if (!s.holds(ref)) return false;
    s.progressOf.set(ref.id, { lease: ref.lease, json, at: Date.now() });
    for (const listener of s.progressListeners) listener(eventJson);
    return true;
  }

  async subscribeProgress(listener: (eventJson: string) => void): Promise<() => Promise<void>> {
    const s = this.state;
    // a wrapper per call, so the same function subscribed twice is two listeners (as on Redis)
    const own = (eventJson: string) => listener(eventJson);
    s.progressListeners.add(own);
    return async () => void s.progressListeners.delete(own);
  }

  async release(refs: DeliveryRef[], delayMs: number): Promise<void> {
    const s = this.state;
    const now = Date.now();
    let released = 0;
    for (const ref of [...refs].reverse()) {
      if (!s.holds(ref)) continue;
      s.endLease(ref.id);
      s.groupEnded(ref.id);
      released++;
      if (delayMs > 0) s.delayed.set(ref.id, now + delayMs);
      else s.ready(ref.id, true);
    }
    if (released > 0) s.wakeOne();
  }

  async cancel(id: string): Promise<boolean> {
    const s = this.state;
    if (!s.msgs.has(id)) return false;
    const t = s.tierOf(id);
    const group = s.groupOfBody(id);
    if (!s.delayed.delete(id)) {
      if (group !== undefined) {
        if (!s.groups.remove(t, group, id)) return false;
      } else if (s.tiers[t].removeWhere((x) => x === id) === 0 && s.parked[t].removeWhere((x) => x === id) === 0) return false;
    }
    s.msgs.delete(id);
    s.att.delete(id);
    s.errors.delete(id);
    s.count('cancelled', 1);
    return true;
  }

  async status(id: string): Promise<StoredStatus | null> {
    return this.inspection.status(id);
  }

  async counts(): Promise<StoredCounts> {
    return this.inspection.counts();
  }

  async deadLetterPage(offset: number, limit: number): Promise<{ items: StoredDeadLetter[]; total: number }> {
    return this.deadLetters.page(offset, limit);
  }

  async deadLetterGet(id: string): Promise<StoredDeadLetter | null> {
    return this.deadLetters.get(id);
  }

  async deadLetterReplay(ids: string[] | null, limit: number): Promise<string[]> {
    return this.deadLetters.replay(ids, limit);
  }

  async deadLetterDelete(ids: string[] | null, limit: number): Promise<number> {
    return this.deadLetters.delete(ids, limit);
  }

  async peek(section: PeekSection, offset: number, limit: number): Promise<{ items: StoredPeekItem[]; total: number }> {
    return this.inspection.peek(section, offset, limit);
  }

  async heartbeat(id: string, record: string, staleMs: number): Promise<void> {
    const now = Date.now();
    const records = this.state.workerRecords;
    records.set(id, { seenAt: now, record });
    for (const [other, w] of records) if (w.seenAt < now - staleMs) records.delete(other);
  }

  async removeWorker(id: string): Promise<void> {
    this.state.workerRecords.delete(id);
  }

  async workers(staleMs: number): Promise<{ now: number; items: StoredWorker[] }> {
    return this.inspection.workers(staleMs);
  }

  async rateState(scanMax: number): Promise<StoredRateState> {
    return this.inspection.rateState(scanMax);
  }

  async groupList(ringMax: number): Promise<StoredGroupList> {
    return this.inspection.groupList(ringMax);
  }

  async oldestWaiting(ringMax: number): Promise<StoredOldest> {
    return this.inspection.oldestWaiting(ringMax);
  }

  async setPaused(paused: boolean): Promise<void> {
    this.state.paused = paused;
    if (!paused) this.state.wakeOne();
  }

  async isPaused(): Promise<boolean> {
    return this.state.paused;
  }

  async close(): Promise<void> {
    this.state.interruptWait();
  }
}
