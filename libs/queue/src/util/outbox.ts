import { Deque } from './deque';
import { OutboxFullError } from '../errors';

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

  /** True while a flush is running. */
  get isFlushing(): boolean {
    return this.flushing !== undefined;
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
   * Sends the items in order, in batches of at most `batchSize` (a batch is cut earlier where
   * `sameBatch(previous, next)` is false). An item leaves the outbox only after `send` resolved for
   * its batch; on the first failure the flush stops, keeps that batch at the head and rethrows.
   * Items added during a flush are sent by the same flush. Concurrent calls share one flush.
   * Resolves to the number of items sent.
   */
  flush(send: (batch: T[]) => Promise<void>, options: { batchSize?: number; sameBatch?: (a: T, b: T) => boolean } = {}): Promise<number> {
    this.flushing ??= this.run(send, options.batchSize ?? 100, options.sameBatch).finally(() => {
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

  private async run(send: (batch: T[]) => Promise<void>, batchSize: number, sameBatch?: (a: T, b: T) => boolean): Promise<number> {
    let sent = 0;
    while (this.items.length > 0) {
      const batch: T[] = [];
      for (const item of this.items) {
        if (batch.length >= batchSize || (batch.length > 0 && sameBatch && !sameBatch(batch[batch.length - 1], item))) break;
        batch.push(item);
      }
      await send(batch);
      for (let i = 0; i < batch.length; i++) this.items.shift();
      sent += batch.length;
    }
    return sent;
  }
}
