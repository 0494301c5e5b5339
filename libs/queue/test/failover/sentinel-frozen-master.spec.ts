import { createEventBus } from '../../src/events/create-event-bus';
import type { EventBus } from '../../src/events/event-bus';
import { createQueue } from '../../src/queue/create-queue';
import type { StoreBackedQueue } from '../../src/queue/task-queue';
import { createRedisClient, RedisClient } from '../../src/redis/redis-connection';
import type { RedisServerProcess } from '../../src/redis/redis-server-process';
import { spawnRedisSentinel, TestRedisSentinel, uniquePrefix } from '../../src/testing';
import { waitFor } from '../../src/testing/wait';
import { within } from '../../src/util/retry';
import { silentLogger } from './silent-logger';

/**
 * A Sentinel-managed master that stops answering without closing its connections (SIGSTOP: a
 * paused VM, a network partition that drops packets), unlike sentinel-failover.spec.ts's SIGKILL:
 * nothing fails on the sockets to it, so a client has no reason of its own to reconnect. The
 * sentinels promote a replica and announce it (`+switch-master`); every client listens for that
 * (one watch per process: redis/sentinel-switch-watch.ts) and reconnects to the new master. Before, a worker and a producer
 * made before the failover stayed on the frozen master for as long as it stayed frozen (a worker
 * took nothing for 60 s and more; each publish timed out).
 */
describe('Sentinel: a master frozen (SIGSTOP) and replaced by a replica', () => {
  let set: TestRedisSentinel | undefined;
  let frozen: RedisServerProcess | undefined;
  const clients: RedisClient[] = [];
  const closers: Array<() => Promise<unknown>> = [];

  afterEach(async () => {
    await frozen?.thaw();
    await Promise.all(closers.splice(0).map((close) => within(close(), 5000, 'close').catch(() => undefined)));
    clients.splice(0).forEach((client) => client.disconnect());
    await set?.cleanup();
    set = frozen = undefined;
  });

  function client(): RedisClient {
    // a socket timeout longer than the test's steps: what moves the connections must be the
    // Sentinels' announcement (the default, 5 s, would also find the frozen master within a step)
    const c = createRedisClient({ sentinels: set!.sentinelNodes, sentinelName: set!.name, socketTimeoutMs: 30_000, logger: silentLogger() });
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  }

  function queue(prefix: string): StoreBackedQueue {
    const q = createQueue({ name: 'q', backend: { type: 'redis', client: client(), prefix }, publishTimeoutMs: 60_000, logger: silentLogger() });
    closers.push(() => q.close());
    return q;
  }

  test('a worker, a producer and a stream subscriber made before the failover go on on the new master while the old one stays frozen', async () => {
    set = await spawnRedisSentinel();
    const prefix = uniquePrefix('sfz');
    const worker = queue(prefix);
    const seen: string[] = [];
    worker.process<string>('t', (m) => void seen.push(m.payload));
    const producer = queue(prefix);
    const received: string[] = [];
    const bus: EventBus = createEventBus({
      type: 'redis_stream',
      client: client(),
      prefix: `${prefix}-ev`,
      serviceName: 'svc',
      blockMs: 500,
      logger: silentLogger(),
    });
    closers.push(() => bus.close({ drainTimeoutMs: 100 }));
    await bus.subscribe('ch', (event) => void received.push(event.data as string));
    await producer.publish({ type: 't', payload: 'before' });
    await bus.publish('ch', 'tick', 'before');
    await waitFor(() => seen.includes('before') && received.includes('before'), 'the first message and event');

    frozen = set.master;
    await frozen.freeze();
    const promoted = await waitFor(
      async () => {
        const master = await set!.currentMaster();
        return master && master !== frozen ? master : null;
      },
      'the sentinels to promote a replica',
      60_000,
      100,
    );
    expect(promoted).not.toBe(frozen);
    // Each step within 10 s: the +switch-master announcement moves the connections at once; their
    // socket timeout (30 s here) would find the frozen master too, but a step would time out first.
    // the producer made before the failover: its publish reaches the new master
    await within(producer.publish({ type: 't', payload: 'old producer' }), 10_000, 'the old producer publishing');
    // a client made after it, and the worker made before it
    await queue(prefix).publish({ type: 't', payload: 'new producer' });
    await waitFor(() => seen.includes('old producer') && seen.includes('new producer'), 'the worker made before the failover to take both', 10_000);
    await within(bus.publish('ch', 'tick', 'after'), 10_000, 'the stream bus publishing');
    await waitFor(() => received.includes('after'), 'the stream subscriber made before the failover to receive', 10_000);
  }, 120_000);
});
