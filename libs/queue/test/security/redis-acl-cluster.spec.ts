import { readFileSync } from 'fs';
import { join } from 'path';
import Redis from 'ioredis';
import { QueueManager, RedisAuthError, RedisPermissionError, RedisStartupError } from '../../src';
import { spawnRedisCluster, TestRedisCluster } from '../../src/testing';
import { waitFor } from '../support/wait';
import { captureLogger } from './capture-logger';

/*
 * Redis Cluster (3 masters) with an ACL user limited to the library's key prefix and channels,
 * set on every node (ACL users are per node, a Cluster does not share them): queues on different
 * slots and a partitioned queue spread over the masters, the sharded pub/sub bus
 * (SSUBSCRIBE/SPUBLISH), the stream bus, the scheduler and the dispatcher work end to end; a wrong
 * password fails at once with RedisAuthError. What differs from a single Redis: `+cluster|slots`
 * (ioredis' slot map, required) and `+cluster|info` (ioredis' ready check: skipped with a warning
 * when refused); `&` channel rules apply to shard channels too.
 */
jest.setTimeout(60_000);

const USER_PASSWORD = 'svc-Secret-0815';
/** The Cluster rule of docs/security.md for the key prefix `mq` (a test below keeps them equal). */
const SINGLE_RULE = '~mq:* &mq:* -@all +@read +@write +@scripting +@pubsub +@connection -@dangerous +info +time';
const CLUSTER_RULE = `${SINGLE_RULE} +cluster|slots +cluster|info`;
/** One channel on each master (slots 3779, 6278 and 11408 of `mq:ev:<name>`). */
const CHANNELS = ['meeting.started', 'meeting.ended', 'chat.sent'];

let cluster: TestRedisCluster;

beforeAll(async () => {
  cluster = await spawnRedisCluster(3);
});

afterAll(async () => {
  await cluster?.cleanup();
});

/** The same user on every node: a Cluster does not share its ACL users. */
async function aclUserOnEveryNode(name: string, rule: string): Promise<void> {
  await Promise.all(
    cluster.nodes.map(async (node) => {
      const admin = node.client();
      try {
        await admin.call('ACL', 'SETUSER', name, 'reset', 'on', `>${USER_PASSWORD}`, ...rule.split(' '));
      } finally {
        admin.disconnect();
      }
    }),
  );
}

function config(user: string, password: string, bus: Record<string, unknown>) {
  return {
    service_name: 'acl-cluster',
    redis: { cluster_nodes: cluster.nodes.map((n) => ({ host: n.host, port: n.port })), username: user, password, connect_timeout_ms: 120_000 },
    message_queue: { queue_name: 'meeting_system', partitions: 3, queues: { second: { partitions: 1 }, third: { partitions: 1 } } },
    event_bus: bus,
    task_dispatcher: { routes: { echo: { queue: 'second' } } },
    metrics: { enabled: false },
  };
}

/** What `ask` finds on each master (admin connections, outside the ACL user). */
async function perMaster<T>(ask: (admin: Redis) => Promise<T>): Promise<T[]> {
  return Promise.all(
    cluster.nodes.map(async (node) => {
      const admin = node.client();
      try {
        return await ask(admin);
      } finally {
        admin.disconnect();
      }
    }),
  );
}

const shardChannels = (admin: Redis) => admin.call('PUBSUB', 'SHARDCHANNELS', 'mq:ev:*') as Promise<string[]>;

/** Queues on three slots (one of them partitioned over every master), events on two channels, scheduler, dispatcher. */
async function everything(manager: QueueManager, channels: string[], sharded: boolean): Promise<void> {
  const tasks: string[] = [];
  const events: string[] = [];
  for (const queue of ['meeting_system', 'third']) manager.registerTaskHandler('echo', (p: { n: string }) => void tasks.push(p.n), { queue });
  manager.registerTaskHandler('echo', (p: { n: number }) => p.n * 2, { queue: 'second' });
  const subscribed = channels.map((channel) => manager.subscribe(channel, (event) => void events.push(`${channel}:${event.type}`)));
  // published before start: the partitions of meeting_system hold messages on every master
  for (let i = 0; i < 6; i++) await manager.queue().publish({ type: 'echo', payload: { n: `p${i}` } });
  expect(await perMaster(async (admin) => (await admin.keys('mq:{meeting_system~*')).length > 0)).toEqual([true, true, true]);
  await manager.start();
  await Promise.all(subscribed);
  // the sharded bus SSUBSCRIBEd each channel on its own master; the stream bus none
  expect(await perMaster(shardChannels)).toEqual(sharded ? channels.map((c) => [`mq:ev:${c}`]) : [[], [], []]);
  await manager.queue('third').publish({ type: 'echo', payload: { n: 'third' } });
  for (const channel of channels) await manager.publishEvent(channel, 'cluster.acl', {});
  await manager.scheduler.schedule({ type: 'echo', payload: { n: 'scheduled' }, queue: 'third' }, { delayMs: 10 });
  expect(await manager.dispatcher.dispatchAndWait('echo', { n: 4 }, { timeoutMs: 10_000 })).toBe(8);
  await waitFor(() => tasks.length === 8 && events.length === channels.length, 'eight tasks and one event per channel');
  expect(tasks.sort()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'scheduled', 'third']);
  expect(events.sort()).toEqual(channels.map((c) => `${c}:cluster.acl`).sort());
}

describe('ACL user on a Redis Cluster', () => {
  it('docs/security.md states the Cluster rule this spec runs with', () => {
    expect(readFileSync(join(__dirname, '../../../../docs/security.md'), 'utf8')).toContain(CLUSTER_RULE);
  });

  const buses: Array<[string, Record<string, unknown>]> = [
    ['sharded pub/sub (SSUBSCRIBE/SPUBLISH)', { type: 'redis_pubsub' }],
    ['streams', { type: 'redis_stream' }],
  ];
  for (const [label, bus] of buses) {
    it(`works end to end for an ACL user limited to ~mq:* &mq:* on every node (${label})`, async () => {
      await aclUserOnEveryNode('svc', CLUSTER_RULE);
      const { logger, text } = captureLogger();
      const manager = await QueueManager.create(config('svc', USER_PASSWORD, bus), { env: {}, logger });
      try {
        await everything(manager, CHANNELS, bus.type === 'redis_pubsub');
      } finally {
        await manager.shutdown({ drainTimeoutMs: 1000 });
      }
      expect(text()).not.toContain(USER_PASSWORD);
      expect(text()).not.toMatch(/NOPERM|refused \(|INFO refused/);
    });
  }

  it("skips ioredis' cluster ready check with one warning when CLUSTER INFO is refused (no +cluster|info)", async () => {
    await aclUserOnEveryNode('noclusterinfo', `${SINGLE_RULE} +cluster|slots`);
    const { logger, text } = captureLogger();
    const manager = await QueueManager.create(config('noclusterinfo', USER_PASSWORD, { type: 'redis_pubsub' }), { env: {}, logger });
    try {
      await everything(manager, CHANNELS, true);
    } finally {
      await manager.shutdown({ drainTimeoutMs: 1000 });
    }
    // one line for the command clients and the sharded subscriber alike
    expect(text().match(/CLUSTER INFO refused \(NOPERM.*ready check is skipped \(grant \+cluster\|info/g)).toHaveLength(1);
  });

  it('fails QueueManager.create at once with RedisPermissionError without +cluster|slots', async () => {
    await aclUserOnEveryNode('noslots', `${SINGLE_RULE} +cluster|info`);
    const error = await QueueManager.create(config('noslots', USER_PASSWORD, { type: 'redis_pubsub' }), { env: {}, logger: captureLogger().logger }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RedisPermissionError);
    expect((error as Error).message).toMatch(/NOPERM.*'cluster\|slots'/);
  });

  it('checks SSUBSCRIBE against the & channel rules: a shard channel outside them is refused at start', async () => {
    await aclUserOnEveryNode('onechannel', CLUSTER_RULE.replace('&mq:*', '&mq:ev:allowed'));
    const manager = await QueueManager.create(
      { ...config('onechannel', USER_PASSWORD, { type: 'redis_pubsub' }), task_scheduler: { enabled: false }, task_dispatcher: { enabled: false } },
      { env: {}, logger: captureLogger().logger },
    );
    const refused = manager.subscribe('not-allowed', () => undefined);
    await expect(manager.start()).rejects.toThrow(RedisPermissionError);
    await expect(refused).rejects.toThrow(/"mq:ev:not-allowed" \(NOPERM/);
    expect(manager.state).toBe('stopped');
  });

  it('fails QueueManager.create at once with RedisAuthError for a wrong password', async () => {
    await aclUserOnEveryNode('svc', CLUSTER_RULE);
    const { logger, text } = captureLogger();
    const error = await QueueManager.create(config('svc', 'wrong-Secret-999', { type: 'redis_pubsub' }), { env: {}, logger }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisAuthError);
    expect(error).not.toBeInstanceOf(RedisStartupError);
    expect((error as Error).message).toMatch(/refused the credentials \(WRONGPASS.*check redis.username and redis.password/);
    expect(`${(error as Error).message}\n${(error as Error).stack}\n${text()}`).not.toContain('wrong-Secret-999');
  });
});
