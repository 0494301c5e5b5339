import { DeadLetterNotFoundError } from '../errors';
import { parseJsonOr } from '../util/json';
import { checkId, checkPage, DEAD_LETTER_LIMIT_DEFAULT, PageOptions } from './call-arguments';
import { decodeBody } from './message-codec';
import type { QueueStore, StoredDeadLetter } from './queue-store';
import { DeadLetter, DeadLetterPage, DeadLetterQueue, PRIORITIES } from './queue.types';

/** The {@link DeadLetterQueue} of a {@link StoreBackedQueue} (`queue.deadLetters`) over its {@link QueueStore}. */
export class StoreDeadLetters implements DeadLetterQueue {
  constructor(private readonly store: QueueStore) {}

  /** @throws InvalidOptionError at `deadLetters.list.options`, `.offset`, `.limit` or `.<key>` for an unknown key. */
  async list(options?: PageOptions): Promise<DeadLetterPage> {
    const { offset, limit } = checkPage(options, 'deadLetters.list', DEAD_LETTER_LIMIT_DEFAULT);
    const page = await this.store.deadLetterPage(offset, limit);
    return { items: page.items.map(toDeadLetter), total: page.total, offset, limit };
  }

  /** @throws InvalidOptionError at `deadLetters.get.id` for an id that is not a non-empty string. */
  async get(id: string): Promise<DeadLetter | null> {
    const entry = await this.store.deadLetterGet(checkId(id, 'deadLetters.get.id'));
    return entry ? toDeadLetter(entry) : null;
  }

  /** @throws InvalidOptionError at `deadLetters.replay.id`; {@link DeadLetterNotFoundError} when absent. */
  async replay(id: string): Promise<void> {
    const replayed = await this.store.deadLetterReplay([checkId(id, 'deadLetters.replay.id')], 1);
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

  /** @throws InvalidOptionError at `deadLetters.delete.id` for an id that is not a non-empty string. */
  async delete(id: string): Promise<boolean> {
    return (await this.store.deadLetterDelete([checkId(id, 'deadLetters.delete.id')], 1)) > 0;
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
