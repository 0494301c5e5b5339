import type { StoredDeadLetter } from '../queue-store';
import type { MemoryQueueState } from './memory-state';

/**
 * The dead-letter queue of the memory store, as `redis/lua/includes/dead-letter.lua` and the
 * `dlq-*.lua` scripts keep it in Redis: entries oldest first, trimmed to the size and age bounds
 * each time one is added; a replayed message starts again with no ended attempts.
 */
export class MemoryDeadLetters {
  constructor(private readonly state: MemoryQueueState) {}

  /** Dead-letters a message (its ended attempts already stored), then trims the oldest entries past the bounds. */
  add(id: string, info: string, now: number): void {
    const { dlq, limits } = this.state;
    dlq.delete(id);
    dlq.set(id, { at: now, info });
    this.state.errors.delete(id);
    this.state.count('dead_letter', 1);
    let trimmed = 0;
    for (const [oldId, d] of dlq) {
      if (dlq.size <= limits.deadLetterMaxSize && d.at > now - limits.deadLetterMaxAgeMs) break;
      this.remove(oldId);
      trimmed++;
    }
    if (trimmed > 0) this.state.count('dead_letter_trimmed', trimmed);
  }

  /** Newest first. */
  page(offset: number, limit: number): { items: StoredDeadLetter[]; total: number } {
    const newestFirst = [...this.state.dlq].reverse().slice(offset, offset + limit);
    return { total: this.state.dlq.size, items: newestFirst.map(([id, d]) => this.entry(id, d)) };
  }

  get(id: string): StoredDeadLetter | null {
    const d = this.state.dlq.get(id);
    return d ? this.entry(id, d) : null;
  }

  /** Back to the tail of their tier (or group) with attempts reset; an entry without a valid body cannot run again and is deleted instead. */
  replay(ids: string[] | null, limit: number): string[] {
    const s = this.state;
    const chosen = ids ?? [...s.dlq.keys()].slice(0, limit);
    const replayed: string[] = [];
    for (const id of chosen) {
      if (!s.dlq.delete(id)) continue;
      s.att.delete(id);
      s.errors.delete(id);
      if (s.maxRetriesOf(id) >= 0) {
        s.ready(id, false);
        replayed.push(id);
      } else {
        s.msgs.delete(id);
      }
    }
    if (replayed.length > 0) {
      s.count('replayed', replayed.length);
      s.wakeOne();
    }
    return replayed;
  }

  delete(ids: string[] | null, limit: number): number {
    const chosen = ids ?? [...this.state.dlq.keys()].slice(0, limit);
    let deleted = 0;
    for (const id of chosen) {
      if (!this.state.dlq.has(id)) continue;
      this.remove(id);
      deleted++;
    }
    return deleted;
  }

  private remove(id: string): void {
    this.state.dlq.delete(id);
    this.state.msgs.delete(id);
    this.state.att.delete(id);
    this.state.errors.delete(id);
  }

  private entry(id: string, d: { at: number; info: string }): StoredDeadLetter {
    return { id, body: this.state.msgs.get(id) ?? null, infoJson: d.info, deadAt: d.at };
  }
}
