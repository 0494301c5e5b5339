import type { Redis } from 'ioredis';
import { createQueue } from '../../src/queue/create-queue';
import { createRedisClient, RedisClient } from '../../src/redis/redis-connection';
import type { RedisServerProcess } from '../../src/redis/redis-server-process';
import { spawnRedisCluster, TestRedisCluster, uniquePrefix } from '../../src/testing';
import { sleep, waitFor } from '../../src/testing/wait';
import { silentLogger } from './silent-logger';

/**
 * Scaling a Cluster out (docs/scaling.md): a fourth master joins and the slot of a live queue is
 * migrated to it key by key (CLUSTER SETSLOT IMPORTING/MIGRATING, MIGRATE, SETSLOT NODE, as
 * `redis-cli --cluster reshard` does) while producers publish and a worker consumes. Commands on
 * the slot meet -ASK and -TRYAGAIN meanwhile and MOVED after; nothing may be lost or fail, and the
 * process must not end on an unhandled rejection (cluster-asking.spec.ts has the deterministic case).
 */
describe('Redis Cluster: a live queue whose slot is migrated to a new master', () => {
  let cluster: TestRedisCluster | undefined;
  const admins: Redis[] = [];
  let client: RedisClient | undefined;
  afterEach(async () => {
    client?.disconnect();
    admins.splice(0).forEach((a) => a.disconnect());
    await cluster?.cleanup();
    cluster = client = undefined;
  });

  test('every message published before, during and after the migration is processed once; no publish fails', async () => {
    cluster = await spawnRedisCluster(3);
    const extra = await cluster.addMaster();
    const admin = (node: RedisServerProcess) => {
      const a = node.client();
      admins.push(a);
      return a;
    };
    const first = admin(cluster.nodes[0]);
    const target = admin(extra);

    const unhandled: unknown[] = [];
    const record = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', record);
    const prefix = uniquePrefix('reshard');
    client = createRedisClient({ clusterNodes: cluster.nodes.map((n) => ({ host: n.host, port: n.port })), logger: silentLogger() });
    client.on('error', () => undefined);
    const queue = createQueue({ name: 'rs', backend: { type: 'redis', client, prefix }, logger: silentLogger() });
    const published = new Set<number>();
    const processed = new Map<number, number>();
    const failures: string[] = [];
    queue.process<number>('t', (m) => void processed.set(m.payload, (processed.get(m.payload) ?? 0) + 1), { concurrency: 10 });
    let stop = false;
    let next = 0;
    const producers = Array.from({ length: 4 }, async () => {
      while (!stop) {
        const i = next++;
        try {
          await queue.publish({ type: 't', payload: i });
          published.add(i);
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    });
    try {
      await waitFor(() => processed.size >= 500, 'traffic before the migration', 30_000);
      const slot = String(await first.call('CLUSTER', 'KEYSLOT', `${prefix}:{rs}:msgs`));
      const source = admin(cluster.initialMasterOf(Number(slot)));
      const sourceId = String(await source.call('CLUSTER', 'MYID'));
      const targetId = String(await target.call('CLUSTER', 'MYID'));
      await target.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', sourceId);
      await source.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', targetId);
      let moved = 0;
      for (;;) {
        const keys = (await source.call('CLUSTER', 'GETKEYSINSLOT', slot, '2')) as string[];
        if (keys.length === 0) break;
        await source.call('MIGRATE', extra.host, String(extra.port), '', '0', '5000', 'KEYS', ...keys);
        moved += keys.length;
        await sleep(50); // the pace of the migration (the fault's shape), not a wait for a condition
      }
      for (const node of [target, ...cluster.nodes.map(admin)]) await node.call('CLUSTER', 'SETSLOT', slot, 'NODE', targetId);
      expect(moved).toBeGreaterThan(3);
      const before = processed.size;
      await waitFor(() => processed.size >= before + 500, 'traffic after the migration', 30_000);
      stop = true;
      await Promise.all(producers);
      await waitFor(() => [...published].every((i) => processed.has(i)), 'every published message processed', 30_000);
      expect(failures).toEqual([]);
      expect([...processed.values()].filter((n) => n > 1)).toEqual([]);
      expect(unhandled).toEqual([]);
      // the queue's keys all live on the new master now
      expect(Number(await source.call('CLUSTER', 'COUNTKEYSINSLOT', slot))).toBe(0);
      expect(Number(await target.call('CLUSTER', 'COUNTKEYSINSLOT', slot))).toBeGreaterThan(3);
    } finally {
      stop = true;
      await Promise.all(producers);
      process.off('unhandledRejection', record);
      await queue.close();
    }
  }, 120_000);
});
