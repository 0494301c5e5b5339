/**
 * Sharded versus classic pub/sub on a local Redis Cluster (docs/scaling.md, "Pub/sub on a Cluster"):
 * redis-server CPU per published event on each node, for a `redis_pubsub` bus with
 * `shardedPubSub: true` (SPUBLISH/SSUBSCRIBE: a channel lives on the master of its slot) and
 * `false` (PUBLISH: every event is broadcast over the cluster bus to every node).
 *
 * One publisher bus sends `events` events in batches of 50 round-robin over `channels` channels
 * (spread over every master); one subscriber bus in this process receives them all. Each node's CPU
 * is INFO CPU used_cpu_user + used_cpu_sys before and after the run, less the node's idle CPU
 * (cluster cron) measured for the same length of time just before; Node CPU is this process.
 * Prints one JSON line per run and writes them all to bench/results/cluster-pubsub-<date>.json.
 *
 *   node -r ts-node/register/transpile-only bench/cluster-pubsub.ts [events=50000] [runs=3] [masters=3] [replicasPerMaster=0] [channels=12]
 */
import { cpus, totalmem } from 'os';
import type Redis from 'ioredis';
import { createEventBus } from '../libs/queue/src/events/create-event-bus';
import type { RedisPubSubEventBus } from '../libs/queue/src/events/redis-pubsub/redis-pubsub-bus';
import { createRedisClient } from '../libs/queue/src/redis/redis-connection';
import { spawnRedisCluster, uniquePrefix } from '../libs/queue/src/testing/redis-harness';
import { sleep, waitFor } from '../libs/queue/src/testing/wait';
import { redisCpuMs } from './lib/cpu-meter';
import { writeResultsFile } from './lib/results';

type Mode = 'sharded' | 'classic';

interface NodeFigures {
  node: string;
  role: 'master' | 'replica';
  /** Channels of the run whose slot this master serves. */
  channels: number;
  /** redis-server CPU per published event, µs, idle CPU taken off. */
  usPerEvent: number;
  /** The idle CPU taken off, µs per event. */
  idleUsPerEvent: number;
}

interface RunRecord {
  mode: Mode;
  events: number;
  channels: number;
  ms: number;
  eventsPerSec: number;
  /** Sum over the nodes, µs per event. */
  clusterUsPerEvent: number;
  /** This process (publisher and subscriber), µs per event. */
  nodeUsPerEvent: number;
  /** Pub/sub messages the nodes got over the cluster bus (CLUSTER INFO), per event. */
  busMessagesPerEvent: number;
  nodes: NodeFigures[];
}

const BATCH = 50;

async function busPublishes(admin: Redis): Promise<number> {
  const text = (await admin.call('CLUSTER', 'INFO')) as string;
  return (
    Number(/cluster_stats_messages_publish_received:(\d+)/.exec(text)?.[1] ?? 0) +
    Number(/cluster_stats_messages_publishshard_received:(\d+)/.exec(text)?.[1] ?? 0)
  );
}

async function runOnce(mode: Mode, events: number, channelCount: number, masters: number, replicasPerMaster: number): Promise<RunRecord> {
  const cluster = await spawnRedisCluster(masters, { replicasPerMaster });
  const all = [...cluster.nodes, ...cluster.replicas];
  const admins = all.map((n) => n.client());
  const client = createRedisClient({ clusterNodes: cluster.nodes.map((n) => ({ host: n.host, port: n.port })) });
  const prefix = uniquePrefix('bench-cps');
  const options = { type: 'redis_pubsub' as const, client, prefix, serviceName: 'bench', shardedPubSub: mode === 'sharded', bufferSize: 100_000 };
  const publisher: RedisPubSubEventBus = createEventBus(options);
  const subscriber: RedisPubSubEventBus = createEventBus(options);
  try {
    const channels = Array.from({ length: channelCount }, (_, i) => `room${i}`);
    const slots = await Promise.all(channels.map((c) => admins[0].call('CLUSTER', 'KEYSLOT', `${prefix}:${c}`) as Promise<number>));
    const per = Math.floor(16384 / masters);
    const owner = slots.map((slot) => Math.min(masters - 1, Math.floor(Number(slot) / per)));
    let received = 0;
    for (const channel of channels) await subscriber.subscribe(channel, () => void received++);
    // warm-up: connections, slot map, subscriber connections of every master
    await publisher.publishBatch(channels[0], [{ type: 't', data: 0 }]);
    await waitFor(() => received === 1, 'the warm-up event', 10_000);
    received = 0;
    // idle CPU of each node (cluster cron) over a window, to take off the run's figures
    const idleMs = 2000;
    const idle0 = await Promise.all(admins.map(redisCpuMs));
    await sleep(idleMs);
    const idlePerMs = (await Promise.all(admins.map(redisCpuMs))).map((c, i) => (c - idle0[i]) / idleMs);
    const cpu0 = await Promise.all(admins.map(redisCpuMs));
    const bus0 = await Promise.all(admins.map(busPublishes));
    const node0 = process.cpuUsage();
    const t0 = Date.now();
    const payload = { meetingId: 'm-0001', participant: 'p-42', text: 'hello' };
    for (let sent = 0, c = 0; sent < events; sent += BATCH, c = (c + 1) % channels.length) {
      const n = Math.min(BATCH, events - sent);
      await publisher.publishBatch(
        channels[c],
        Array.from({ length: n }, () => ({ type: 'chat.said', data: payload })),
      );
    }
    await waitFor(() => received >= events, `all ${events} events received`, 120_000, 5);
    const ms = Date.now() - t0;
    const node = process.cpuUsage(node0);
    const cpu1 = await Promise.all(admins.map(redisCpuMs));
    const bus1 = await Promise.all(admins.map(busPublishes));
    const nodes: NodeFigures[] = all.map((n, i) => ({
      node: `${n.host}:${n.port}`,
      role: i < masters ? 'master' : 'replica',
      channels: i < masters ? owner.filter((o) => o === i).length : 0,
      usPerEvent: round(((cpu1[i] - cpu0[i] - idlePerMs[i] * ms) * 1000) / events),
      idleUsPerEvent: round((idlePerMs[i] * ms * 1000) / events),
    }));
    return {
      mode,
      events,
      channels: channelCount,
      ms,
      eventsPerSec: Math.round((events * 1000) / ms),
      clusterUsPerEvent: round(nodes.reduce((sum, n) => sum + n.usPerEvent, 0)),
      nodeUsPerEvent: round((node.user + node.system) / events),
      busMessagesPerEvent: round(bus1.reduce((sum, b, i) => sum + b - bus0[i], 0) / events),
      nodes,
    };
  } finally {
    await Promise.all([publisher.close({ drainTimeoutMs: 500 }), subscriber.close({ drainTimeoutMs: 500 })]);
    client.disconnect();
    admins.forEach((a) => a.disconnect());
    await cluster.cleanup();
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

async function main(): Promise<void> {
  const [events = 50_000, runs = 3, masters = 3, replicasPerMaster = 0, channels = 12] = process.argv.slice(2).map(Number);
  const records: RunRecord[] = [];
  for (let run = 0; run < runs; run++) {
    // alternate the order so a slower moment of the machine does not favour one mode
    const order: Mode[] = run % 2 === 0 ? ['classic', 'sharded'] : ['sharded', 'classic'];
    for (const mode of order) {
      const record = await runOnce(mode, events, channels, masters, replicasPerMaster);
      records.push(record);
      process.stdout.write(`${JSON.stringify(record)}\n`);
    }
  }
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version };
  const file = writeResultsFile(`cluster-pubsub-${masters}m${replicasPerMaster}r-${new Date().toISOString().slice(0, 10)}`, {
    machine,
    events,
    runs,
    masters,
    replicasPerMaster,
    channels,
    records,
  });
  process.stdout.write(`wrote ${file}\n`);
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
