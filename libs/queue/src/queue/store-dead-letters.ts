import { DeadLetterNotFoundError, InvalidOptionError } from '../errors';
import { parseJsonOr } from '../util/json';
import { decodeBody } from './message-codec';
import type { QueueStore, StoredDeadLetter } from './queue-store';
import { DeadLetter, DeadLetterPage, DeadLetterQueue, PRIORITIES } from './queue.types';

/** The {@link DeadLetterQueue} of a {@link StoreBackedQueue} (`queue.deadLetters`) over its {@link QueueStore}. */
export class StoreDeadLetters implements DeadLetterQueue {
  constructor(private readonly store: QueueStore) {}

  async list(options: { offset?: number; limit?: number } = {}): Promise<DeadLetterPage> {
    const offset = options.offset ?? 0;
    const limit = options.limit ?? 50;
    if (!Number.isInteger(offset) || offset < 0) throw new InvalidOptionError('deadLetters.list.offset', offset, 'an integer >= 0');
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new InvalidOptionError('deadLetters.list.limit', limit, 'an integer in [1, 1000]');
    const page = await this.store.deadLetterPage(offset, limit);
    return { items: page.items.map(toDeadLetter), total: page.total, offset, limit };
  }

  async get(id: string): Promise<DeadLetter | null> {
    const entry = await this.store.deadLetterGet(id);
    return entry ? toDeadLetter(entry) : null;
  }

  async replay(id: string): Promise<void> {
    const replayed = await this.store.deadLetterReplay([id], 1);
    if (replayed.length === 0) throw new DeadLetterNotFoundError(id);
  }

  async replayAll(): Promise<number> {
    let total = 0;
    for (;;) {
      const batch = await this.store.deadLetterReplay(null, 1000);
      total += batch.length;
      if (batch.length === 0) return total;
    }
  }

  async delete(id: string): Promise<boolean> {
    return (await this.store.deadLetterDelete([id], 1)) > 0;
  }

  async purge(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.store.deadLetterDelete(null, 1000);
      total += n;
      if (n === 0) return total;
    }
  }
}

/** A stored dead letter as the API shows it: its message decoded, or `raw` when its body is not readable. */
function toDeadLetter(entry: StoredDeadLetter): DeadLetter {
  const info = parseJsonOr<Record<string, unknown>>(entry.infoJson, undefined) ?? {};
  const decoded = decodeBody(entry.body);
  const base = {
    id: entry.id,
    attempts: Number(info.attempts ?? 0),
    reason: String(info.reason ?? 'unknown'),
    error: info.error as DeadLetter['error'],
    deadAt: entry.deadAt,
  };
  if (decoded.ok) {
    return { ...base, type: decoded.header.type, priority: PRIORITIES[decoded.header.priority], payload: decoded.payload, createdAt: decoded.header.createdAt };
  }
  return { ...base, type: null, priority: null, payload: null, raw: entry.body ?? undefined };
}
