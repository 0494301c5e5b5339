/**
 * What the Prometheus metrics cost per message (not part of `npm run bench`, which measures queues
 * without an observer): the same queue on one throwaway redis-server, publish in batches of 1,000
 * then process with a no-op handler, alternately without an observer and with a `QueueMetrics`
 * observer (as a QueueManager with `metrics.enabled` wires it). Prints Node CPU per message
 * (process.cpuUsage) and rates per round; the first two rounds warm up.
 *
 *   node -r ts-node/register/transpile-only bench/metrics-cost.ts [--messages 100000] [--concurrency 100] [--rounds 12]
 *
 * Results are in docs/metrics.md ("Cost").
 */
import Redis from 'ioredis';
import { QueueMetrics } from '../libs/queue/src/metrics/queue-metrics';
import { createQueue } from '../libs/queue/src/queue/create-queue';
import { spawnRedis } from '../libs/queue/src/testing/redis-harness';
import { now } from './lib/time';

interface Round {
  metrics: boolean;
  publishCpuUs: number;
  processCpuUs: number;
  processRate: number;
}

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} needs a positive integer, got ${process.argv[at + 1]}`);
  return value;
}

const cpuUs = (usage: NodeJS.CpuUsage): number => usage.user + usage.system;

async function round(url: string, index: number, metrics: boolean, messages: number, concurrency: number): Promise<Round> {
  const client = new Redis(url, { maxRetriesPerRequest: null });
  const observer = metrics ? new QueueMetrics({ defaultMetrics: false }).queueObserver : undefined;
  const queue = createQueue({ name: `cost${index}`, backend: { type: 'redis', client, prefix: `cost${index}` }, observer });
  try {
    const publishCpu = process.cpuUsage();
    for (let i = 0; i < messages; i += 1000) {
      await queue.publishBatch(Array.from({ length: Math.min(1000, messages - i) }, (_, j) => ({ type: 'bench', payload: { i: i + j } })));
    }
    const publishUs = cpuUs(process.cpuUsage(publishCpu)) / messages;
    let done = 0;
    const started = now();
    const processCpu = process.cpuUsage();
    await new Promise<void>((resolve) =>
      queue.process(
        'bench',
        () => {
          if (++done === messages) resolve();
        },
        { concurrency },
      ),
    );
    const processUs = cpuUs(process.cpuUsage(processCpu)) / messages;
    return { metrics, publishCpuUs: publishUs, processCpuUs: processUs, processRate: (messages / (now() - started)) * 1000 };
  } finally {
    await queue.close();
    client.disconnect();
  }
}

async function main(): Promise<void> {
  const messages = option('messages', 100_000);
  const concurrency = option('concurrency', 100);
  const rounds = option('rounds', 12);
  const server = await spawnRedis();
  const kept: Round[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      const r = await round(server.url, i, i % 2 === 1, messages, concurrency);
      console.log(
        `${r.metrics ? 'with metrics   ' : 'without metrics'}  publish ${r.publishCpuUs.toFixed(2)} µs/msg  process ${r.processCpuUs.toFixed(2)} µs/msg, ${Math.round(r.processRate).toLocaleString('en-US')} msgs/s${i < 2 ? '  (warm-up)' : ''}`,
      );
      if (i >= 2) kept.push(r);
    }
  } finally {
    await server.stop();
  }
  const mean = (metrics: boolean, pick: (r: Round) => number) => {
    const of = kept.filter((r) => r.metrics === metrics);
    return of.reduce((sum, r) => sum + pick(r), 0) / of.length;
  };
  console.log(
    `mean after warm-up, Node CPU per message: publish ${mean(false, (r) => r.publishCpuUs).toFixed(2)} -> ${mean(true, (r) => r.publishCpuUs).toFixed(2)} µs, process ${mean(false, (r) => r.processCpuUs).toFixed(2)} -> ${mean(true, (r) => r.processCpuUs).toFixed(2)} µs (without -> with metrics)`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
