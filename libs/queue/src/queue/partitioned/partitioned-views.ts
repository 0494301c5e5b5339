import { decodeBody } from '../message-codec';
import type { PeekSection, StoredDeadLetter, StoredPeekItem } from '../queue-store';

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
