import { InvalidOptionError } from '../errors';
import { stringifyPayload } from '../util/json';

/** Largest progress value accepted, as JSON text (bytes of UTF-8). */
export const MAX_PROGRESS_BYTES = 4096;
/** At most one progress write per message per this many ms; the last value of a burst is always written. */
export const PROGRESS_INTERVAL_MS = 100;

/**
 * Checks a value given to `ctx.progress` and returns its JSON: a value JSON writes as given (a finite
 * number, objects, arrays, strings, booleans, null; no NaN, Map or Set inside: see util/json.ts) of
 * at most {@link MAX_PROGRESS_BYTES}.
 * @throws InvalidOptionError (path `progress`, or the place inside: `progress.stats.rate`) naming what was wrong.
 */
export function progressJson(value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (value === undefined) throw new InvalidOptionError('progress', value, 'a value JSON can hold');
  const json = stringifyPayload(value, 'progress');
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_PROGRESS_BYTES) throw new InvalidOptionError('progress', `${bytes} bytes of JSON`, `a value of at most ${MAX_PROGRESS_BYTES} bytes of JSON`);
  return json;
}

/**
 * Throttles the progress writes of one delivery: the first value is written at once, later ones at
 * most one per {@link PROGRESS_INTERVAL_MS}, and only the newest value of a burst (the last one is
 * always written, unless the delivery ended first). Writes never overlap. Created on a handler's
 * first `progress` call, so handlers that never report cost nothing.
 */
export class ProgressThrottle {
  private pending: string | null = null;
  private waiters: Array<() => void> = [];
  private writing = false;
  private lastWriteAt = -Infinity;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    /** Writes one value; never rejects (failures are the sink's to log). */
    private readonly write: (json: string) => Promise<void>,
    private readonly intervalMs = PROGRESS_INTERVAL_MS,
  ) {}

  /** Queues `json` as the newest value; resolves once it (or a newer value) was written, or the delivery ended. */
  report(json: string): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.pending = json;
    const done = new Promise<void>((resolve) => this.waiters.push(resolve));
    this.schedule();
    return done;
  }

  /** The delivery ended: nothing more is written, waiting callers are released. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = null;
    this.release();
  }

  private schedule(): void {
    if (this.writing || this.timer || this.pending === null || this.stopped) return;
    const wait = this.lastWriteAt + this.intervalMs - performance.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, wait);
      this.timer.unref?.();
      return;
    }
    const json = this.pending;
    const waiters = this.waiters;
    this.pending = null;
    this.waiters = [];
    this.writing = true;
    this.lastWriteAt = performance.now();
    void this.write(json).finally(() => {
      this.writing = false;
      for (const resolve of waiters) resolve();
      this.schedule();
    });
  }

  private release(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
