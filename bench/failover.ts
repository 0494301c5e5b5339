/**
 * Failover figures for docs/guarantees.md: a queue run through a master SIGKILL on a Sentinel set
 * (master + 2 replicas + 3 sentinels) and on a Redis Cluster (3 masters + 3 replicas; `cluster-partial`:
 * with `cluster-require-full-coverage no`; `-lag`: replicas frozen 300 ms before the kill, cluster-lag
 * also without full coverage; `restart-aof`/`restart-empty`: one Redis killed and restarted with AOF
 * `appendfsync always` / without persistence), with and
 * without `durability: { replicas: 1 }`. Prints one JSON line per run and writes them all to
 * bench/results/failover-<date>.json.
 *
 *   node -r ts-node/register/transpile-only bench/failover.ts [messages=20000] [topologies=sentinel,sentinel-lag,cluster,cluster-partial,cluster-lag] [modes=durable,async] [runs=1] [publishersPerQueue=4]
 *
 * The specs (libs/queue/test/failover/) run the same scenario at CI size and assert its conditions.
 */
import { cpus, totalmem } from 'os';
import { createEventBus } from '../libs/queue/src/events/create-event-bus';
import { createRedisClient } from '../libs/queue/src/redis/redis-connection';
import { spawnRedis, spawnRedisCluster } from '../libs/queue/src/testing/redis-harness';
import { spawnRedisSentinel } from '../libs/queue/src/testing/redis-sentinel';
import { uniquePrefix } from '../libs/queue/src/testing/redis-harness';
import { queueNamePerMaster, waitForClusterFailover } from '../libs/queue/test/failover/cluster-topology';
import { QueueFailoverFigures, runQueueFailover } from '../libs/queue/test/failover/failover-scenario';
import { killWithLaggingReplicas, waitForSentinelFailover } from '../libs/queue/test/failover/sentinel-topology';
import { silentLogger } from '../libs/queue/test/failover/silent-logger';
import { fileStamp, runScript, writeResultsFile } from './lib/results';

type Topology = 'sentinel' | 'sentinel-lag' | 'cluster' | 'cluster-partial' | 'cluster-lag' | 'restart-aof' | 'restart-empty';

/** `-lag` topologies: the replicas are frozen (SIGSTOP) this long before the master is killed. */
const LAG_MS = 300;
type Mode = 'durable' | 'async';

interface RunRecord extends QueueFailoverFigures {
  topology: Topology;
  mode: Mode;
  messages: number;
  publishersPerQueue: number;
}

const DURABILITY = { replicas: 1, timeoutMs: 1000 };

async function runOnce(topology: Topology, mode: Mode, messages: number, publishersPerQueue: number): Promise<RunRecord> {
  const logger = silentLogger();
  const durability = mode === 'durable' ? DURABILITY : undefined;
  const common = {
    messages,
    killAfter: Math.round(messages * 0.3),
    publishersPerQueue: 4,
    prefix: uniquePrefix('bench-fo'),
    durability,
    publishTimeoutMs: 30_000,
    logger,
  };
  if (topology.startsWith('restart')) {
    // One Redis, SIGKILLed and restarted at once: with AOF (appendfsync always) or without persistence.
    const server = await spawnRedis({ aof: topology === 'restart-aof' });
    const client = createRedisClient({ url: server.url, logger });
    client.on('error', () => undefined);
    try {
      const figures = await runQueueFailover({
        ...common,
        queues: ['ro0', 'ro1'],
        client,
        // Without persistence the backlog is what a restart loses: handlers start after it.
        deferWorkers: topology === 'restart-empty',
        kill: () => server.kill(),
        afterKill: async (mark) => {
          await server.restart();
          mark('restarted');
        },
      });
      return { topology, mode, messages, publishersPerQueue, ...figures };
    } finally {
      client.disconnect();
      await server.cleanup();
    }
  }
  if (topology.startsWith('sentinel')) {
    const set = await spawnRedisSentinel();
    const client = createRedisClient({ sentinels: set.sentinelNodes, sentinelName: set.name, logger });
    client.on('error', () => undefined);
    const pubsub = createEventBus({ type: 'redis_pubsub', client, prefix: uniquePrefix('bench-ev'), serviceName: 'fo', logger });
    const stream = createEventBus({ type: 'redis_stream', client, prefix: uniquePrefix('bench-st'), serviceName: 'fo', blockMs: 500, logger });
    try {
      const figures = await runQueueFailover({
        ...common,
        buses: [
          { name: 'redis_pubsub', bus: pubsub },
          { name: 'redis_stream', bus: stream },
        ],
        queues: ['so0', 'so1'],
        client,
        deferWorkers: topology === 'sentinel-lag',
        kill: () => (topology === 'sentinel-lag' ? killWithLaggingReplicas(set.master, set.replicas, LAG_MS) : set.master.kill()),
        afterKill: (mark) => waitForSentinelFailover(set, mark),
      });
      return { topology, mode, messages, publishersPerQueue, ...figures };
    } finally {
      await Promise.all([pubsub, stream].map((bus) => bus.close({ drainTimeoutMs: 500 }).catch(() => undefined)));
      client.disconnect();
      await set.cleanup();
    }
  }
  // cluster-partial: cluster-require-full-coverage no (the other masters keep serving during the failover)
  const cluster = await spawnRedisCluster(3, { replicasPerMaster: 1, requireFullCoverage: topology === 'cluster' });
  const client = createRedisClient({ clusterNodes: cluster.nodes.map((n) => ({ host: n.host, port: n.port })), logger });
  client.on('error', () => undefined);
  try {
    const victim = cluster.nodes[0];
    const queues = await queueNamePerMaster(cluster);
    const figures = await runQueueFailover({
      ...common,
      queues,
      client,
      deferWorkers: topology === 'cluster-lag' ? [queues[0]] : false,
      kill: () => (topology === 'cluster-lag' ? killWithLaggingReplicas(victim, [cluster.replicas[0]], LAG_MS) : victim.kill()),
      afterKill: (mark) => waitForClusterFailover(cluster, victim, mark),
    });
    return { topology, mode, messages, publishersPerQueue, ...figures };
  } finally {
    client.disconnect();
    await cluster.cleanup();
  }
}

async function main(): Promise<void> {
  const messages = Number(process.argv[2] ?? 20_000);
  const topologies = (process.argv[3] ?? 'sentinel,sentinel-lag,cluster,cluster-partial,cluster-lag').split(',') as Topology[];
  const modes = (process.argv[4] ?? 'durable,async').split(',') as Mode[];
  const runs = Number(process.argv[5] ?? 1);
  const publishersPerQueue = Number(process.argv[6] ?? 4);
  const machine = {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
  };
  const records: Array<RunRecord | { topology: Topology; mode: Mode; messages: number; failed: string }> = [];
  for (let i = 0; i < runs; i++) {
    for (const topology of topologies) {
      for (const mode of modes) {
        try {
          const record = await runOnce(topology, mode, messages, publishersPerQueue);
          process.stdout.write(`${JSON.stringify(record)}\n`);
          records.push(record);
        } catch (error) {
          process.stdout.write(`${JSON.stringify({ topology, mode, messages, failed: (error as Error).message })}\n`);
        }
      }
    }
  }
  const file = writeResultsFile(`failover-${fileStamp()}`, { date: new Date().toISOString(), machine, records });
  process.stdout.write(`written ${file}\n`);
}

runScript(main);
