import { ConsoleQueueLogger, QueueOptions } from '../../src';
import { RECORDED_MESSAGE_MAX, RECORDED_STACK_MAX } from '../../src/util/error-record';
import { waitFor } from '../support/wait';
import type { Conformance } from './queue.conformance-support';

/** 5 MiB: what a handler that throws a whole response body may throw. */
const HUGE = 5 * 1024 * 1024;

/**
 * What the queue keeps of a handler's outcome, run by the queue conformance suite on every backend:
 * a result JSON cannot hold is not stored but reported (the message completes), recorded error
 * messages and stacks are capped, and `peek('completed')` leaves out results past
 * `completedRetention.ageMs` as `getStatus` does.
 */
export function describeResultsConformance({ make: makeQueue }: Conformance): void {
  describe('results and errors', () => {
    let warn: jest.SpyInstance<void, [string]>;
    beforeEach(() => {
      // the fixture's queues log through the default logger: the warnings are read from it
      warn = jest.spyOn(ConsoleQueueLogger.prototype, 'warn').mockImplementation(() => undefined);
    });
    afterEach(() => warn.mockRestore());
    const make = (options: Partial<QueueOptions> = {}) => makeQueue(options).queue;
    const warnings = (text: string) => warn.mock.calls.map(([line]) => line).filter((line) => line.includes(text));

    test('a result JSON cannot hold completes the message without a result and logs a warning naming queue, type, id and reason', async () => {
      const queue = make();
      const cyclic: Record<string, unknown> = { name: 'loop' };
      cyclic.self = cyclic;
      const results: Record<string, unknown> = {
        big: { count: 10n },
        cyclic,
        map: new Map([['a', 1]]),
        set: { tags: new Set(['x']) },
      };
      let runs = 0;
      for (const type of Object.keys(results)) {
        queue.process(type, () => {
          runs++;
          return results[type];
        });
      }
      const ids = new Map<string, string>();
      for (const type of Object.keys(results)) ids.set(type, await queue.publish({ type }));
      for (const [type, id] of ids) {
        await waitFor(async () => (await queue.getStatus(id))?.state === 'completed', `${type} completed`);
        const status = await queue.getStatus(id);
        expect(status).toMatchObject({ state: 'completed', type, attempts: 1 });
        expect(status!.result).toBeUndefined();
        await waitFor(() => warnings(id).length === 1, `the warning about ${type}`);
        const line = warnings(id)[0];
        expect(line).toContain(`queue "${queue.name}"`);
        expect(line).toContain(`task type "${type}"`);
        expect(line).toContain('is not stored (the message completed)');
      }
      expect(warnings(ids.get('big')!)[0]).toContain('result.count: expected a JSON-serialisable value (JSON cannot write a BigInt)');
      expect(warnings(ids.get('cyclic')!)[0]).toContain('result.self: expected a JSON-serialisable value (a circular reference back to result)');
      expect(warnings(ids.get('map')!)[0]).toContain('result: expected a plain object or array (JSON writes a Map as {})');
      expect(warnings(ids.get('set')!)[0]).toContain('result.tags: expected a plain object or array (JSON writes a Set as {})');
      // never run again: the handler's side effects happened
      expect(runs).toBe(4);
      const stats = await queue.stats();
      expect(stats.total_processed).toBe(4);
      expect(stats.total_failed).toBe(0);
      const peeked = (await queue.peek('completed')).items;
      expect(peeked).toHaveLength(4);
      for (const item of peeked) expect(item.result).toBeUndefined();
    });

    test('results JSON holds are kept as before, a Date as its JSON, no result without a warning', async () => {
      const queue = make();
      const at = new Date(Date.UTC(2026, 0, 2));
      queue.process('plain', () => ({ words: 42, at, list: [1, 'two', null] }));
      queue.process('none', () => undefined);
      const plain = await queue.publish({ type: 'plain' });
      const none = await queue.publish({ type: 'none' });
      await waitFor(async () => (await queue.getStatus(none))?.state === 'completed', 'none completed');
      await waitFor(async () => (await queue.getStatus(plain))?.state === 'completed', 'plain completed');
      expect((await queue.getStatus(plain))!.result).toEqual({ words: 42, at: at.toISOString(), list: [1, 'two', null] });
      expect((await queue.getStatus(none))!.result).toBeUndefined();
      expect(warnings(queue.name)).toEqual([]);
    });

    test('a 5 MiB error message is recorded cut, with a marker saying how much was cut (retry error and dead letter)', async () => {
      const queue = make({ maxRetries: 1, backoff: { baseMs: 60_000, jitter: 0 } });
      queue.process('huge-error', () => {
        throw new Error('e'.repeat(HUGE));
      });
      // a thrown value that is not an Error: recorded by its text
      queue.process('huge-string', () => Promise.reject('s'.repeat(HUGE)));
      const retried = await queue.publish({ type: 'huge-error' });
      const dead = await queue.publish({ type: 'huge-string', maxRetries: 0 });
      await waitFor(async () => (await queue.getStatus(retried))?.state === 'retrying', 'retrying');
      const error = (await queue.getStatus(retried))!.error!;
      expect(error.name).toBe('Error');
      expect(error.message.length).toBeLessThanOrEqual(RECORDED_MESSAGE_MAX);
      expect(error.message).toMatch(/^e+… \[truncated \d+ characters\]$/);
      const cut = Number(/truncated (\d+) characters/.exec(error.message)![1]);
      expect(error.message.length - `… [truncated ${cut} characters]`.length + cut).toBe(HUGE);
      expect(error.stack!.length).toBeLessThanOrEqual(RECORDED_STACK_MAX);
      expect(error.stack).toMatch(/… \[truncated \d+ characters\]$/);

      await waitFor(async () => (await queue.deadLetters.get(dead)) !== null, 'dead-lettered');
      const letter = (await queue.deadLetters.get(dead))!;
      expect(letter.error!.message.length).toBeLessThanOrEqual(RECORDED_MESSAGE_MAX);
      expect(letter.error!.message).toMatch(/^s+… \[truncated \d+ characters\]$/);
      expect(letter.reason.length).toBeLessThan(RECORDED_MESSAGE_MAX + 100);
      expect(letter.reason).toMatch(/^failed after 1 attempts: s+… \[truncated \d+ characters\]$/);
      expect(await queue.cancel(retried)).toBe(true);
    });

    test("peek('completed') leaves out results past completedRetention.ageMs without a later completion", async () => {
      // an age a loaded machine's slowest peek stays well within; each check reads one page
      const queue = make({ completedRetention: { count: 10, ageMs: 3000 } });
      queue.process('r', (m) => m.payload);
      const id = await queue.publish({ type: 'r', payload: 'done' });
      const listed = await waitFor(async () => {
        const p = await queue.peek('completed');
        return p.total === 1 ? p : undefined;
      }, 'listed as completed');
      expect(listed!.items).toMatchObject([{ id, result: 'done', type: 'r' }]);
      // nothing else completes: only the read can tell the result is past its age
      await waitFor(async () => (await queue.getStatus(id)) === null, 'gone from getStatus');
      const gone = await waitFor(async () => {
        const p = await queue.peek('completed');
        return p.total === 0 ? p : undefined;
      }, 'gone from peek');
      expect(gone!.items).toEqual([]);
      // results within their age are still listed, newest first, with the total of those only
      const [a, b] = await queue.publishBatch([
        { type: 'r', payload: 1 },
        { type: 'r', payload: 2 },
      ]);
      const page = await waitFor(async () => {
        const p = await queue.peek('completed', { offset: 0, limit: 1 });
        return p.total === 2 ? p : undefined;
      }, 'two new results');
      expect(page!.items).toHaveLength(1);
      expect([a, b]).toContain(page!.items[0].id);
    });
  });
}
