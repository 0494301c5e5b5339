/**
 * Bad input at the queue (issue 13, "Bad input, everywhere"): every key of a queue holding the wrong
 * Redis type, garbage in the hashes the queue reads, handlers returning what JSON cannot hold. Each
 * case is a clear typed error naming the key, or a dead letter with the reason; the process keeps
 * serving its other queues and tiers, and once the key is repaired every accepted message completes.
 */
import { createQueue, NonRetryableError, RedisKeyTypeError, StoreBackedQueue } from '../../src';
import { QueueKeys } from '../../src/queue/redis/queue-keys';
import { uniquePrefix, useTestRedis } from '../../src/testing';
import { captureLogger, CapturedLog } from '../support/capture-logger';
import { waitFor } from '../support/wait';

jest.setTimeout(120_000);

const redis = useTestRedis({ spawn: true });
const queues: StoreBackedQueue[] = [];

afterEach(async () => {
  await Promise.all(queues.splice(0).map((q) => q.close({ drainTimeoutMs: 500 })));
});

function open(name: string, prefix: string, logger: CapturedLog, done: Map<string, number>): StoreBackedQueue {
  const queue = createQueue({
    name,
    backend: { type: 'redis', client: redis.client, prefix },
    logger,
    visibilityTimeoutMs: 1000,
    idleBlockMs: 500,
    backoff: { baseMs: 10, maxMs: 20 },
  });
  queue.process('work', async (m) => {
    done.set(m.id, (done.get(m.id) ?? 0) + 1);
    return { ok: true };
  });
  // fails its first attempt (writes the attempt count and the last error), then completes
  queue.process('flaky', async (m) => {
    if (m.attempt === 1) throw new Error('first attempt fails');
    done.set(m.id, (done.get(m.id) ?? 0) + 1);
  });
  // dead-lettered at once (writes the dead-letter queue and its info)
  queue.process('dead', async () => {
    throw new NonRetryableError('planned dead letter');
  });
  queues.push(queue);
  return queue;
}

const PRIORITIES = ['critical', 'high', 'normal', 'low'] as const;

describe('every key of a queue holding the wrong Redis type', () => {
  const suffixes = new QueueKeys('p', 'q').all().map((k) => k.slice('p:{q}:'.length));

  it.each(suffixes)(
    '%s: a typed error naming the key or the message still runs; the healthy queue never stops; after repair nothing is lost',
    async (suffix) => {
      const prefix = uniquePrefix('badtype');
      const logger = captureLogger();
      const done = new Map<string, number>();
      const key = `${prefix}:{victim}:${suffix}`;
      await redis.client.set(key, 'not the right type');
      const victim = open('victim', prefix, logger, done);
      const healthy = open('healthy', prefix, logger, done);

      const accepted: string[] = [];
      const rejected: RedisKeyTypeError[] = [];
      for (let i = 0; i < 8; i++) {
        try {
          accepted.push(await victim.publish({ type: 'work', payload: { i }, priority: PRIORITIES[i % 4], delayMs: i === 7 ? 20 : 0 }));
        } catch (error) {
          expect(error).toBeInstanceOf(RedisKeyTypeError);
          expect((error as RedisKeyTypeError).key).toBe(key);
          expect((error as RedisKeyTypeError).found).toBe('string');
          rejected.push(error as RedisKeyTypeError);
        }
      }
      // a retry and a dead letter: they write att, errors, dlq and dlqinfo
      const failing: Record<'flaky' | 'dead', string | undefined> = { flaky: undefined, dead: undefined };
      for (const type of ['flaky', 'dead'] as const) {
        try {
          failing[type] = await victim.publish({ type, payload: null });
        } catch (error) {
          expect(error).toMatchObject({ key });
        }
      }
      // the other queue of the process is served all along
      const first = await healthy.publishBatch(Array.from({ length: 20 }, (_, i) => ({ type: 'work', payload: { i } })));
      await waitFor(() => first.every((id) => done.get(id) === 1), 'the healthy queue completes its messages', 20_000);
      // the victim either works (the key is only a counter or a wake-up list) or says which key is wrong
      await waitFor(
        () => accepted.every((id) => done.has(id)) || logger.matching(key).length > 0 || rejected.length > 0,
        `the victim works or names ${key}`,
        20_000,
      );
      // it does not spin: more healthy work later, and the failure is still logged once (not per retry)
      const second = await healthy.publishBatch(Array.from({ length: 20 }, (_, i) => ({ type: 'work', payload: { i } })));
      await waitFor(() => second.every((id) => done.get(id) === 1), 'the healthy queue still completes', 20_000);
      const named = logger.lines.filter((l) => l.includes(key) && l.startsWith('error'));
      expect(named.length).toBeLessThanOrEqual(3); // one per failing step (fetch, update, acknowledgement), never one per retry
      for (const line of logger.lines.filter((l) => l.includes('WRONGTYPE'))) expect(line).toContain(key); // never a bare WRONGTYPE

      // repair: every accepted message completes, once
      await redis.client.del(key);
      await waitFor(() => accepted.every((id) => done.has(id)), 'every accepted message completes after the repair', 30_000);
      for (const id of accepted) expect(done.get(id)).toBe(1);
      const { flaky, dead } = failing;
      if (flaky) await waitFor(() => done.get(flaky) === 1, 'the failing message is retried and completes after the repair', 30_000);
      if (dead) {
        const letter = await waitFor(() => victim.deadLetters.get(dead), 'the dead letter is recorded after the repair', 30_000);
        expect(letter?.reason).toBe('non-retryable error: planned dead letter');
      }
    },
  );
});

describe('garbage in the hashes a queue reads', () => {
  it('a damaged body is dead-lettered with the reason; the messages around it complete', async () => {
    const prefix = uniquePrefix('garbage');
    const logger = captureLogger();
    const done = new Map<string, number>();
    const queue = open('bodies', prefix, logger, done);
    const keys = new QueueKeys(prefix, 'bodies');
    await queue.pause();
    const before = await queue.publish({ type: 'work', payload: 1 });
    await redis.client.multi().hset(keys.msgs, 'junk-1', '\u0000garbage|||').rpush(keys.tiers[2], 'junk-1').rpush(keys.tiers[1], 'junk-2').exec();
    const after = await queue.publish({ type: 'work', payload: 2 });
    await queue.resume();
    await waitFor(() => done.has(before) && done.has(after), 'the good messages complete');
    const dead = (await waitFor(async () => {
      const page = await queue.deadLetters.list();
      return page.total === 2 ? page : undefined;
    }, 'both damaged entries are dead-lettered'))!;
    const reasons = Object.fromEntries(dead.items.map((d) => [d.id, d.reason]));
    expect(reasons['junk-1']).toMatch(/not a valid message \(bad header\)/);
    expect(reasons['junk-2']).toMatch(/no message body/);
    expect(dead.items.find((d) => d.id === 'junk-1')?.raw).toBe('\u0000garbage|||');
  });

  it('damaged counters, attempt counts, leases, errors, results and dead-letter info: reads stay typed, messages complete', async () => {
    const prefix = uniquePrefix('garbage');
    const logger = captureLogger();
    const done = new Map<string, number>();
    const attempts = new Map<string, number[]>();
    const keys = new QueueKeys(prefix, 'hashes');
    await redis.client.hset(keys.stats, 'published', 'many', 'processed', '1.5e', 'failed', '{}', 'retried', 'x', 'dead_letter', '?');
    await redis.client.hset(keys.meta, 'paused', 'perhaps');
    const queue = createQueue({
      name: 'hashes',
      backend: { type: 'redis', client: redis.client, prefix },
      logger,
      visibilityTimeoutMs: 600,
      backoff: { baseMs: 5, maxMs: 5 },
    });
    queues.push(queue);
    let holdFirst = true;
    queue.process('work', async (m, ctx) => {
      attempts.set(m.id, [...(attempts.get(m.id) ?? []), m.attempt]);
      if ((m.payload as { kind: string }).kind === 'lease' && holdFirst) {
        holdFirst = false;
        // the lease token is damaged while this attempt runs: the attempt is aborted, the message runs again
        await redis.client.hset(keys.leases, m.id, 'garbage-token');
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
        return 'aborted';
      }
      if ((m.payload as { kind: string }).kind === 'fail' && m.attempt === 1) throw new Error('first attempt fails');
      done.set(m.id, (done.get(m.id) ?? 0) + 1);
      return 'ok';
    });
    const plain = await queue.publish({ type: 'work', payload: { kind: 'plain' } });
    const lease = await queue.publish({ type: 'work', payload: { kind: 'lease' } });
    const retried = await queue.publish({ type: 'work', payload: { kind: 'fail' }, delayMs: 50 });
    await waitFor(() => done.has(plain) && done.has(lease), 'messages complete with damaged counters and a damaged lease', 20_000);
    expect(attempts.get(lease)!.length).toBeGreaterThanOrEqual(2);
    // an attempt count and a last error that are not numbers/JSON: the retry still runs, status stays readable
    await waitFor(async () => (await queue.getStatus(retried))?.state === 'delayed' || done.has(retried), 'the failing message is retrying');
    if (!done.has(retried)) {
      await redis.client.hset(keys.att, retried, 'NaN');
      await redis.client.hset(keys.errors, retried, '{not json');
      const status = await queue.getStatus(retried);
      expect(status?.state).toMatch(/delayed|ready|processing|completed/);
    }
    await waitFor(() => done.has(retried), 'the retried message completes');
    // a completed result record and a dead-letter info that are not JSON
    await redis.client.hset(keys.results, plain, '<<garbage>>');
    const completed = await queue.getStatus(plain);
    expect(completed?.state).toBe('completed');
    await redis.client.multi().zadd(keys.dlq, Date.now(), 'dead-x').hset(keys.dlqinfo, 'dead-x', 'not json').hset(keys.msgs, 'dead-x', 'nope').exec();
    const dead = await queue.deadLetters.get('dead-x');
    expect(dead).toMatchObject({ id: 'dead-x', reason: 'unknown', type: null, raw: 'nope' });
    const stats = await queue.stats();
    const numbers = Object.entries(stats).filter(([, value]) => typeof value === 'number');
    expect(numbers.length).toBeGreaterThan(0);
    expect(numbers.filter(([, value]) => !Number.isFinite(value))).toEqual([]);
    expect(done.get(plain)).toBe(1);
    expect(done.get(lease)).toBe(1);
  });
});

describe('handler results JSON cannot hold', () => {
  it('a BigInt or a circular result completes the message with a note, and the queue keeps going', async () => {
    const prefix = uniquePrefix('result');
    const logger = captureLogger();
    const queue = createQueue({ name: 'results', backend: { type: 'redis', client: redis.client, prefix }, logger });
    queues.push(queue);
    queue.process('big', async () => 10n);
    queue.process('circular', async () => {
      const o: Record<string, unknown> = {};
      o.self = o;
      return o;
    });
    queue.process('fine', async () => ({ fine: true }));
    const ids = [
      await queue.publish({ type: 'big', payload: null }),
      await queue.publish({ type: 'circular', payload: null }),
      await queue.publish({ type: 'fine', payload: null }),
    ];
    const statuses = (await waitFor(async () => {
      const all = await Promise.all(ids.map((id) => queue.getStatus(id)));
      return all.every((s) => s?.state === 'completed') ? all : undefined;
    }, 'all three complete'))!;
    expect(statuses[2]?.result).toEqual({ fine: true });
    expect(statuses[0]?.result).toBeUndefined();
    expect(statuses[1]?.result).toBeUndefined();
    const raw = await redis.client.hmget(new QueueKeys(prefix, 'results').results, ids[0], ids[1]);
    for (const record of raw) expect(JSON.parse(record!).e).toMatch(/^result is not JSON-serialisable: result\b/);
  });
});

describe('a wake-up list of the wrong type', () => {
  it('an idle worker waits out its idle block instead of spinning, says once which key, and still finds new work', async () => {
    const prefix = uniquePrefix('badwake');
    const logger = captureLogger();
    const done = new Map<string, number>();
    const key = new QueueKeys(prefix, 'victim').wake;
    await redis.client.set(key, 'not a list');
    const victim = open('victim', prefix, logger, done); // idleBlockMs 500
    await waitFor(() => logger.matching(key).length > 0, 'the key named in the log');
    await redis.client.config('RESETSTAT');
    // an observation window, not a wait for something to happen: a spinning worker sends thousands
    // of BLPOPs in it, one that waits out its idle block about four (fewer on a slow machine)
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const blpops = Number(/cmdstat_blpop:calls=(\d+)/.exec(await redis.client.info('commandstats'))?.[1] ?? 0);
    expect(blpops).toBeLessThanOrEqual(8);
    const id = await victim.publish({ type: 'work', payload: null });
    await waitFor(() => done.get(id) === 1, 'the message, found after an idle wait');
    const named = logger.matching(key);
    expect(named).toHaveLength(1);
    expect(named[0]).toMatch(/^error .*holds the wrong Redis type/);
    expect(logger.lines.filter((l) => l.includes('WRONGTYPE'))).toEqual([]);
  });
});
