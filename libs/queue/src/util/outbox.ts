import { Deque } from './deque';
import { OutboxFullError } from '../errors';

/**
 * Most characters of one flush batch (one Redis command) by default: what the outbox holds is sent
 * in commands small enough to reach Redis and run well within a connection's socket timeout (5 s by
 * default) on a loaded machine. In a test run beside two CPU burners a 250 MB command took longer,
 * was cut off with its connection, sent again, and cut off again, for ever. A single larger item
 * goes alone.
 */
export const OUTBOX_BATCH_CHARS = 16 * 1024 * 1024;

/**
 * A bounded, ordered, in-process outbox: what a producer could not send (Redis unreachable) waits
 * here and is sent in the same order later. Generic, so the event bus and the task queue can both
 * use it. Nothing is ever dropped: when it is full, `add` throws {@link OutboxFullError}.
 */
export class Outbox<T> {
  private readonly items = new Deque<T>();
  private flushing?: Promise<number>;

  /**
   * @param maxSize most items held (>= 1)
   * @param label   name used in errors and logs (default `outbox`)
   */
  constructor(
    readonly maxSize: number,
    readonly label = 'outbox',
  ) {}

  get size(): number {
    return this.items.length;
  }

  /**
   * Appends all items or none (an array, not spread arguments: a batch may hold more items than a
   * call can take as arguments). @throws OutboxFullError when they do not all fit.
   */
  add(items: readonly T[]): void {
    if (this.items.length + items.length > this.maxSize) throw new OutboxFullError(this.maxSize, this.label);
    for (const item of items) this.items.push(item);
  }

  /**
   * Sends the items in order, in batches of at most `batchSize` items and, with `sizeOf`, at most
   * `maxChars` (default {@link OUTBOX_BATCH_CHARS}) summed over a batch, a single larger item alone (a
   * batch is one Redis command: merged, items accepted one by one could make a command no client
   * can build). A batch is also cut where `sameBatch(previous, next)` is false. An item leaves the
   * outbox only after `send` resolved for its batch; on the first failure the flush stops, keeps
   * that batch at the head and rethrows. Items added during a flush are sent by the same flush.
   * Concurrent calls share one flush. Resolves to the number of items sent.
   */
  flush(send: (batch: T[]) => Promise<void>, options: FlushOptions<T> = {}): Promise<number> {
    this.flushing ??= this.run(send, options).finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** Removes and returns everything (for shutdown reports). */
  takeAll(): T[] {
    const all = [...this.items];
    while (this.items.length > 0) this.items.shift();
    return all;
  }

  private async run(send: (batch: T[]) => Promise<void>, options: FlushOptions<T>): Promise<number> {
    const { batchSize = 100, sameBatch, sizeOf, maxChars = OUTBOX_BATCH_CHARS } = options;
    let sent = 0;
    while (this.items.length > 0) {
      const batch: T[] = [];
      let chars = 0;
      for (const item of this.items) {
        if (batch.length >= batchSize || (batch.length > 0 && sameBatch && !sameBatch(batch[batch.length - 1], item))) break;
        if (sizeOf) {
          const size = sizeOf(item);
          if (batch.length > 0 && chars + size > maxChars) break;
          chars += size;
        }
        batch.push(item);
      }
      await send(batch);
      for (let i = 0; i < batch.length; i++) this.items.shift();
      sent += batch.length;
    }
    return sent;
  }
}

/** How {@link Outbox.flush} cuts the outbox into batches. */
export interface FlushOptions<T> {
  /** Most items per batch (default 100). */
  batchSize?: number;
  /** False where `next` may not join the batch that ends with `previous` (a stream bus: another channel). */
  sameBatch?: (previous: T, next: T) => boolean;
  /** Characters an item adds to its batch's command; with it a batch holds at most `maxChars`. */
  sizeOf?: (item: T) => number;
  /** Most characters per batch when `sizeOf` is given (default {@link OUTBOX_BATCH_CHARS}). */
  maxChars?: number;
}
