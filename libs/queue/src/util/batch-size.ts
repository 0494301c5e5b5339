import { BatchTooLargeError } from '../errors';

/**
 * Most characters the encoded messages of one batch may take (a queue's `publishBatch`: ids,
 * bodies, idempotency keys and groups; a Redis Streams bus: the events' fields, per partition). A
 * batch is one Redis command, and ioredis builds a command as one string: V8 strings end at
 * 2^29 - 24 characters, so a larger batch would fail inside the client (or, sent from its offline
 * queue, crash the process). Half of that leaves room for the command's framing.
 */
export const MAX_BATCH_CHARS = 256 * 1024 * 1024;

/** Throws {@link BatchTooLargeError} naming `target` when `size` characters are over `limit` (`unit`: what `count` counts). */
export function checkBatchChars(target: string, count: number, size: number, unit: 'messages' | 'events', limit = MAX_BATCH_CHARS): void {
  if (size > limit) throw new BatchTooLargeError(target, count, size, limit, unit);
}
