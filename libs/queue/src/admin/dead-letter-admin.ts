import type { DeadLetter, DeadLetterPage, DeadLetterQueue } from '../queue/queue.types';

/** Which dead letters an operation applies to. All filters are optional; entries are taken newest first. */
export interface DeadLetterFilter {
  /** Task type, exactly. */
  type?: string;
  /** Dead since (ms since the epoch), inclusive. */
  since?: number;
  /** At most this many entries. */
  limit?: number;
}

/**
 * Most dead letters read to count those matching a filter once `limit` of them are found (the
 * default `dead_letter_max_size`, so a default DLQ is always counted in full): past it the count is
 * a lower bound.
 */
export const DEAD_LETTER_COUNT_SCAN = 10_000;

/** Entries read per `list` call. */
const PAGE = 500;

/** What a filter selects in a dead-letter queue. */
export interface DeadLetterSelection {
  /** The matching dead letters, newest first, at most `limit`. */
  items: DeadLetter[];
  /** Every dead letter of the queue, matching the filter or not. */
  total: number;
  /**
   * How many match the filter, `limit` aside (`total` without a filter). Counted over the newest
   * `scanned` entries (`scanMax`, or more when finding `limit` matches took more): a lower bound
   * when `matchedExact` is false.
   */
  matched: number;
  /** False when the count stopped at the scan bound before the end of the queue (then: at least `matched`). */
  matchedExact: boolean;
  /** Entries read (newest first) to select and count. */
  scanned: number;
}

/** A scan through the DLQ, newest first. */
interface Scan {
  items: DeadLetter[];
  matched: number;
  /** Entries read (the offset of the next page). */
  read: number;
  total: number;
  /** The end of what can match: the end of the queue, or an entry older than `since`. */
  end: boolean;
}

/** Takes one page of `size` asked entries into the scan: counts the entries that match, keeps them up to `limit`. */
function takePage(scan: Scan, page: DeadLetterPage, size: number, filter: DeadLetterFilter, limit: number): void {
  scan.total = page.total;
  for (const item of page.items) {
    if (filter.since !== undefined && item.deadAt < filter.since) {
      scan.end = true;
      return;
    }
    scan.read++;
    if (filter.type !== undefined && item.type !== filter.type) continue;
    scan.matched++;
    if (scan.items.length < limit) scan.items.push(item);
  }
  if (page.items.length < size) scan.end = true;
}

/**
 * Dead letters matching the filter, newest first (pages through the queue's DLQ), with the queue's
 * `total` and how many match (`matched`). With a filter the scan goes on past `limit` to count,
 * until the end of the queue or `scanMax` entries read (default {@link DEAD_LETTER_COUNT_SCAN}).
 */
export async function findDeadLetters(dlq: DeadLetterQueue, filter: DeadLetterFilter = {}, scanMax = DEAD_LETTER_COUNT_SCAN): Promise<DeadLetterSelection> {
  const limit = filter.limit ?? Infinity;
  const filtered = filter.type !== undefined || filter.since !== undefined;
  const scan: Scan = { items: [], matched: 0, read: 0, total: 0, end: false };
  const found = () => scan.items.length >= limit;
  while (!scan.end && !(found() && (!filtered || scan.read >= scanMax))) {
    // once `limit` are found, only counting goes on: to `scanMax` entries read, not past it
    const size = found() ? Math.min(PAGE, scanMax - scan.read) : PAGE;
    takePage(scan, await dlq.list({ offset: scan.read, limit: size }), size, filter, limit);
  }
  const { items, total, read: scanned } = scan;
  if (!filtered) return { items, total, matched: total, matchedExact: true, scanned };
  return { items, total, matched: scan.matched, matchedExact: scan.end || scanned >= total, scanned };
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
