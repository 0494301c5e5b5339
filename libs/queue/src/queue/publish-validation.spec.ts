import { BatchTooLargeError, InvalidOptionError } from '../errors';
import { decodeBody } from './message-codec';
import { createQueue } from './create-queue';
import { checkBatchSize, preparePublish } from './publish-validation';
import { MAX_BATCH_CHARS } from '../util/batch-size';
import { resolveQueueOptions } from './queue-options';
import type { PublishOptions } from './queue.types';

const queue = resolveQueueOptions({ name: 'pv' });

function errorOf(run: () => unknown): InvalidOptionError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionError);
    return error as InvalidOptionError;
  }
  throw new Error('expected an InvalidOptionError');
}

describe('preparePublish', () => {
  it('names the option, and the index of a batch member, in its errors', () => {
    const cases: Array<[PublishOptions, string]> = [
      [{ type: 't', bogus: 1 } as unknown as PublishOptions, 'bogus'],
      [{ type: 'a b' }, 'type'],
      [{ type: 't', priority: 'urgent' as never }, 'priority'],
      [{ type: 't', delayMs: -1 }, 'delayMs'],
      [{ type: 't', maxRetries: 1.5 }, 'maxRetries'],
      [{ type: 't', timeoutMs: 'soon' as never }, 'timeoutMs'],
      [{ type: 't', idempotencyTtlMs: 0 }, 'idempotencyTtlMs'],
      [{ type: 't', idempotencyKey: '' }, 'idempotencyKey'],
      [{ type: 't', group: 'a|b' }, 'group'],
      [{ type: 't', payload: BigInt(1) }, 'payload'],
    ];
    for (const [options, field] of cases) {
      expect(errorOf(() => preparePublish(options, queue)).message).toMatch(new RegExp(`^publish\\.${field}: `));
      expect(errorOf(() => preparePublish(options, queue, 3)).message).toMatch(new RegExp(`^publishBatch\\[3\\]\\.${field}: `));
    }
    expect(errorOf(() => preparePublish(null as unknown as PublishOptions, queue, 0)).message).toMatch(/^publishBatch\[0\]: /);
  });

  it('refuses a payload JSON would change, naming the place inside it: publish.payload... or publishBatch[i].payload...', () => {
    const cases: Array<[unknown, string, string]> = [
      [{ stats: { avg: NaN } }, '.stats.avg', 'a finite number (JSON writes NaN as null)'],
      [{ items: [1, 2, Infinity] }, '.items[2]', 'a finite number (JSON writes Infinity as null)'],
      [{ seen: new Set(['a']) }, '.seen', 'a plain object or array (JSON writes a Set as {})'],
      [new Map([['a', 1]]), '', 'a plain object or array (JSON writes a Map as {})'],
      [{ id: 10n }, '.id', 'a JSON-serialisable value (JSON cannot write a BigInt)'],
    ];
    for (const [payload, place, expected] of cases) {
      expect(errorOf(() => preparePublish({ type: 't', payload }, queue))).toMatchObject({ path: `publish.payload${place}`, expected });
      expect(errorOf(() => preparePublish({ type: 't', payload }, queue, 3))).toMatchObject({ path: `publishBatch[3].payload${place}`, expected });
    }
  });

  it('publish and publishBatch refuse such a payload and enqueue nothing of the batch', async () => {
    const q = createQueue({ name: 'lossy', backend: { type: 'memory' } });
    try {
      await expect(q.publish({ type: 't', payload: { avg: NaN } })).rejects.toMatchObject({ path: 'publish.payload.avg' });
      const batch = [
        { type: 't', payload: { i: 0 } },
        { type: 't', payload: { i: 1 } },
        { type: 't', payload: { byId: new Map([[1, 'a']]) } },
      ];
      await expect(q.publishBatch(batch)).rejects.toMatchObject({
        path: 'publishBatch[2].payload.byId',
        expected: 'a plain object or array (JSON writes a Map as {})',
      });
      expect((await q.stats()).total_published).toBe(0);
      // what JSON writes as given still goes, as JSON writes it
      const received = new Promise<unknown>((resolve) => q.process('t', (m) => resolve(m.payload)));
      await q.publish({ type: 't', payload: { at: new Date(0), dropped: undefined, n: 1.5 } });
      await expect(received).resolves.toEqual({ at: '1970-01-01T00:00:00.000Z', n: 1.5 });
    } finally {
      await q.close();
    }
  });

  it('takes a deeply nested payload (past the fast walk) as JSON writes it, and refuses one deeper than the stack with an InvalidOptionError, not a crash', () => {
    const nested = (depth: number): unknown => {
      let v: unknown = 1;
      for (let i = 0; i < depth; i++) v = { a: v };
      return v;
    };
    const body = decodeBody(preparePublish({ type: 't', payload: nested(1000) }, queue).body);
    expect(body.ok && JSON.stringify(body.payload)).toBe(JSON.stringify(nested(1000)));
    const error = errorOf(() => preparePublish({ type: 't', payload: nested(100_000) }, queue));
    expect(error).toMatchObject({ path: 'publish.payload', expected: expect.stringContaining('Maximum call stack size exceeded') });
  });

  it('checks every type, also after a valid one was published (the check of a repeated type is skipped only for that same string)', () => {
    preparePublish({ type: 'same' }, queue);
    expect(preparePublish({ type: 'same' }, queue).body).toContain('|same|');
    for (const bad of [undefined, '', 'a|b', 7]) {
      expect(errorOf(() => preparePublish({ type: bad } as unknown as PublishOptions, queue, 1)).message).toMatch(/^publishBatch\[1\]\.type: /);
    }
  });

  it('encodes each message with its own header fields when the messages of a batch differ', () => {
    const now = 1_700_000_000_000;
    const made = [
      preparePublish({ type: 'a', payload: 1 }, queue, 0, now),
      preparePublish({ type: 'a', payload: 2, priority: 'critical' }, queue, 1, now),
      preparePublish({ type: 'b', payload: 3, maxRetries: 0, timeoutMs: 5 }, queue, 2, now),
      preparePublish({ type: 'b', payload: 4, maxRetries: 1, timeoutMs: 5 }, queue, 3, now),
      preparePublish({ type: 'b', payload: 5, maxRetries: 1, timeoutMs: 6 }, queue, 4, now),
      preparePublish({ type: 'b', payload: 6, maxRetries: 1, timeoutMs: 6, priority: 'low' }, queue, 5, now),
      preparePublish({ type: 'b', payload: 7, maxRetries: 1, timeoutMs: 6, priority: 'low', group: 'g1' }, queue, 6, now + 1),
      preparePublish({ type: 'c', payload: 8, maxRetries: 1, timeoutMs: 6, priority: 'low' }, queue, 7, now + 1),
    ];
    const decoded = made.map((m) => decodeBody(m.body));
    expect(
      decoded.map((d) =>
        d.ok ? [d.header.type, d.header.priority, d.header.maxRetries, d.header.timeoutMs, d.header.createdAt, d.header.group, d.payload] : d.reason,
      ),
    ).toEqual([
      ['a', 2, queue.maxRetries, queue.defaultTimeoutMs, now, undefined, 1],
      ['a', 0, queue.maxRetries, queue.defaultTimeoutMs, now, undefined, 2],
      ['b', 2, 0, 5, now, undefined, 3],
      ['b', 2, 1, 5, now, undefined, 4],
      ['b', 2, 1, 6, now, undefined, 5],
      ['b', 3, 1, 6, now, undefined, 6],
      ['b', 3, 1, 6, now + 1, 'g1', 7],
      ['c', 3, 1, 6, now + 1, undefined, 8],
    ]);
    expect(made[6].group).toBe('g1');
    expect('group' in made[0]).toBe(false);
    expect(new Set(made.map((m) => m.id)).size).toBe(8);
  });
});

describe('checkBatchSize', () => {
  const prepared = (payloads: string[]) => payloads.map((p, i) => preparePublish({ type: 't', payload: p }, queue, i));
  const size = (batch: ReturnType<typeof prepared>) => batch.reduce((n, m) => n + m.id.length + m.body.length, 0);

  it('lets a batch of exactly the limit pass and refuses one character more, naming queue, count, size and limit', () => {
    const batch = prepared(['a', 'bb', 'ccc']);
    expect(() => checkBatchSize('q', batch, size(batch))).not.toThrow();
    let error: unknown;
    try {
      checkBatchSize('q', batch, size(batch) - 1);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BatchTooLargeError);
    expect(error).toMatchObject({ code: 'BATCH_TOO_LARGE', target: 'queue "q"', count: 3, size: size(batch), limit: size(batch) - 1 });
    expect((error as Error).message).toContain('split it into smaller batches');
  });

  it('counts idempotency keys and groups', () => {
    const plain = preparePublish({ type: 't' }, queue, 0);
    const keyed = { ...plain, idempotencyKey: 'k'.repeat(100), group: 'g'.repeat(50) };
    expect(() => checkBatchSize('q', [keyed], plain.id.length + plain.body.length + 149)).toThrow(BatchTooLargeError);
    expect(() => checkBatchSize('q', [keyed], plain.id.length + plain.body.length + 150)).not.toThrow();
  });

  it('is what publishBatch applies: a batch over MAX_BATCH_CHARS is refused whole and nothing is enqueued', async () => {
    const q = createQueue({ name: 'huge', backend: { type: 'memory' }, maxPayloadBytes: 100 * 1024 * 1024 });
    try {
      const payload = 'x'.repeat(90 * 1024 * 1024);
      const error = await q.publishBatch([0, 1, 2].map(() => ({ type: 't', payload }))).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BatchTooLargeError);
      expect((error as BatchTooLargeError).limit).toBe(MAX_BATCH_CHARS);
      expect((error as BatchTooLargeError).size).toBeGreaterThan(MAX_BATCH_CHARS);
      expect((await q.stats()).total_published).toBe(0);
      await expect(q.publishBatch([0, 1].map(() => ({ type: 't', payload })))).resolves.toHaveLength(2);
    } finally {
      await q.close();
    }
  });
});
