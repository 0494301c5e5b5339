/** findDeadLetters over a DLQ stand-in: what a filter selects, how many match, and where counting stops. */
import type { DeadLetter, DeadLetterPage, DeadLetterQueue } from '../queue/queue.types';
import { DEAD_LETTER_COUNT_SCAN, findDeadLetters } from './dead-letter-admin';

/** A read-only DLQ of `types` (newest first, one second apart from `newestAt` back) that records each `list` call. */
function dlqOf(types: string[], newestAt = 1_000_000_000): { dlq: DeadLetterQueue; reads: Array<{ offset: number; limit: number }> } {
  const entries: DeadLetter[] = types.map((type, i) => ({
    id: `d${i}`,
    type,
    priority: 'normal',
    payload: null,
    attempts: 1,
    reason: 'failed',
    deadAt: newestAt - i * 1000,
  }));
  const reads: Array<{ offset: number; limit: number }> = [];
  const unused = (): never => {
    throw new Error('read-only');
  };
  const dlq: DeadLetterQueue = {
    list: async ({ offset = 0, limit = 100 } = {}): Promise<DeadLetterPage> => {
      reads.push({ offset, limit });
      return { items: entries.slice(offset, offset + limit), total: entries.length, offset, limit };
    },
    get: async () => null,
    replay: unused,
    replayAll: unused,
    delete: unused,
    purge: unused,
  };
  return { dlq, reads };
}

/** `n` entries cycling through `cycle`. */
const cycled = (n: number, cycle: string[]): string[] => Array.from({ length: n }, (_, i) => cycle[i % cycle.length]);

describe('findDeadLetters', () => {
  it('without a filter: the newest `limit`, the queue total as the match count, one page read', async () => {
    const { dlq, reads } = dlqOf(cycled(1200, ['a', 'b']));
    const found = await findDeadLetters(dlq, { limit: 3 });
    expect(found).toMatchObject({ total: 1200, matched: 1200, matchedExact: true });
    expect(found.items.map((d) => d.id)).toEqual(['d0', 'd1', 'd2']);
    expect(reads).toEqual([{ offset: 0, limit: 500 }]);
  });

  it('with a type: counts every match of the type past `limit`, beside the queue total', async () => {
    const { dlq } = dlqOf(cycled(1200, ['a', 'b', 'c']));
    const found = await findDeadLetters(dlq, { type: 'b', limit: 2 });
    expect(found).toMatchObject({ total: 1200, matched: 400, matchedExact: true, scanned: 1200 });
    expect(found.items.map((d) => d.id)).toEqual(['d1', 'd4']);
  });

  it('with since: counts the matches down to the first older entry, then stops reading', async () => {
    const { dlq, reads } = dlqOf(cycled(1200, ['a', 'b']));
    const found = await findDeadLetters(dlq, { since: 1_000_000_000 - 9_000, limit: 1 });
    expect(found).toMatchObject({ total: 1200, matched: 10, matchedExact: true });
    expect(reads).toHaveLength(1);
    expect(await findDeadLetters(dlq, { type: 'a', since: 1_000_000_000 - 9_000 })).toMatchObject({ matched: 5, matchedExact: true });
  });

  it('stops counting at scanMax entries read once `limit` are found: the count is then a lower bound', async () => {
    const { dlq, reads } = dlqOf(cycled(1200, ['a', 'b']));
    const found = await findDeadLetters(dlq, { type: 'a', limit: 2 }, 700);
    expect(found).toMatchObject({ total: 1200, matched: 350, matchedExact: false, scanned: 700 });
    expect(found.items).toHaveLength(2);
    expect(reads).toEqual([
      { offset: 0, limit: 500 },
      { offset: 500, limit: 200 },
    ]);
    // finding `limit` matches may read past scanMax: the count covers what was read
    const rare = await findDeadLetters(dlqOf([...cycled(900, ['a']), 'b', ...cycled(299, ['a'])]).dlq, { type: 'b', limit: 1 }, 100);
    expect(rare).toMatchObject({ matched: 1, matchedExact: false, scanned: 1000 });
  });

  it('with no limit (replay-all, purge with a filter): every match, whatever scanMax', async () => {
    const { dlq } = dlqOf(cycled(1200, ['a', 'b']));
    const found = await findDeadLetters(dlq, { type: 'a' }, 10);
    expect(found).toMatchObject({ matched: 600, matchedExact: true });
    expect(found.items).toHaveLength(600);
  });

  it('counts over 10 000 entries by default: the default dead_letter_max_size, so a default DLQ is counted in full', () => {
    expect(DEAD_LETTER_COUNT_SCAN).toBe(10_000);
  });
});
