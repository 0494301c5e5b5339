import { QueueError } from '../errors';

/**
 * Typed errors of the event buses. They extend {@link QueueError}, so `code` is stable and
 * machine-readable.
 */

/** The bus was closed; it publishes and subscribes no more. */
export class EventBusClosedError extends QueueError {
  constructor(readonly busType: string) {
    super(`event bus (${busType}) is closed`, 'EVENT_BUS_CLOSED');
  }
}
