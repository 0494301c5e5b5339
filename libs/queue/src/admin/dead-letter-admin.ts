import type { DeadLetter, DeadLetterQueue } from '../queue/queue.types';

/** Which dead letters an operation applies to. All filters are optional; entries are taken newest first. */
export interface DeadLetterFilter {
  /** Task type, exactly. */
  type?: string;
  /** Dead since (ms since the epoch), inclusive. */
  since?: number;
  /** At most this many entries. */
  limit?: number;
}

/** Dead letters matching the filter, newest first (pages through the queue's DLQ). */
export async function findDeadLetters(dlq: DeadLetterQueue, filter: DeadLetterFilter = {}): Promise<{ items: DeadLetter[]; total: number }> {
  const limit = filter.limit ?? Infinity;
  const items: DeadLetter[] = [];
  let total = 0;
  for (let offset = 0; items.length < limit; offset += 500) {
    const page = await dlq.list({ offset, limit: 500 });
    total = page.total;
    let older = false;
    for (const item of page.items) {
      if (filter.since !== undefined && item.deadAt < filter.since) {
        older = true;
        break;
      }
      if (filter.type !== undefined && item.type !== filter.type) continue;
      items.push(item);
      if (items.length >= limit) break;
    }
    if (older || page.items.length < 500) break;
  }
  return { items, total };
}

/** Replays the given ids; returns those replayed (absent ones are skipped). */
export function replayDeadLetters(dlq: DeadLetterQueue, ids: string[]): Promise<string[]> {
  return inChunks(ids, async (id) => {
    try {
      await dlq.replay(id);
      return true;
    } catch (error) {
      if ((error as Error).name === 'DeadLetterNotFoundError') return false;
      throw error;
    }
  });
}

/** Deletes the given ids; returns those deleted. */
export function deleteDeadLetters(dlq: DeadLetterQueue, ids: string[]): Promise<string[]> {
  return inChunks(ids, (id) => dlq.delete(id));
}

/** Runs `action` on the ids, 100 at a time; returns those it returned true for. */
async function inChunks(ids: string[], action: (id: string) => Promise<boolean>): Promise<string[]> {
  const done: string[] = [];
  for (let i = 0; i < ids.length; i += 100) {
    const chunk = ids.slice(i, i + 100);
    const results = await Promise.all(chunk.map(action));
    chunk.forEach((id, j) => results[j] && done.push(id));
  }
  return done;
}
