import { Cluster } from 'ioredis';
import type { RedisServerProcess } from './redis-server-process';
import { spawnRedisCluster, TestRedisCluster, waitFor } from '../testing';
import { createRedisClient } from './redis-connection';

let cluster: TestRedisCluster;
/** A fourth master, in the cluster but serving no slot: where a reshard moves a slot to. */
let extra: RedisServerProcess;

beforeAll(async () => {
  cluster = await spawnRedisCluster(3);
  extra = await cluster.addMaster();
}, 60_000);

afterAll(async () => {
  await cluster?.cleanup();
});

describe('handleClusterAsking', () => {
  it('an ASKING left unanswered when its connection closes is not an unhandled rejection (ioredis drops its promise; Node ends the process on one)', async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', record);
    const client = createRedisClient({
      clusterNodes: cluster.nodes.map((n) => ({ host: n.host, port: n.port })),
      logger: { log: () => undefined, warn: () => undefined },
    }) as Cluster;
    const admin = cluster.nodes[0].client();
    const target = extra.client();
    let frozen = false;
    try {
      // a key in migration: its slot MIGRATING on its master, IMPORTING on the fourth node, the key
      // already moved, so its master answers -ASK and the client sends ASKING then the command there
      const key = 'asking-key';
      const slot = String(await admin.call('CLUSTER', 'KEYSLOT', key));
      await client.set(key, 'v');
      const owner = cluster.initialMasterOf(Number(slot));
      const source = owner.client();
      try {
        await target.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', String(await source.call('CLUSTER', 'MYID')));
        await source.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', String(await target.call('CLUSTER', 'MYID')));
        await source.call('MIGRATE', extra.host, String(extra.port), key, '0', '5000');
      } finally {
        source.disconnect();
      }
      // the new node does not answer: the ASKING waits on its connection
      await extra.freeze();
      frozen = true;
      const read = client.get(key).catch((error: unknown) => error);
      const node = await waitFor(() => client.nodes('all').find((n) => n.options.port === extra.port), 'a connection to the fourth node');
      await waitFor(() => (node as unknown as { offlineQueue: { length: number } }).offlineQueue.length > 0, 'the ASKING queued on it', 10_000, 1);
      // what a slot-map refresh does to a node that serves no slot: its connection closes
      node.disconnect();
      await extra.thaw();
      frozen = false;
      await waitFor(() => new Promise<boolean>((resolve) => setImmediate(() => resolve(true))), 'a turn of the event loop');
      expect(unhandled).toEqual([]);
      // the command itself is the client's to retry: it ends, one way or the other, and is handled
      await read;
    } finally {
      if (frozen) await extra.thaw();
      process.off('unhandledRejection', record);
      admin.disconnect();
      target.disconnect();
      client.disconnect();
    }
  }, 60_000);
});
