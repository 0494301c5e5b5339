import { InvalidOptionError } from '../errors';
import type { DeadLetter, DeadLetterPage, DeadLetterQueue } from '../queue/queue.types';
import { checkKnownKeys, checkOption, checkTaskType, intField, knownKeys } from '../util/fields';

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

/** The largest `limit` of a filter and the largest `scanMax` (as `mq dlq list --limit` / `--scan`). */
export const DEAD_LETTER_LIMIT_MAX = 1_000_000;

const FILTER_KEYS = knownKeys<DeadLetterFilter>({ type: true, since: true, limit: true });

/**
 * Checks a dead-letter filter (absent: `{}`) before anything is read: an object of known keys,
 * `type` a task type, `since` ms since the epoch (an integer >= 0), `limit` an integer in
 * [1, {@link DEAD_LETTER_LIMIT_MAX}]. Throws {@link InvalidOptionError} at `path` or `<path>.<key>`.
 */
export function checkDeadLetterFilter(filter: unknown, path: string): DeadLetterFilter {
  if (filter === undefined) return {};
  if (filter === null || typeof filter !== 'object' || Array.isArray(filter)) {
    throw new InvalidOptionError(path, filter, 'a filter object { type, since, limit }');
  }
  checkKnownKeys(filter, FILTER_KEYS, path, InvalidOptionError);
  const { type, since, limit } = filter as Record<string, unknown>;
  const checked: DeadLetterFilter = {};
  if (type !== undefined) checked.type = checkTaskType(type, `${path}.type`);
  if (since !== undefined) checked.since = checkEpochMs(since, `${path}.since`);
  if (limit !== undefined) checked.limit = checkOption(intField(1, DEAD_LETTER_LIMIT_MAX), limit, `${path}.limit`, InvalidOptionError);
  return checked;
}

/** ms since the epoch: a safe integer >= 0. */
function checkEpochMs(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new InvalidOptionError(path, value, 'ms since the epoch (an integer >= 0)');
  return value;
}

/**
 * Checks how many dead letters a count may read (`scanMax`: an integer in [0,
 * {@link DEAD_LETTER_LIMIT_MAX}], absent: {@link DEAD_LETTER_COUNT_SCAN}). Throws {@link InvalidOptionError} at `path`.
 */
export function checkScanMax(scanMax: unknown, path: string): number {
  return checkOption(intField(0, DEAD_LETTER_LIMIT_MAX).default(DEAD_LETTER_COUNT_SCAN), scanMax, path, InvalidOptionError);
}

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
