/**
 * Capacity figures for docs/scaling.md: one logical queue on a local 3-master Redis Cluster with
 * `partitions` 1, 2 and 3 (placed on 1, 2 and 3 masters), each message published (batches of 500,
 * round robin over the partitions) and processed by one worker process (no-op handler). Measured per
 * message: each master's redis-server CPU (INFO CPU, user + sys, before and after; the idle cost of
 * the same wall time measured first is taken off) and this process's CPU (producer and worker
 * together, `process.cpuUsage`). Prints one JSON line per run and writes them all to
 * bench/results/partitions-<date>.json.
 *
 *   node -r ts-node/register/transpile-only bench/partitions.ts [messages=60000] [partitions=1,2,3] [runs=1] [concurrency=50]
 */
import { cpus, totalmem } from 'os';
import type { Redis } from 'ioredis';
import { createQueue } from '../libs/queue/src/queue/create-queue';
import { partitionTags } from '../libs/queue/src/queue/partitioned/partition-layout';
import { spawnRedisCluster, TestRedisCluster, uniquePrefix } from '../libs/queue/src/testing/redis-harness';
import { keySlot } from '../libs/queue/src/util/key-slot';
import { silentLogger } from '../libs/queue/test/failover/silent-logger';
import { redisCpuMs } from './lib/cpu-meter';
import { fileStamp, runScript, writeResultsFile } from './lib/results';

const BATCH = 500;

interface RunRecord {
  partitions: number;
  messages: number;
  /** Masters holding a partition (index in slot order). */
  mastersUsed: number[];
  wallMs: number;
  messagesPerSecond: number;
  /** redis-server CPU per message (µs) on each master, idle cost removed. */
  serverCpuUsPerMessage: number[];
  /** Sum over the masters (µs per message). */
  serverCpuUsTotal: number;
  /** Largest share of one master (µs per message): what bounds one master's core. */
  serverCpuUsBusiestMaster: number;
  /** This process (producer + worker) CPU per message (µs). */
  clientCpuUsPerMessage: number;
}

/** used_cpu_user + used_cpu_sys of a server, in µs. */
async function serverCpuUs(admin: Redis): Promise<number> {
  return Math.round((await redisCpuMs(admin)) * 1000);
}

/** A queue name whose `{name}` slot is on master 0 (the harness splits slots evenly, in order). */
function nameOnFirstMaster(): string {
  for (let i = 0; ; i++) if (keySlot(`cap${i}`) < 5000) return `cap${i}`;
}

async function runOnce(cluster: TestRedisCluster, admins: Redis[], partitions: number, messages: number, concurrency: number): Promise<RunRecord> {
  const client = cluster.client();
  const prefix = uniquePrefix('cap');
  const name = partitions === 1 ? nameOnFirstMaster() : `cap${partitions}`;
  const per = Math.floor(16384 / admins.length);
  const mastersUsed = [...new Set(partitionTags(name, partitions).map((tag) => Math.min(admins.length - 1, Math.floor(keySlot(tag) / per))))].sort();
  const queue = createQueue({ name, partitions, prefetch: 200, backend: { type: 'redis', client, prefix }, logger: silentLogger() });
  try {
    // idle cost of the servers over 2 s (cluster bus, cron), scaled to the run's wall time below
    const idle0 = await Promise.all(admins.map(serverCpuUs));
    const idleStart = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const idle1 = await Promise.all(admins.map(serverCpuUs));
    const idlePerMs = idle1.map((v, i) => (v - idle0[i]) / (performance.now() - idleStart));

    let processed = 0;
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const before = await Promise.all(admins.map(serverCpuUs));
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    queue.process(
      'cap',
      () => {
        if (++processed === messages) done();
      },
      { concurrency },
    );
    for (let sent = 0; sent < messages; sent += BATCH) {
      await queue.publishBatch(Array.from({ length: Math.min(BATCH, messages - sent) }, (_, i) => ({ type: 'cap', payload: sent + i })));
    }
    await finished;
    const wallMs = performance.now() - start;
    const cpu = process.cpuUsage(cpu0);
    const after = await Promise.all(admins.map(serverCpuUs));
    const server = after.map((v, i) => Math.max(0, (v - before[i] - idlePerMs[i] * wallMs) / messages));
    const round = (v: number) => Math.round(v * 100) / 100;
    return {
      partitions,
      messages,
      mastersUsed,
      wallMs: Math.round(wallMs),
      messagesPerSecond: Math.round((messages / wallMs) * 1000),
      serverCpuUsPerMessage: server.map(round),
      serverCpuUsTotal: round(server.reduce((a, b) => a + b, 0)),
      serverCpuUsBusiestMaster: round(Math.max(...server)),
      clientCpuUsPerMessage: round((cpu.user + cpu.system) / messages),
    };
  } finally {
    await queue.close({ drainTimeoutMs: 1000 });
    client.disconnect();
  }
}

async function main(): Promise<void> {
  const messages = Number(process.argv[2] ?? 60_000);
  const partitionCounts = (process.argv[3] ?? '1,2,3').split(',').map(Number);
  const runs = Number(process.argv[4] ?? 1);
  const concurrency = Number(process.argv[5] ?? 50);
  const machine = {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
  };
  const cluster = await spawnRedisCluster(3);
  const admins = cluster.nodes.map((node) => node.client());
  const records: RunRecord[] = [];
  try {
    for (let r = 0; r < runs; r++) {
      for (const partitions of partitionCounts) {
        const record = await runOnce(cluster, admins, partitions, messages, concurrency);
        process.stdout.write(`${JSON.stringify(record)}\n`);
        records.push(record);
      }
    }
  } finally {
    for (const admin of admins) admin.disconnect();
    await cluster.cleanup();
  }
  const file = writeResultsFile(`partitions-${fileStamp()}`, { date: new Date().toISOString(), machine, records });
  process.stdout.write(`written ${file}\n`);
}

runScript(main);
