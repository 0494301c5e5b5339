import { RedisQueueStore } from '../../src/queue/redis/redis-queue-store';
import { preparePublish } from '../../src/queue/publish-validation';
import { resolveQueueOptions } from '../../src/queue/queue-options';
import type { Delivery, WakeFetch, WokenFetch } from '../../src/queue/queue-store';
import { spawnRedis, uniquePrefix } from '../../src/testing';
import type { RedisServerHandle } from '../../src/testing';
import { waitFor } from '../support/wait';

/**
 * Store-level checks of the Redis encoding that the queue conformance suite cannot see directly:
 * acknowledgements of several fetches in one complete call (lease tokens sent once per run) and the
 * encoding of the leases hash.
 */
describe('RedisQueueStore (Redis encoding details)', () => {
  let server: RedisServerHandle;
  beforeAll(async () => {
    server = await spawnRedis();
  });
  afterAll(() => server?.cleanup());

  async function storeWith(count: number) {
    const client = server.client();
    const options = resolveQueueOptions({ name: 'store-spec' });
    const store = new RedisQueueStore({
      client,
      prefix: uniquePrefix('store'),
      name: options.name,
      deadLetterEnabled: true,
      limits: { deadLetterMaxSize: 100, deadLetterMaxAgeMs: 60_000, completedCount: 100, completedAgeMs: 60_000 },
    });
    await store.publish(Array.from({ length: count }, (_, i) => preparePublish({ type: 't', payload: { i } }, options)));
    return { client, store };
  }

  it('a complete of deliveries from several fetches, interleaved, settles exactly those still held under their own token', async () => {
    const { client, store } = await storeWith(4);
    const a = (await store.fetch(2, 30_000, null, 0)).deliveries;
    const b = (await store.fetch(2, 30_000, null, 0)).deliveries;
    expect(a[0].lease).not.toBe(b[0].lease);
    const done = (d: Delivery, lease = d.lease) => ({ id: d.id, attempt: d.attempt, lease, record: '' });
    // a[1] is named with b's token: stale, and it stays in flight; the others complete
    const stale = await store.complete([done(a[0]), done(b[0]), done(a[1], b[0].lease), done(b[1])]);
    expect(stale.map((s) => s.id)).toEqual([a[1].id]);
    const counts = await store.counts();
    expect(counts.processing).toBe(1);
    expect(counts.counters.processed).toBe(3);
    expect(await store.complete([done(a[1])])).toEqual([]);
    expect((await store.counts()).processing).toBe(0);
    client.disconnect();
  });

  it('the progress hash stays bounded: entries of ended deliveries are pruned by later progress writes', async () => {
    const { client, store } = await storeWith(700);
    const taken = (await store.fetch(700, 30_000, null, 0)).deliveries;
    for (const d of taken) expect(await store.progress(d, '1', '{}')).toBe(true);
    expect(await client.hlen(store.keys.progress)).toBe(700);
    // they all end (no cleanup in complete.lua: the hot path is unchanged), then one delivery reports again
    expect(await store.complete(taken.slice(1).map((d) => ({ id: d.id, attempt: d.attempt, lease: d.lease, record: '' })))).toEqual([]);
    expect(await client.hlen(store.keys.progress)).toBe(700);
    expect(await store.progress(taken[0], '2', '{}')).toBe(true);
    const left = await client.hlen(store.keys.progress);
    expect(left).toBeLessThanOrEqual(700 - 200);
    // the live entry is kept
    expect((await store.status(taken[0].id))?.progress?.json).toBe('2');
    // further writes keep it at most the threshold (512) while few messages are in flight
    for (let i = 0; i < 5; i++) await store.progress(taken[0], String(3 + i), '{}');
    expect(await client.hlen(store.keys.progress)).toBeLessThanOrEqual(512);
    client.disconnect();
  });

  it('a wake-up that ends after its wait gave up is not lost: the next wait returns at once with what it saw due', async () => {
    const { client, store } = await storeWith(0);
    const options = resolveQueueOptions({ name: 'store-spec' });
    // Redis times a BLPOP out on its next event-loop turn (at most 1 / hz s apart): with hz 1 the
    // BLPOP usually outlives the local timer that ends a precise wait, as it may by up to 100 ms by default
    await client.config('SET', 'hz', '1');
    const wake: WakeFetch = { precise: true, max: 1, leaseMs: 30_000, weights: null, random: 0, limits: [], onResult: () => undefined };
    try {
      // a delayed message leaves a wake-up token: the BLPOP still pending takes it, and the fetch
      // behind it says the message is due in 2 s (the token is gone: nothing else would tell).
      // When Redis had timed the BLPOP out first (the token is still in the list), it is tried again.
      const tokenTaken = async () => {
        // (a reply of the previous try's BLPOP, timed out by Redis, may still end this wait)
        if ((await store.waitForWork(20, wake)) !== null) return false;
        await store.publish([preparePublish({ type: 't', delayMs: 2000 }, options)]);
        if ((await client.llen(store.keys.wake)) === 0) return true;
        await client.del(store.keys.wake);
        return false;
      };
      await waitFor(tokenTaken, 'a BLPOP still pending after its wait ended to take the token', 10_000, 0);
      let guard: NodeJS.Timeout | undefined;
      const stillWaiting = new Promise<string>((resolve) => (guard = setTimeout(() => resolve('still waiting'), 5000)));
      const woke = await Promise.race([store.waitForWork(20_000, { ...wake, precise: false }), stillWaiting]);
      clearTimeout(guard);
      expect(woke).toMatchObject({ result: { deliveries: [] } });
      const due = (woke as WokenFetch).result.nextWakeMs;
      expect(due).toBeGreaterThan(0);
      expect(due).toBeLessThanOrEqual(2000);
    } finally {
      store.interruptWait();
      await client.config('SET', 'hz', '10');
      client.disconnect();
    }
  });

  it('a fetch run again with its lease token (a client sends it again when the reply was lost) returns what the first run took', async () => {
    const { client, store } = await storeWith(3);
    const commands = client as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const name = Object.keys(commands).find((key) => typeof commands[key] === 'function' && /fetch$/.test(key))!;
    const original = commands[name];
    const replies: unknown[][] = [];
    // the first reply is lost on the way back; the same command runs once more
    commands[name] = async function (this: unknown, ...args: unknown[]) {
      replies.push((await original.apply(this, args)) as unknown[]);
      replies.push((await original.apply(this, args)) as unknown[]);
      return replies[1];
    };
    const taken = (await store.fetch(2, 30_000, null, 0)).deliveries;
    commands[name] = original;
    expect(replies[1][2]).toEqual(replies[0][2]);
    expect(taken.map((d) => d.attempt)).toEqual([1, 1]);
    const counts = await store.counts();
    expect(counts.processing).toBe(2);
    expect(counts.tiers).toEqual([0, 0, 1, 0]);
    client.disconnect();
  });

  it("a fetch's record is forgotten once one of its deliveries is settled, or its lease expires: the leases hash keeps nothing else", async () => {
    const { client, store } = await storeWith(4);
    const records = async () => (await client.hkeys(store.keys.leases)).filter((field) => field.startsWith('>'));
    const done = (d: Delivery) => ({ id: d.id, attempt: d.attempt, lease: d.lease, record: '' });
    const [a, b] = (await store.fetch(2, 30_000, null, 0)).deliveries;
    expect(await records()).toEqual([`>${a.lease}`]);
    // one settle is enough (the other delivery of that fetch is still held)
    expect(await store.complete([done(a)])).toEqual([]);
    expect(await records()).toEqual([]);
    expect(await store.complete([done(b)])).toEqual([]);
    const [c] = (await store.fetch(1, 30_000, null, 0)).deliveries;
    await store.release([c], 0);
    expect(await records()).toEqual([]);
    const [d] = (await store.fetch(1, 30_000, null, 0)).deliveries;
    expect(await store.fail(d, { kind: 'retry', delayMs: 0, errorJson: '{}' })).toBe(true);
    expect(await records()).toEqual([]);
    // a worker that got the reply and died: the lease expires, the next fetch takes the message back
    const [e] = (await store.fetch(1, 50, null, 0)).deliveries;
    expect(await records()).toEqual([`>${e.lease}`]);
    const again = (await waitFor(async () => {
      const got = (await store.fetch(1, 30_000, null, 0)).deliveries;
      await store.release(
        got.filter((x) => x.id !== e.id),
        0,
      );
      return got.find((x) => x.id === e.id);
    }, 'the expired lease')) as Delivery;
    expect(again.attempt).toBe(2);
    expect((await records()).includes(`>${e.lease}`)).toBe(false);
    expect(await store.complete([done(again)])).toEqual([]);
    while (true) {
      const rest = (await store.fetch(10, 30_000, null, 0)).deliveries;
      if (rest.length === 0) break;
      expect(await store.complete(rest.map(done))).toEqual([]);
    }
    expect(await client.hkeys(store.keys.leases)).toEqual(['~']);
    client.disconnect();
  });

  it('keeps the leases hash in hashtable encoding (a listpack made every lease step scan it)', async () => {
    const { client, store } = await storeWith(3);
    await store.fetch(3, 30_000, null, 0);
    expect(await client.object('ENCODING', store.keys.leases)).toBe('hashtable');
    client.disconnect();
  });
  it('a plain publish puts each message on the tier its body names, and refuses the whole batch when one body is not a message', async () => {
    const { client, store } = await storeWith(0);
    const options = resolveQueueOptions({ name: 'store-spec' });
    const batch = (['low', 'critical', 'normal', 'high', 'critical'] as const).map((priority, i) =>
      preparePublish({ type: 't', payload: i, priority }, options),
    );
    await store.publish(batch);
    const lists = await Promise.all(store.keys.tiers.map((key) => client.lrange(key, 0, -1)));
    expect(lists).toEqual([[batch[1].id, batch[4].id], [batch[3].id], [batch[2].id], [batch[0].id]]);
    // bodies a broken producer could send: another format version, a tier out of range, a short body, an empty id
    const good = preparePublish({ type: 't' }, options);
    for (const bad of [
      { ...good, body: `2${good.body.slice(1)}` },
      { ...good, body: `1|4${good.body.slice(3)}` },
      { ...good, body: '1|' },
      { ...good, id: '' },
    ]) {
      await expect(store.publish([preparePublish({ type: 't' }, options), bad])).rejects.toThrow('publish: message 2 has invalid arguments');
    }
    expect(await client.hlen(store.keys.msgs)).toBe(batch.length);
    client.disconnect();
  });
  it('a plain publish naming ids already stored (a re-sent command mixed with new messages) stores only the new ones, each on its tier', async () => {
    const { client, store } = await storeWith(0);
    const options = resolveQueueOptions({ name: 'store-spec' });
    const make = (priority: 'critical' | 'high' | 'normal' | 'low', i: number) => preparePublish({ type: 't', payload: i, priority }, options);
    const [a, b] = [make('normal', 0), make('low', 1)];
    await store.publish([a, b]);
    const [c, d] = [make('critical', 2), make('low', 3)];
    await store.publish([a, c, b, d]);
    const lists = await Promise.all(store.keys.tiers.map((key) => client.lrange(key, 0, -1)));
    expect(lists).toEqual([[c.id], [], [a.id], [b.id, d.id]]);
    expect(await client.hmget(store.keys.msgs, a.id, b.id, c.id, d.id)).toEqual([a.body, b.body, c.body, d.body]);
    expect(await client.hget(store.keys.stats, 'published')).toBe('4');
    client.disconnect();
  });
});
