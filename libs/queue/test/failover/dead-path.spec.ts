import { createDispatcher } from '../../src/dispatcher/create-dispatcher';
import { createEventBus } from '../../src/events/create-event-bus';
import { createQueue } from '../../src/queue/create-queue';
import { createRedisClient, RedisClient } from '../../src/redis/redis-connection';
import { RedisServerHandle, spawnRedis, uniquePrefix } from '../../src/testing';
import { within } from '../../src/util/retry';
import { FreezingProxy } from '../support/freezing-proxy';
import { waitFor } from '../support/wait';
import { silentLogger } from './silent-logger';

/**
 * A path to Redis that goes dead without a reset reaching the client, while a new connection
 * would work: a Redis host gone (its address re-resolved or taken over), a hung proxy or load
 * balancer, a NAT that forgot the flow. Played by a proxy that stops passing bytes on the
 * connections it holds but keeps them open (its kernel keeps acknowledging the client's segments,
 * so TCP keepalive never gives up), and passes new connections on. Before, an idle worker stayed
 * blocked on its dead connection for good, a producer's publishes timed out one after the other, a
 * stream subscriber heard nothing more. Now a connection that owes replies and hears nothing for
 * `socketTimeoutMs` (plus its block time) is opened again and its commands sent again; a fetch sent
 * again returns what its first run took (its reply was lost), instead of leaving it leased to no one
 * until the lease expired.
 */
describe('a dead path to Redis (no reset reaches the client; a new connection works)', () => {
  let server: RedisServerHandle | undefined;
  let proxy: FreezingProxy | undefined;
  let admin: RedisClient | undefined;
  const clients: RedisClient[] = [];
  const closers: Array<() => Promise<unknown>> = [];

  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => within(close(), 5000, 'close').catch(() => undefined)));
    clients.splice(0).forEach((c) => c.disconnect());
    await proxy?.close();
    await server?.cleanup();
    server = proxy = admin = undefined;
  });

  /** `viaProxy` opens a client through the proxy, with a socket timeout of 1 s unless `defaults` (the library's). */
  async function start(): Promise<{ direct: () => RedisClient; viaProxy: (defaults?: 'defaults') => RedisClient }> {
    server = await spawnRedis();
    proxy = await FreezingProxy.start({ host: '127.0.0.1', port: server.port });
    const open = (url: string, defaults = false) => {
      const c = createRedisClient({ url, ...(defaults ? {} : { socketTimeoutMs: 1000 }), logger: silentLogger() });
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    };
    admin = open(server.url);
    return { direct: () => open(server!.url), viaProxy: (defaults) => open(proxy!.url, defaults === 'defaults') };
  }

  /** Opens dispatchers of one service 'svc' (task type `work` on its queue), each closed after the test. */
  function dispatchers(options: { blockMs: number; claimIdleMs?: number }): (client: RedisClient) => ReturnType<typeof createDispatcher> {
    const prefix = uniquePrefix('deadpath');
    return (client) => {
      const dispatcher = createDispatcher({
        service: 'svc',
        backend: { type: 'redis', client, prefix, queuePrefix: prefix },
        routes: { work: { queue: 'svc' } },
        ...options,
        logger: silentLogger(),
      });
      closers.push(() => dispatcher.close());
      return dispatcher;
    };
  }

  /** Whether a client of the server is blocked in `command` (CLIENT LIST flag b). */
  async function blockedIn(command: string): Promise<boolean> {
    const list = (await admin!.client('LIST')) as string;
    return list.split('\n').some((line) => line.includes(`cmd=${command}`) && / flags=\w*b/.test(line));
  }

  test('an idle worker blocked on it takes what is published after, once its connection times out', async () => {
    const { direct, viaProxy } = await start();
    const prefix = uniquePrefix('deadpath');
    const worker = createQueue({ name: 'q', backend: { type: 'redis', client: viaProxy(), prefix }, idleBlockMs: 2000, logger: silentLogger() });
    closers.push(() => worker.close());
    const started = new Map<string, number>();
    worker.process<string>('t', (m) => void started.set(m.payload, m.attempt));
    const producer = createQueue({ name: 'q', backend: { type: 'redis', client: direct(), prefix }, logger: silentLogger() });
    closers.push(() => producer.close());
    await producer.publish({ type: 't', payload: 'before' });
    await waitFor(() => started.has('before'), 'the first message');
    await waitFor(() => blockedIn('blpop'), 'the worker to block in BLPOP');
    proxy!.freeze();
    // the blocked BLPOP on the server takes its wake-up token and the fetch pipelined behind it
    // leases it; their replies go nowhere
    await producer.publish({ type: 't', payload: 'after' });
    // the lease is 30 s: the message starts well before, as attempt 1, from the fetch sent again
    await waitFor(() => started.has('after'), '"after" to start (the blocking connection owes a reply for 2 s + 1 s)', 20_000);
    expect(started.get('after')).toBe(1);
    expect(proxy!.accepted).toBeGreaterThan(2);
  }, 60_000);

  // with the defaults: the socket timeout (5 s) is under the publish timeout (10 s), so the publish
  // caught on the dead connection is sent again on a new one before the caller is told it timed out
  test("a producer's publish on it goes out on a new connection within its publish timeout (defaults)", async () => {
    const { direct, viaProxy } = await start();
    const prefix = uniquePrefix('deadpath');
    const producer = createQueue({ name: 'q', backend: { type: 'redis', client: viaProxy('defaults'), prefix }, logger: silentLogger() });
    closers.push(() => producer.close());
    const worker = createQueue({ name: 'q', backend: { type: 'redis', client: direct(), prefix }, logger: silentLogger() });
    closers.push(() => worker.close());
    const started = new Set<string>();
    worker.process<string>('t', (m) => void started.add(m.payload));
    await producer.publish({ type: 't', payload: 'before' });
    await waitFor(() => started.has('before'), 'the first message');
    proxy!.freeze();
    for (const payload of ['after 1', 'after 2']) await producer.publish({ type: 't', payload });
    await waitFor(() => started.has('after 1') && started.has('after 2'), 'both to start');
  }, 60_000);

  test('a pub/sub subscriber on it hears again what is published after (its PING finds the path dead)', async () => {
    const { direct, viaProxy } = await start();
    const prefix = uniquePrefix('deadpath');
    const heard: number[] = [];
    const subscriber = createEventBus({ type: 'redis_pubsub', client: viaProxy(), prefix, serviceName: 's', logger: silentLogger() });
    closers.push(() => subscriber.close());
    await subscriber.subscribe('ch', (event) => void heard.push(event.data as number));
    const publisher = createEventBus({ type: 'redis_pubsub', client: direct(), prefix, serviceName: 'p', logger: silentLogger() });
    closers.push(() => publisher.close());
    await waitFor(async () => (await publisher.publish('ch', 'tick', 0), heard.includes(0)), 'the first event');
    const accepted = proxy!.accepted;
    proxy!.freeze();
    // at most once: what is published while the path is dead is lost; once the subscriber has
    // subscribed again through a new connection, events reach it
    let n = 0;
    await waitFor(async () => (await publisher.publish('ch', 'tick', ++n), heard.some((x) => x > 0)), 'an event published after the path died', 20_000, 100);
    expect(proxy!.accepted).toBeGreaterThan(accepted);
  }, 60_000);

  test('a stream-bus subscriber blocked on it hears the events published after, the one its lost read took at once', async () => {
    const { direct, viaProxy } = await start();
    const prefix = uniquePrefix('deadpath');
    // event -> the delivery counts its handler saw
    const heard = new Map<number, number[]>();
    const subscriber = createEventBus({
      type: 'redis_stream',
      client: viaProxy(),
      prefix,
      serviceName: 's',
      blockMs: 1000,
      // far past the test: no entry here comes back through a claim
      claimIdleMs: 600_000,
      logger: silentLogger(),
    });
    closers.push(() => subscriber.close({ drainTimeoutMs: 100 }));
    await subscriber.subscribe('ch', (event, ctx) => {
      const n = event.data as number;
      heard.set(n, [...(heard.get(n) ?? []), ctx.deliveryCount]);
      // event 1 fails: it stays pending, and must wait for its claim (not come back with the read-back)
      if (n === 1) throw new Error('fails once');
    });
    const publisher = createEventBus({ type: 'redis_stream', client: direct(), prefix, serviceName: 'p', logger: silentLogger() });
    closers.push(() => publisher.close());
    await publisher.publish('ch', 'tick', 1);
    await waitFor(() => heard.has(1), 'the first event');
    await waitFor(() => blockedIn('xreadgroup'), 'the subscriber to block in XREADGROUP');
    proxy!.freeze();
    // the blocked read on the server takes it; its reply goes nowhere: the entry is pending for the
    // subscriber, which reads it back once its connection is open again
    await publisher.publish('ch', 'tick', 2);
    await waitFor(() => heard.has(2), 'the event its lost read took (read back, not claimed)', 20_000);
    // and the blocking read works again
    await waitFor(() => blockedIn('xreadgroup'), 'the subscriber to block in XREADGROUP again');
    await publisher.publish('ch', 'tick', 3);
    await waitFor(() => heard.has(3), 'the next event');
    expect(heard.get(1)).toEqual([1]);
    expect(heard.get(2)).toEqual([1]);
    expect(heard.get(3)).toEqual([1]);
  }, 60_000);

  test('a dispatchAndWait caller whose reply read was blocked on it gets the reply that read took', async () => {
    const { direct, viaProxy } = await start();
    // the read blocked on the server outlives the reply's arrival (its reply then goes nowhere)
    const open = dispatchers({ blockMs: 10_000 });
    const caller = open(viaProxy());
    const worker = open(direct());
    worker.handle<number, number>('work', (n) => n * 10);
    await expect(caller.dispatchAndWait('work', 1)).resolves.toBe(10);
    await waitFor(() => blockedIn('blmove'), 'the caller to block reading replies');
    proxy!.freeze();
    // the publish goes out again on a new connection after 1 s; its reply is taken by the read
    // still blocked on the server, whose reply goes nowhere. Before, that reply was gone.
    await expect(caller.dispatchAndWait('work', 2, { timeoutMs: 30_000 })).resolves.toBe(20);
    await expect(caller.dispatchAndWait('work', 3)).resolves.toBe(30);
  }, 60_000);

  test("a dispatcher's results reader blocked on it gets the result its lost read took at once (not after its claim)", async () => {
    const { direct, viaProxy } = await start();
    // a claim far past the test: no result here comes back through one
    const open = dispatchers({ blockMs: 1000, claimIdleMs: 600_000 });
    const listener = open(viaProxy());
    const completed: number[] = [];
    listener.onCompleted<number>('work', (task) => void completed.push(task.result));
    // dispatches and handles over a working path; reads no results (no callbacks of its own)
    const sender = open(direct());
    sender.handle<number, number>('work', (n) => n);
    await sender.dispatch('work', 1);
    await waitFor(() => completed.includes(1), 'the first result');
    await waitFor(() => blockedIn('xreadgroup'), 'the listener to block reading results');
    proxy!.freeze();
    // the read blocked on the server takes the result; its reply goes nowhere
    await sender.dispatch('work', 2);
    await waitFor(() => completed.includes(2), 'the result its lost read took (read back, not claimed)', 20_000);
    await sender.dispatch('work', 3);
    await waitFor(() => completed.includes(3), 'the next result');
    expect(completed).toEqual([1, 2, 3]);
  }, 60_000);
});
