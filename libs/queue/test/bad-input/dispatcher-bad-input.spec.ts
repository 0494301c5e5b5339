/**
 * Bad input at the dispatcher (issue 13, "Bad input, everywhere"): handler results JSON cannot hold,
 * damaged entries in the results stream and the reply list, keys of the wrong type. The task fails
 * with the reason (dead letter + failure to the origin) or the entry is logged and skipped; other
 * tasks of the same services complete.
 */
import { CompletedTask, Dispatcher, FailedTask, RemoteTaskError } from '../../src';
import { DispatcherKeys } from '../../src/dispatcher/redis/redis-dispatcher-store';
import { DispatcherKit, redisDispatcherKit } from '../../src/dispatcher/testing/dispatcher-test-kit';
import { uniquePrefix, useTestRedis } from '../../src/testing';
import { captureLogger, CapturedLog } from '../support/capture-logger';
import { waitFor } from '../support/wait';

jest.setTimeout(60_000);

const redis = useTestRedis({ spawn: true });
let kit: DispatcherKit;
let prefix: string;
let logger: CapturedLog;
let api: Dispatcher;
let media: Dispatcher;
const completed: CompletedTask[] = [];
const failed: FailedTask[] = [];

const ROUTES = {
  'media.ok': { queue: 'media' },
  'media.bigint': { queue: 'media', maxRetries: 2 },
  'media.circular': { queue: 'media', maxRetries: 2 },
  'media.garbage-reply': { queue: 'media' },
  'media.break-reply': { queue: 'media', maxRetries: 0 },
};

beforeEach(() => {
  prefix = uniquePrefix('dsp');
  logger = captureLogger();
  kit = redisDispatcherKit(() => redis.newClient(), prefix);
  api = kit.dispatcher({ service: 'api', routes: ROUTES, logger });
  media = kit.dispatcher({ service: 'media', routes: {}, logger });
  completed.length = 0;
  failed.length = 0;
  api.onCompleted('*', (t) => void completed.push(t));
  api.onFailed('*', (t) => void failed.push(t));
  media.handle<{ n: number }>('media.ok', ({ n }) => ({ n }));
  media.handle('media.bigint', () => ({ size: 10n }));
  media.handle('media.circular', () => {
    const o: Record<string, unknown> = {};
    o.self = o;
    return o;
  });
  media.handle('media.garbage-reply', async (_p, ctx) => {
    const reply = (ctx.message.payload as { r: string }).r;
    await redis.client.rpush(new DispatcherKeys(prefix, 'api').reply(reply), 'not json', '{"t":1}');
    return 'real reply';
  });
  media.handle('media.break-reply', async (_p, ctx) => {
    const reply = (ctx.message.payload as { r: string }).r;
    await redis.client.set(new DispatcherKeys(prefix, 'api').reply(reply), 'not a list');
    return 'lost';
  });
});
afterEach(async () => {
  await kit.close();
});

describe('dispatcher', () => {
  it('a result JSON cannot hold fails the task at once with the reason (no retries); other tasks complete', async () => {
    const big = api.dispatchAndWait('media.bigint', {}, { timeoutMs: 20_000 });
    const circular = api.dispatchAndWait('media.circular', {}, { timeoutMs: 20_000 });
    const fine = api.dispatchAndWait<{ n: number }>('media.ok', { n: 7 }, { timeoutMs: 20_000 });
    await expect(big).rejects.toBeInstanceOf(RemoteTaskError);
    await expect(big).rejects.toThrow(/is not JSON-serialisable: Do not know how to serialize a BigInt/);
    await expect(circular).rejects.toThrow(/is not JSON-serialisable: Converting circular structure to JSON/);
    await expect(fine).resolves.toEqual({ n: 7 });
    await waitFor(() => failed.length === 2 && completed.length === 1, 'callbacks for all three');
    for (const f of failed) expect(f.attempts).toBe(1);
    const dead = await kit.queue('media').deadLetters.list();
    expect(dead.items.map((d) => d.reason).sort()).toEqual([
      expect.stringMatching(/^non-retryable error: result of task media:.* \(media.bigint\) is not JSON-serialisable/),
      expect.stringMatching(/^non-retryable error: result of task media:.* \(media.circular\) is not JSON-serialisable/),
    ]);
  });

  it('damaged entries in the results stream and the reply list are logged and skipped; the real outcomes arrive', async () => {
    const results = new DispatcherKeys(prefix, 'api').results;
    await api.dispatch('media.ok', { n: 1 });
    await waitFor(() => completed.length === 1, 'first outcome');
    await redis.client.xadd(results, '*', 'foo', 'bar');
    await redis.client.xadd(results, '*', 'taskId', 'x', 'type', 'media.ok');
    const reply = await api.dispatchAndWait('media.garbage-reply', {}, { timeoutMs: 20_000 });
    expect(reply).toBe('real reply');
    await api.dispatch('media.ok', { n: 2 });
    await waitFor(() => completed.length === 3, 'the later outcomes');
    expect(completed.map((c) => c.type).sort()).toEqual(['media.garbage-reply', 'media.ok', 'media.ok']);
    expect(logger.matching('is not a task outcome (missing taskId, type, valueJson)')).toHaveLength(1);
    expect(logger.matching('is not a task outcome (missing valueJson)')).toHaveLength(1);
    expect(logger.matching('is not a reply record (dropped)')).toHaveLength(2);
    await waitFor(async () => {
      const groups = (await redis.client.xinfo('GROUPS', results)) as Array<Array<string | number>>;
      return groups.every((g) => g[g.indexOf('pending') + 1] === 0);
    }, 'every results entry acknowledged');
  });

  it("the origin's results stream of the wrong type: the handler's write fails with a typed error, the task is retried then dead-lettered naming the key; after repair new tasks report", async () => {
    const results = new DispatcherKeys(prefix, 'api').results;
    await redis.client.set(results, 'not a stream');
    const taskId = await api.dispatch('media.bigint', {}, { maxRetries: 0 });
    const okId = await api.dispatch('media.ok', { n: 3 }, { maxRetries: 1 });
    const dead = await waitFor(
      async () => {
        const page = await kit.queue('media').deadLetters.list();
        return page.items.length === 2 ? page.items : undefined;
      },
      'both tasks dead-lettered',
      20_000,
    );
    const okDead = dead!.find((d) => `media:${d.id}` === okId)!;
    expect(okDead.reason).toContain(`Redis key "${results}" holds a string, expected a stream`);
    expect(okDead.error?.name).toBe('RedisKeyTypeError');
    expect(dead!.find((d) => `media:${d.id}` === taskId)).toBeDefined();
    // the origin's result reader meets the same key: logged once, typed
    await waitFor(() => logger.matching(`Redis key "${results}"`).some((l) => l.includes('reading results failed')), 'the reader names the key');
    expect(logger.matching('reading results failed')).toHaveLength(1);
    await redis.client.del(results);
    await api.dispatch('media.ok', { n: 4 });
    await waitFor(() => completed.some((c) => (c.result as { n: number }).n === 4), 'outcomes flow after the repair', 20_000);
  });

  it('keys damaged while in use: the result reader and the reply reader name the key, never a bare WRONGTYPE', async () => {
    const keys = new DispatcherKeys(prefix, 'api');
    await api.dispatch('media.ok', { n: 1 });
    await waitFor(() => completed.length === 1, 'first outcome (the results group exists)');
    await redis.client.del(keys.results);
    await redis.client.set(keys.results, 'not a stream');
    await waitFor(
      () => logger.matching(`Redis key "${keys.results}" holds a string, expected a stream`).some((l) => l.includes('reading results failed')),
      'the result reader names the results key',
      20_000,
    );
    // the handler turns the caller's reply list into a string before it replies
    const waiting = api.dispatchAndWait('media.break-reply', {}, { timeoutMs: 3000 }).catch((error: Error) => error);
    await waitFor(
      () => logger.lines.some((l) => l.includes('reading replies failed') && /Redis key ".*:reply:.*" holds a string, expected a list/.test(l)),
      'the reply reader names the reply key',
      20_000,
    );
    expect(await waiting).toBeInstanceOf(Error);
    expect(logger.lines.filter((l) => l.includes('WRONGTYPE') && !l.includes('Redis key'))).toEqual([]);
  });
});
