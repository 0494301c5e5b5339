/**
 * In-process A/B of the queue code of several git worktrees (not part of `npm run bench`):
 *
 *   git worktree add --detach /tmp/base main && ln -s "$PWD/node_modules" /tmp/base/node_modules
 *   node -r ts-node/register/transpile-only bench/ab-worktrees.ts [--backend redis|memory] \
 *     [--concurrency 100] [--messages 20000] [--rounds 25] <worktree> <worktree> ...
 *
 * One Node process loads `createQueue` from each worktree and alternates short runs (publish N in
 * batches of 1000, then process them with a no-op handler at the given concurrency, on one
 * throwaway redis-server or the memory backend), the order reversed every other round. Every
 * variant so sees the same machine load, which on a shared machine moves separate runs by 10-30 %.
 * Prints the median CPU µs per message of the process phase (Node; redis-server from INFO cpu) and
 * the paired median ratio of each variant's Node CPU to the first one's. Round 0 is a warm-up.
 */
import { basename, resolve } from 'path';
import type Redis from 'ioredis';
import { spawnRedis } from '../libs/queue/src/testing';
import type { CreateQueueOptions } from '../libs/queue/src/queue/create-queue';
import type { StoreBackedQueue } from '../libs/queue/src/queue/task-queue';
import { redisCpuMs } from './lib/cpu-meter';
import { waitUntil } from './lib/time';

interface Variant {
  name: string;
  createQueue: (options: CreateQueueOptions) => StoreBackedQueue;
  node: number[];
  redis: number[];
}

function load(root: string): Variant {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a module of another worktree, chosen at run time
  const mod = require(resolve(root, 'libs/queue/src/queue/create-queue')) as { createQueue: Variant['createQueue'] };
  return { name: basename(resolve(root)), createQueue: mod.createQueue, node: [], redis: [] };
}

async function redisCpuUs(admin: Redis | undefined): Promise<number> {
  return admin ? (await redisCpuMs(admin)) * 1000 : 0;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const roots: string[] = [];
  const opts: Record<string, string> = { backend: 'redis', concurrency: '100', messages: '20000', rounds: '25' };
  for (let i = 0; i < args.length; i++) {
    if (args[i].startsWith('--')) opts[args[i].slice(2)] = args[++i];
    else roots.push(args[i]);
  }
  if (roots.length < 2) throw new Error('give at least two worktrees');
  const concurrency = Number(opts.concurrency);
  const n = Number(opts.messages);
  const rounds = Number(opts.rounds);
  const variants = roots.map(load);
  const server = opts.backend === 'redis' ? await spawnRedis() : undefined;
  const admin = server?.client();
  let run = 0;
  try {
    for (let round = 0; round <= rounds; round++) {
      for (const v of round % 2 === 0 ? variants : [...variants].reverse()) {
        run++;
        await admin?.flushall();
        const client = server?.client();
        const queue = v.createQueue({ name: `ab${run}`, backend: client ? { type: 'redis', client, prefix: 'ab' } : { type: 'memory' } });
        for (let from = 0; from < n; from += 1000) {
          await queue.publishBatch(Array.from({ length: Math.min(1000, n - from) }, (_, k) => ({ type: 'bench', payload: { i: from + k } })));
        }
        let handled = 0;
        const redis0 = await redisCpuUs(admin);
        const node0 = process.cpuUsage();
        queue.process('bench', () => void handled++, { concurrency });
        await waitUntil(() => handled >= n, 300_000, 'all handled', 1);
        await waitUntil(async () => (await queue.stats()).processing_count === 0, 300_000, 'all acknowledged', 1);
        const node = process.cpuUsage(node0);
        const redis = (await redisCpuUs(admin)) - redis0;
        await queue.close({ drainTimeoutMs: 1000 });
        client?.disconnect();
        if (round > 0) {
          v.node.push((node.user + node.system) / n);
          v.redis.push(redis / n);
        }
      }
    }
  } finally {
    admin?.disconnect();
    await server?.cleanup();
  }
  console.log(`${opts.backend}, concurrency ${concurrency}, ${n} messages, ${rounds} runs per variant: median CPU µs per message`);
  for (const v of variants) {
    const node = median(v.node);
    const redis = server ? ` + redis ${median(v.redis).toFixed(2)} = ${(node + median(v.redis)).toFixed(2)}` : '';
    console.log(`  ${v.name.padEnd(20)} node ${node.toFixed(2)}${redis}`);
  }
  for (const v of variants.slice(1)) {
    console.log(`  node ${v.name} / ${variants[0].name}: paired median ratio ${median(v.node.map((x, i) => x / variants[0].node[i])).toFixed(3)}`);
  }
}

main().then(
  () => process.exit(),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
