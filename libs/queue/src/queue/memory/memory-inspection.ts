import { parkedByType } from './rate-buckets';
import { decodeHeader } from '../message-codec';
import type { PeekSection, StoredCounts, StoredGroupList, StoredOldest, StoredPeekItem, StoredRateState, StoredStatus, StoredWorker } from '../queue-store';
import type { MemoryQueueState } from './memory-state';

/**
 * The read-only views of the memory store (status, counts, peek, the worker registry, rate limits,
 * groups, oldest waiting), giving the answers the status, counts, peek and rate-state scripts give
 * on Redis. Nothing here changes the state.
 */
export class MemoryInspection {
  constructor(private readonly state: MemoryQueueState) {}

  status(id: string): StoredStatus | null {
    const s = this.state;
    const result = s.results.get(id);
    // past its age the result is gone, even before a later completion prunes it (as status.lua)
    if (result && result.at > Date.now() - s.limits.completedAgeMs)
      return { state: 'completed', body: null, endedAttempts: 0, nextAt: null, detail: result.record };
    const body = s.msgs.get(id) ?? null;
    const ended = s.att.get(id) ?? 0;
    const dead = s.dlq.get(id);
    if (dead) return { state: 'dead', body, endedAttempts: ended, nextAt: null, detail: dead.info };
    const lease = s.inflight.get(id);
    if (lease !== undefined) {
      const status: StoredStatus = { state: 'processing', body, endedAttempts: ended, nextAt: lease, detail: null };
      const progress = s.progressOf.get(id);
      if (progress && progress.lease === s.leases.get(id)) status.progress = { json: progress.json, at: progress.at };
      return status;
    }
    const due = s.delayed.get(id);
    const err = s.errors.get(id) ?? null;
    if (due !== undefined) return { state: ended > 0 ? 'retrying' : 'delayed', body, endedAttempts: ended, nextAt: due, detail: ended > 0 ? err : null };
    if (body === null) return null;
    return { state: ended > 0 ? 'retrying' : 'pending', body, endedAttempts: ended, nextAt: null, detail: ended > 0 ? err : null };
  }

  counts(): StoredCounts {
    const s = this.state;
    return {
      tiers: [0, 1, 2, 3].map((t) => s.tiers[t].length + s.parked[t].length + s.groups.queuedIn(t)) as [number, number, number, number],
      processing: s.inflight.size,
      delayed: s.delayed.size,
      dead: s.dlq.size,
      counters: { ...s.counters },
      groups: s.groups.counts(),
    };
  }

  peek(section: PeekSection, offset: number, limit: number): { items: StoredPeekItem[]; total: number } {
    const s = this.state;
    const item = (id: string, at: number | null): StoredPeekItem => ({ id, body: s.msgs.get(id) ?? null, endedAttempts: s.att.get(id) ?? 0, at });
    if (typeof section === 'number') {
      const tier = s.tiers[section];
      return { total: tier.length, items: [...tier].slice(offset, offset + limit).map((id) => item(id, null)) };
    }
    if (section === 'completed') {
      // a result past completedRetention.ageMs is not shown, even before a later completion prunes it (as status)
      const after = Date.now() - s.limits.completedAgeMs;
      const all = [...s.results].filter(([, r]) => r.at > after).reverse();
      return {
        total: all.length,
        items: all.slice(offset, offset + limit).map(([id, r]) => ({ id, body: null, endedAttempts: 0, at: r.at, record: r.record })),
      };
    }
    const set = section === 'inflight' ? s.inflight : s.delayed;
    const sorted = [...set].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
    const withLease = (p: StoredPeekItem): StoredPeekItem => {
      const lease = section === 'inflight' ? s.leases.get(p.id) : undefined;
      if (lease === undefined) return p;
      const progress = s.progressOf.get(p.id);
      return progress?.lease === lease ? { ...p, lease, progress: { json: progress.json, at: progress.at } } : { ...p, lease };
    };
    return { total: sorted.length, items: sorted.slice(offset, offset + limit).map(([id, at]) => withLease(item(id, at))) };
  }

  workers(staleMs: number): { now: number; items: StoredWorker[] } {
    const now = Date.now();
    const items = [...this.state.workerRecords]
      .filter(([, w]) => w.seenAt >= now - staleMs)
      .map(([id, w]) => ({ id, seenAt: w.seenAt, record: w.record }))
      .sort((a, b) => a.seenAt - b.seenAt);
    return { now, items };
  }

  rateState(scanMax: number): StoredRateState {
    const s = this.state;
    const { counts, looked } = parkedByType(s.parked, s.msgs, scanMax);
    return {
      now: Date.now(),
      tats: Object.fromEntries(s.buckets),
      parked: s.parked.map((p) => p.length) as [number, number, number, number],
      parkedByType: counts,
      looked,
    };
  }

  groupList(ringMax: number): StoredGroupList {
    const { items, more } = this.state.groups.list(ringMax);
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

  oldestWaiting(ringMax: number): StoredOldest {
    const s = this.state;
    return [0, 1, 2, 3].map((t) =>
      this.oldestOf([s.tiers[t].peek(), s.parked[t].peek(), ...s.groups.heads(t, ringMax)].filter((id): id is string => id !== undefined)),
    ) as StoredOldest;
  }

  /** The earliest creation time of these messages (null: none has a body). */
  private oldestOf(ids: string[]): number | null {
    let oldest: number | null = null;
    for (const id of ids) {
      const at = decodeHeader(this.state.msgs.get(id) ?? '')?.header.createdAt;
      if (at !== undefined && (oldest === null || at < oldest)) oldest = at;
    }
    return oldest;
  }
}
