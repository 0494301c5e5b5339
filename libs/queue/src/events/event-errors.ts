import { QueueError } from '../errors';

/**
 * Typed errors of the event buses. They extend {@link QueueError}, so `code` is stable and
 * machine-readable.
 */

/** The outbox of the backup producer holds `maxSize` items already; nothing was added. */
export class OutboxFullError extends QueueError {
  constructor(
    readonly maxSize: number,
    readonly label = 'outbox',
  ) {
    super(`${label} is full (${maxSize} items, the outbox size limit) while Redis is unreachable; the event was not accepted`, 'OUTBOX_FULL');
  }
}

/** The bus was closed; it publishes and subscribes no more. */
export class EventBusClosedError extends QueueError {
  constructor(readonly busType: string) {
    super(`event bus (${busType}) is closed`, 'EVENT_BUS_CLOSED');
  }
}
