/**
 * What the layers above the queue cost per message (not part of `npm run bench`, which measures
 * bare queues): on one throwaway redis-server, 100,000 messages published in batches of 1,000 while
 * the consumer is paused, then processed with a no-op handler at concurrency 100, in four setups
 * taken in turn, round after round:
 *
 *   queue          createQueue, no observer (what `npm run bench` measures)
 *   queue+metrics  createQueue with a QueueMetrics observer (as a QueueManager wires it)
 *   manager        QueueManager.registerTaskHandler, metrics on, dispatcher off
 *   dispatcher     QueueManager.registerTaskHandler through the task dispatcher (messages published
 *                  straight to the queue, so no outcome is reported back)
 *
 * Prints Node CPU per message (process.cpuUsage) and the processing rate per round, then the mean
 * of each setup after the first round of each (warm-up).
 *
 *   node -r ts-node/register/transpile-only bench/overhead.ts [--messages 100000] [--concurrency 100] [--rounds 3]
 *
 * Results are in docs/metrics.md ("Cost") and docs/benchmarks.md (seventeenth session).
 */
import Redis from 'ioredis';
import { QueueManager } from '../libs/queue/src/manager/queue-manager';
import { QueueMetrics } from '../libs/queue/src/metrics/queue-metrics';
import { createQueue } from '../libs/queue/src/queue/create-queue';
import type { QueueLogger } from '../libs/queue/src/logger';
import type { TaskQueue } from '../libs/queue/src/queue/queue.types';
import { spawnRedis } from '../libs/queue/src/testing/redis-harness';
import { now } from './lib/time';

const SETUPS = ['queue', 'queue+metrics', 'manager', 'dispatcher'] as const;
type Setup = (typeof SETUPS)[number];

/** The managers' start-up lines (Redis checks) would interleave with the figures. */
const SILENT: QueueLogger = { debug: () => undefined, log: () => undefined, warn: () => undefined, error: () => undefined, child: () => SILENT };

interface Measured {
  setup: Setup;
  cpuUs: number;
  rate: number;
}

/** A paused queue with a no-op handler counting to `messages`, and how to close what was opened. */
interface Rig {
  queue: TaskQueue;
  done: Promise<void>;
  close(): Promise<void>;
}

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} needs a positive integer, got ${process.argv[at + 1]}`);
  return value;
}

function counter(messages: number): { count: () => void; done: Promise<void> } {
  let seen = 0;
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  return { count: () => void (++seen === messages && resolve()), done };
}

async function rig(setup: Setup, url: string, prefix: string, messages: number, concurrency: number): Promise<Rig> {
  const { count, done } = counter(messages);
  if (setup === 'queue' || setup === 'queue+metrics') {
    const client = new Redis(url, { maxRetriesPerRequest: null });
    const observer = setup === 'queue+metrics' ? new QueueMetrics({ defaultMetrics: false }).queueObserver : undefined;
    const queue = createQueue({ name: 'jobs', backend: { type: 'redis', client, prefix }, observer });
    await queue.pause();
    queue.process('bench', count, { concurrency });
    return {
      queue,
      done,
      close: async () => {
        await queue.close();
        client.disconnect();
      },
    };
  }
  const manager = await QueueManager.create(
    {
      service_name: 'overhead',
      redis: { url, key_prefix: prefix },
      message_queue: { queue_name: 'jobs' },
      task_dispatcher: { enabled: setup === 'dispatcher' },
      metrics: { default_metrics: false },
    },
    { env: {}, logger: SILENT },
  );
  await manager.start();
  const queue = manager.queue();
  await queue.pause();
  manager.registerTaskHandler('bench', count, { concurrency });
  return { queue, done, close: async () => void (await manager.shutdown()) };
}

async function measure(setup: Setup, url: string, round: number, messages: number, concurrency: number): Promise<Measured> {
  const r = await rig(setup, url, `oh${round}${setup.replace('+', '')}`, messages, concurrency);
  try {
    for (let i = 0; i < messages; i += 1000) {
      await r.queue.publishBatch(Array.from({ length: Math.min(1000, messages - i) }, (_, j) => ({ type: 'bench', payload: { i: i + j } })));
    }
    const cpu = process.cpuUsage();
    const started = now();
    await r.queue.resume();
    await r.done;
    const used = process.cpuUsage(cpu);
    return { setup, cpuUs: (used.user + used.system) / messages, rate: (messages / (now() - started)) * 1000 };
  } finally {
    await r.close();
  }
}

async function main(): Promise<void> {
  const messages = option('messages', 100_000);
  const concurrency = option('concurrency', 100);
  const rounds = option('rounds', 3);
  const server = await spawnRedis();
  const kept: Measured[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      for (const setup of SETUPS) {
        const m = await measure(setup, server.url, round, messages, concurrency);
        console.log(
          `round ${round} ${setup.padEnd(13)} ${m.cpuUs.toFixed(2)} µs/msg Node CPU, ${Math.round(m.rate).toLocaleString('en-US')} msgs/s${round === 0 ? ' (warm-up)' : ''}`,
        );
        if (round > 0) kept.push(m);
      }
    }
  } finally {
    await server.stop();
  }
  for (const setup of SETUPS) {
    const of = kept.filter((m) => m.setup === setup);
    if (of.length === 0) continue;
    const mean = (pick: (m: Measured) => number) => of.reduce((sum, m) => sum + pick(m), 0) / of.length;
    console.log(
      `mean ${setup.padEnd(13)} ${mean((m) => m.cpuUs).toFixed(2)} µs/msg Node CPU, ${Math.round(mean((m) => m.rate)).toLocaleString('en-US')} msgs/s`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
