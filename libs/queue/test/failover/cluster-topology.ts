import Redis from 'ioredis';
import type { RedisServerProcess } from '../../src/redis/redis-server-process';
import type { TestRedisCluster } from '../../src/testing';
import { waitFor } from '../../src/testing/wait';

/**
 * Queue names whose hash tag lands on each master of a cluster made by `spawnRedisCluster`
 * (slots split evenly in node order): one name per master, in master order.
 */
export async function queueNamePerMaster(cluster: TestRedisCluster, stem = 'fo'): Promise<string[]> {
  const admin = cluster.nodes[0].client();
  try {
    const names: Array<string | undefined> = cluster.nodes.map(() => undefined);
    for (let i = 0; names.includes(undefined); i++) {
      const name = `${stem}${i}`;
      const slot = Number(await admin.call('CLUSTER', 'KEYSLOT', name));
      names[cluster.nodes.indexOf(cluster.initialMasterOf(slot))] ??= name;
    }
    return names as string[];
  } finally {
    admin.disconnect();
  }
}

/** The index (in `cluster.nodes`) of the master that served `key`'s slot when the cluster was made. */
export async function masterIndexOf(cluster: TestRedisCluster, key: string): Promise<number> {
  const slot = Number(await withClient(cluster.nodes[0], (c) => c.call('CLUSTER', 'KEYSLOT', key)));
  return cluster.nodes.indexOf(cluster.initialMasterOf(slot));
}

/**
 * Waits until the replica of a killed master took over and every live node sees the cluster as
 * ok, then restarts the old master (it rejoins as a replica of the new one) and waits until it is
 * in sync: the shard has a replica again, so `durability.replicas: 1` can be met.
 */
export async function waitForClusterFailover(
  cluster: TestRedisCluster,
  killed: RedisServerProcess,
  mark: (event: string) => void = () => undefined,
  timeoutMs = 60_000,
): Promise<void> {
  const replica = cluster.replicas[cluster.nodes.indexOf(killed)];
  const live = [...cluster.nodes, ...cluster.replicas].filter((n) => n !== killed);
  await poll(async () => (await info(replica, 'replication')).includes('role:master'), 'the replica to be promoted', timeoutMs);
  mark('promoted');
  await poll(async () => (await Promise.all(live.map((n) => clusterInfo(n)))).every((i) => i.includes('cluster_state:ok')), 'cluster_state:ok', timeoutMs);
  mark('cluster ok');
  await killed.restart();
  mark('old master restarted');
  await poll(async () => (await info(killed, 'replication')).includes('master_link_status:up'), 'the old master to resync as a replica', timeoutMs);
  mark('old master in sync');
}

/** Waits until every node but `frozen` marks it failed in CLUSTER NODES (`fail`, not the suspicion `fail?`). */
export async function waitForMarkedFailed(cluster: TestRedisCluster, frozen: RedisServerProcess, timeoutMs = 60_000): Promise<void> {
  const live = [...cluster.nodes, ...cluster.replicas].filter((n) => n !== frozen);
  const marks = (node: RedisServerProcess) =>
    withClient(node, async (c) => {
      const line = String(await c.call('CLUSTER', 'NODES'))
        .split('\n')
        .find((l) => l.split(' ')[1]?.startsWith(`${frozen.host}:${frozen.port}@`));
      return !!line && line.split(' ')[2].split(',').includes('fail');
    });
  await poll(async () => (await Promise.all(live.map(marks))).every(Boolean), `every live node marking ${frozen.port} failed`, timeoutMs);
}

async function poll(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  await waitFor(() => check().catch(() => false), what, timeoutMs, 100);
}

async function withClient<T>(node: RedisServerProcess, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = node.client();
  client.on('error', () => undefined);
  try {
    return await use(client);
  } finally {
    client.disconnect();
  }
}

function info(node: RedisServerProcess, section: string): Promise<string> {
  return withClient(node, (c) => c.info(section));
}

function clusterInfo(node: RedisServerProcess): Promise<string> {
  return withClient(node, (c) => c.call('CLUSTER', 'INFO') as Promise<string>);
}

/** A channel name (`<stem><n>`) whose `<prefix>:<channel>` slot is served by `node`. */
export async function channelOn(node: RedisServerProcess, prefix: string, stem: string): Promise<string> {
  const admin = node.client();
  try {
    const ranges = (await admin.call('CLUSTER', 'SHARDS')) as unknown[];
    const myId = String(await admin.call('CLUSTER', 'MYID'));
    const slots = ownSlots(ranges, myId);
    for (let i = 0; ; i++) {
      const slot = Number(await admin.call('CLUSTER', 'KEYSLOT', `${prefix}:${stem}${i}`));
      if (slots.some(([from, to]) => slot >= from && slot <= to)) return `${stem}${i}`;
    }
  } finally {
    admin.disconnect();
  }
}

/** The slot ranges of the shard whose nodes include `myId`, from CLUSTER SHARDS. */
function ownSlots(shards: unknown[], myId: string): Array<[number, number]> {
  for (const shard of shards as unknown[][]) {
    const slots = shard[shard.indexOf('slots') + 1] as number[];
    const nodes = shard[shard.indexOf('nodes') + 1] as unknown[][];
    if (!nodes.some((n) => n[n.indexOf('id') + 1] === myId)) continue;
    const out: Array<[number, number]> = [];
    for (let i = 0; i + 1 < slots.length; i += 2) out.push([Number(slots[i]), Number(slots[i + 1])]);
    return out;
  }
  return [];
}
