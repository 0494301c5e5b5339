import { randomInt } from 'crypto';

const TIME_CHARS = 8; // base36 milliseconds: enough until the year 2059
const COUNTER_CHARS = 3;
const COUNTER_LIMIT = 36 ** COUNTER_CHARS;
const TAG_CHARS = 6;

/** Random per process (36^6 ≈ 2.2e9 values), so two processes never share a sequence in practice. */
const PROCESS_TAG = randomInt(0, 36 ** TAG_CHARS)
  .toString(36)
  .padStart(TAG_CHARS, '0');
/** The counter part of ids, made once each (at most COUNTER_LIMIT short strings; a busy millisecond reuses them). */
const COUNTERS: string[] = [];
let lastMs = 0;
let timePart = '';
let counter = 0;

/**
 * A compact unique id chosen without asking any server: 17 characters `[0-9a-z]`, the time in
 * milliseconds (8), a counter within that millisecond (3), and a random tag of this process (6).
 * Ids of one process are strictly increasing (the time part never goes back, even when the clock
 * does; 46,656 ids in one millisecond move it one millisecond on); ids of different processes
 * are ordered by creation time to within clock skew. They do not depend on any stored state, so
 * they never repeat after a Redis restart, a rollback or a failover (message ids, lease tokens).
 */
export function uniqueId(): string {
  const now = Date.now();
  if (now > lastMs) {
    setTime(now);
  } else if (++counter === COUNTER_LIMIT) {
    setTime(lastMs + 1);
  }
  return timePart + (COUNTERS[counter] ??= counter.toString(36).padStart(COUNTER_CHARS, '0')) + PROCESS_TAG;
}

function setTime(ms: number): void {
  lastMs = ms;
  timePart = ms.toString(36).padStart(TIME_CHARS, '0');
  counter = 0;
}

/** The random tag of this process: the last 6 characters of every id it makes (a worker's id in the queue's worker registry). */
export function processTag(): string {
  return PROCESS_TAG;
}

/**
 * Reads back what an id of {@link uniqueId} carries: when it was made (ms since the epoch) and the
 * tag of the process that made it. A lease token is such an id, so it tells when a delivery was
 * taken and by which worker process. Null for anything that is not such an id.
 */
export function uniqueIdParts(id: string): { ms: number; tag: string } | null {
  if (id.length !== TIME_CHARS + COUNTER_CHARS + TAG_CHARS || !/^[0-9a-z]+$/.test(id)) return null;
  return { ms: parseInt(id.slice(0, TIME_CHARS), 36), tag: id.slice(TIME_CHARS + COUNTER_CHARS) };
}
