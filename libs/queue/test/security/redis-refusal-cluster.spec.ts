import Redis from 'ioredis';
import { inspect } from 'util';
import { QueueAdmin, QueueManager, RedisAuthError } from '../../src';
import { spawnRedisCluster, TestRedisCluster, uniquePrefix } from '../../src/testing';
import { eventBusPrefix } from '../../src/events/event-bus-options';
import { within } from '../../src/util/retry';
import { rejectionWithin, resolvesWithin, waitFor } from '../support/wait';
import { captureLogger } from './capture-logger';
import { publishAcceptedAgain, refusedCalls, startEchoService } from './refusal-scenario';

/*
 * A password rotated under a service running on a Redis Cluster (3 masters): the nodes' password
 * changes and the connections drop, so the Cluster client reads the slot map again and every node
 * refuses it (WRONGPASS). As on a single Redis (redis-refusal-at-run-time.spec.ts), calls then
 * reject at once with RedisAuthError instead of waiting in the client's offline queue for a
 * connection (or a publish timeout), subscribe() too; workers, stream readers and subscribers
 * resume by themselves once the old password is back.
 */
jest.setTimeout(60_000);

const PASSWORD = 'first-Secret-4711';
const ROTATED = 'rotated-Secret-0815';

let cluster: TestRedisCluster;

beforeAll(async () => {
  cluster = await spawnRedisCluster(3);
  await onEveryNode(undefined, ['CONFIG', 'SET', 'requirepass', PASSWORD]);
});

/** The nodes' password of the moment. */
let current = PASSWORD;

// a test failing while the password is rotated leaves the next one the first password
afterEach(async () => {
  if (current !== PASSWORD) await rotatePassword(current, PASSWORD);
});

afterAll(async () => {
  await cluster?.cleanup();
});

/** Runs `commands` on every node over connections of the test's own, with the nodes' password of the moment; the replies per node. */
async function onEveryNode(password: string | undefined, ...commands: string[][]): Promise<unknown[][]> {
  return Promise.all(
    cluster.nodes.map(async (node) => {
      const admin = new Redis({ host: node.host, port: node.port, password, maxRetriesPerRequest: 1 });
      try {
        const replies: unknown[] = [];
        for (const [name, ...args] of commands) replies.push(await admin.call(name, ...args));
        return replies;
      } finally {
        admin.disconnect();
      }
    }),
  );
}

/** Sets every node's password and drops the library's connections, subscribers included. */
async function rotatePassword(from: string, to: string): Promise<void> {
  await onEveryNode(from, ['CONFIG', 'SET', 'requirepass', to], ['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes'], ['CLIENT', 'KILL', 'TYPE', 'pubsub']);
  current = to;
}

function config(bus: Record<string, unknown>) {
  return {
    service_name: 'refusal-cluster',
    redis: {
      cluster_nodes: cluster.nodes.map((n) => ({ host: n.host, port: n.port })),
      password: PASSWORD,
      key_prefix: uniquePrefix('refusal'),
      connect_timeout_ms: 120_000,
    },
    message_queue: { publish_timeout_ms: 30_000 },
    event_bus: bus,
    metrics: { enabled: false },
  };
}

function expectAuthError(error: unknown): void {
  expect(error).toBeInstanceOf(RedisAuthError);
  // NOAUTH when Redis answered a command ioredis sent behind the refused AUTH (the slot map's CLUSTER SLOTS) first
  expect((error as Error).message).toMatch(/^Redis cluster 127\.0\.0\.1:\d+,.* (refused the credentials \(WRONGPASS|requires a password \(NOAUTH)/);
  const everything = `${String(error)}\n${(error as Error).stack ?? ''}\n${inspect(error, { depth: 6, showHidden: true })}`;
  expect(everything).not.toContain(PASSWORD);
  expect(everything).not.toContain(ROTATED);
}

/** Connections the nodes accepted so far (INFO stats total_connections_received, summed; the count's own connections included). */
async function connectionsReceived(): Promise<number> {
  const replies = await onEveryNode(current, ['INFO', 'stats']);
  return replies.reduce((sum, [info]) => sum + Number(/total_connections_received:(\d+)/.exec(String(info))?.[1]), 0);
}

/** Waits until the server refuses the manager's command connection (stats() rejects with the typed error). */
async function refusalSeen(manager: QueueManager): Promise<void> {
  await waitFor(async () => (await rejectionWithin(manager.queue().stats())) instanceof RedisAuthError, 'stats() rejecting with RedisAuthError');
}

describe('Redis Cluster refusing a running service (password rotated)', () => {
  it('publishes, events, stats and admin calls reject at once with RedisAuthError; the worker and the stream reader resume once it is restored', async () => {
    const { logger, text } = captureLogger();
    const manager = await QueueManager.create(config({ type: 'redis_stream' }), { env: {}, logger });
    const admin = await QueueAdmin.fromConfig(manager.config, 30_000, logger);
    const queueName = manager.config.message_queue.queue_name;
    try {
      const { done, received } = await startEchoService(manager);

      await rotatePassword(PASSWORD, ROTATED);
      await refusalSeen(manager);
      const errors = await refusedCalls(manager, admin);
      errors.forEach(expectAuthError);

      await rotatePassword(ROTATED, PASSWORD);
      await publishAcceptedAgain(manager, 3, 30_000);
      await waitFor(() => done.includes(3), 'the worker taking tasks again', 30_000);
      await manager.publishEvent('meeting.started', 'meeting.started', { id: 'm2' });
      await waitFor(() => received.includes('m2'), 'the stream reader taking events again', 30_000);
      // the admin's own connection resumes on its own backoff
      await waitFor(() => resolvesWithin(admin.info(queueName)), 'an admin call accepted again', 30_000);
      expect((await admin.info(queueName)).name).toBe(queueName);
      expect(text()).not.toContain(PASSWORD);
      expect(text()).not.toContain(ROTATED);
    } finally {
      await admin.close();
      await manager.shutdown({ drainTimeoutMs: 1000 });
    }
  });

  const buses: Array<[string, Record<string, unknown>]> = [
    ['sharded pub/sub (SSUBSCRIBE)', { type: 'redis_pubsub' }],
    ['classic pub/sub (SUBSCRIBE)', { type: 'redis_pubsub', sharded_pubsub: false }],
  ];
  it.each(buses)('subscribe() on the %s bus rejects at once with RedisAuthError; a later one works once the password is restored', async (_label, bus) => {
    const { logger, text } = captureLogger();
    const manager = await QueueManager.create(config(bus), { env: {}, logger });
    const received: string[] = [];
    const handler = (channel: string) => (event: { data?: unknown }) => void received.push(`${channel}:${(event.data as { id: string }).id}`);
    try {
      expect((manager.events as { sharded?: boolean }).sharded).toBe(bus.sharded_pubsub !== false);
      await manager.start();
      await manager.subscribe('meeting.started', handler('meeting.started'));
      await manager.publishEvent('meeting.started', 'meeting.started', { id: 'm0' });
      await waitFor(() => received.includes('meeting.started:m0'), 'the first event');

      await rotatePassword(PASSWORD, ROTATED);
      await refusalSeen(manager);
      expectAuthError(await rejectionWithin(manager.subscribe('meeting.ended', handler('meeting.ended'))));

      await rotatePassword(ROTATED, PASSWORD);
      // the kept subscription resumes by itself (published until received: the command connection
      // and the subscriber resume on backoffs of their own). Only then the later subscribe: ioredis'
      // classic Cluster subscriber, re-selected while it still resubscribes, restores the channels of
      // the subscriber before it and would drop one subscribed in between (not this library's doing)
      let lastPublish = 'none yet';
      const resumed = async () => {
        await within(manager.publishEvent('meeting.started', 'meeting.started', { id: 'm1' }), 5000, 'publish').then(
          () => (lastPublish = 'accepted'),
          (error: Error) => (lastPublish = `rejected: ${error.message}`),
        );
        return received.includes('meeting.started:m1');
      };
      // a timeout says which side did not resume: the publishes, or the subscription (who subscribes where)
      await waitFor(resumed, 'the kept subscription receiving again', 30_000).catch(async (error: Error) => {
        const count = bus.sharded_pubsub === false ? 'NUMSUB' : 'SHARDNUMSUB';
        const subscribers = await onEveryNode(current, ['PUBSUB', count, `${eventBusPrefix(manager.config.redis.key_prefix)}:meeting.started`]).catch(
          (e: Error) => e.message,
        );
        throw new Error(`${error.message}; last publish ${lastPublish}; PUBSUB ${count} per node ${JSON.stringify(subscribers)}; log:\n${text()}`);
      });
      await waitFor(() => resolvesWithin(manager.subscribe('meeting.ended', handler('meeting.ended'))), 'a subscribe accepted again', 30_000);
      await manager.publishEvent('meeting.ended', 'meeting.ended', { id: 'e1' });
      await waitFor(() => received.includes('meeting.ended:e1'), 'the event on the later subscription', 30_000);
      // one rotation, one outage: its refusal said once, then back once (replaced node connections
      // failing again continue it; before, each wave of them logged the refusal again, and an error
      // put on a node connection that was ready could keep the "back" line from ever coming)
      const lines = (pattern: RegExp) =>
        text()
          .split('\n')
          .filter((line) => pattern.test(line));
      const back = /^log \[QueueManager\] Redis cluster \S+ back after \d+ ms/;
      await waitFor(() => lines(back).length > 0, "the outage's back line", 10_000);
      expect(lines(/^warn \[QueueManager\] Redis cluster \S+ refused the credentials/)).toHaveLength(1);
      expect(lines(back)).toHaveLength(1);
    } finally {
      await manager.shutdown({ drainTimeoutMs: 1000 });
    }
  });

  /**
   * Leaves the classic subscriber of `manager` between two picks: a pick is made and killed within
   * a second (a failed pick: the next waits a pause), `meanwhile` running before the kill. Resolves
   * once that pick has ended, the next still to come.
   */
  async function betweenPicks(manager: QueueManager, meanwhile: () => Promise<void> = async () => undefined): Promise<void> {
    type Pick = { status: string } | null | undefined;
    // the classic subscriber connection of the moment (ioredis' private ClusterSubscriber)
    const pick = (): Pick => (manager.events as unknown as { subscriber?: { subscriber?: { subscriber?: Pick } } }).subscriber?.subscriber?.subscriber;
    await waitFor(() => pick()?.status === 'ready', 'the first pick ready', 10_000, 1);
    await onEveryNode(current, ['CLIENT', 'KILL', 'TYPE', 'pubsub']);
    await waitFor(() => pick()?.status === 'ready', 'the second pick ready', 10_000, 1);
    const second = pick();
    await meanwhile();
    await onEveryNode(current, ['CLIENT', 'KILL', 'TYPE', 'pubsub']);
    await waitFor(() => second?.status === 'end', 'the second pick ended', 10_000, 1);
  }

  it('subscribe() made while the classic subscriber is between picks (the last one ended before any refusal) rejects within the pause, not after ioredis retries it for tens of seconds', async () => {
    const { logger } = captureLogger();
    const manager = await QueueManager.create(config({ type: 'redis_pubsub', sharded_pubsub: false }), { env: {}, logger });
    try {
      await manager.start();
      await manager.subscribe('meeting.started', () => undefined);
      // the password changes under the second pick, which is then killed, not refused
      await betweenPicks(manager, async () => {
        await onEveryNode(current, ['CONFIG', 'SET', 'requirepass', ROTATED]);
        current = ROTATED;
      });
      expectAuthError(await rejectionWithin(manager.subscribe('meeting.ended', () => undefined)));
    } finally {
      await manager.shutdown({ drainTimeoutMs: 1000 });
    }
  });

  it('subscribe() made while the classic subscriber is between picks in an ordinary outage is accepted once a pick works', async () => {
    const { logger } = captureLogger();
    const manager = await QueueManager.create(config({ type: 'redis_pubsub', sharded_pubsub: false }), { env: {}, logger });
    const received: string[] = [];
    try {
      await manager.start();
      await manager.subscribe('meeting.started', () => undefined);
      await betweenPicks(manager);
      expect(await resolvesWithin(manager.subscribe('meeting.ended', (event) => void received.push((event.data as { id: string }).id)))).toBe(true);
      await manager.publishEvent('meeting.ended', 'meeting.ended', { id: 'e1' });
      await waitFor(() => received.includes('e1'), 'the event on the subscription made between picks');
    } finally {
      await manager.shutdown({ drainTimeoutMs: 1000 });
    }
  });

  it("picks the classic subscriber's node again with a growing pause while every node refuses it (ioredis alone: ~1,600 connections a second)", async () => {
    const { logger } = captureLogger();
    const manager = await QueueManager.create(config({ type: 'redis_pubsub', sharded_pubsub: false }), { env: {}, logger });
    const received: string[] = [];
    try {
      await manager.start();
      await manager.subscribe('meeting.started', (event) => void received.push((event.data as { id: string }).id));
      await rotatePassword(PASSWORD, ROTATED);
      await refusalSeen(manager);
      // a rate, so a window: a busy machine makes fewer attempts in it, never more
      const before = await connectionsReceived();
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const attempts = (await connectionsReceived()) - before - cluster.nodes.length;
      // every connection of the service (command, blocking, subscribers) retries on a backoff of its own
      expect(attempts).toBeLessThan(100);

      await rotatePassword(ROTATED, PASSWORD);
      const resumed = async () => {
        await within(manager.publishEvent('meeting.started', 'meeting.started', { id: 'm1' }), 5000, 'publish').catch(() => undefined);
        return received.includes('m1');
      };
      await waitFor(resumed, 'the subscription receiving again', 30_000);
    } finally {
      await manager.shutdown({ drainTimeoutMs: 1000 });
    }
  });
});
