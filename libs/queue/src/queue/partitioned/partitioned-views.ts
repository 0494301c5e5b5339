import { decodeBody } from '../message-codec';
import type { PeekSection, StoredCounts, StoredDeadLetter, StoredOldest, StoredPeekItem, StoredRateState } from '../queue-store';

interface Page<T> {
  items: T[];
  total: number;
}

/** One page of the dead letters of every partition, newest first (each page read from 0 to offset + limit). */
export function mergeDeadLetterPages(pages: ReadonlyArray<Page<StoredDeadLetter>>, offset: number, limit: number): Page<StoredDeadLetter> {
  const all = pages.flatMap((p) => p.items).sort((a, b) => b.deadAt - a.deadAt);
  return { items: all.slice(offset, offset + limit), total: pages.reduce((sum, p) => sum + p.total, 0) };
}

/**
 * One page of a section over every partition: delayed and in flight soonest first, completed newest
 * first; tiers (no time stored with them) by publish time, read from each message's header.
 */
export function mergePeekPages(section: PeekSection, pages: ReadonlyArray<Page<StoredPeekItem>>, offset: number, limit: number): Page<StoredPeekItem> {
  const total = pages.reduce((sum, p) => sum + p.total, 0);
  let all: StoredPeekItem[];
  if (typeof section === 'number') {
    // by publish time (the body's header), then id; entries without a valid body last
    const key = (item: StoredPeekItem) => {
      const decoded = decodeBody(item.body);
      return decoded.ok ? decoded.header.createdAt : Infinity;
    };
    all = pages
      .flatMap((p) => p.items)
      .map((item) => ({ item, at: key(item) }))
      .sort((a, b) => a.at - b.at || (a.item.id < b.item.id ? -1 : a.item.id > b.item.id ? 1 : 0))
      .map((e) => e.item);
  } else {
    const sign = section === 'completed' ? -1 : 1;
    all = pages.flatMap((p) => p.items).sort((a, b) => sign * ((a.at ?? 0) - (b.at ?? 0)));
  }
  return { items: all.slice(offset, offset + limit), total };
}

/** The counts of every partition, summed (groups only when a partition has them). */
export function sumCounts(all: readonly StoredCounts[]): StoredCounts {
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

/**
 * One view of the partitions' rate-limit state: parked counts summed; of each limit the earliest
 * bucket (a token is due there first; each partition keeps its share of the limit, docs/queue.md).
 */
export function mergeRateStates(states: readonly StoredRateState[]): StoredRateState {
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

/** Per tier, the oldest over the partitions. */
export function oldestOf(all: readonly StoredOldest[]): StoredOldest {
  return [0, 1, 2, 3].map((t) => {
    const known = all.map((a) => a[t]).filter((at): at is number => at !== null);
    return known.length > 0 ? Math.min(...known) : null;
  }) as StoredOldest;
}
