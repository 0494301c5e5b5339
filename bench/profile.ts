/**
 * Where the time goes, for one system and one phase (not part of `npm run bench`):
 *
 *   node -r ts-node/register/transpile-only bench/profile.ts \
 *     [--system ours|ours-r0|bullmq] [--messages 100000] [--concurrency 100] [--batch 1000] [--cpu]
 *
 * With --cpu each phase is also CPU-profiled (V8 sampling profiler, only while the phase runs, so
 * start-up and ts-node are left out): a summary is printed and bench/results/profile-<system>-<phase>.cpuprofile.json
 * (git-ignored) written (open it in Chrome DevTools, or summarise it again with bench/profile-summary.ts).
 *
 * Publishes N messages, then processes them, and for each phase prints wall time, Node CPU
 * (process.cpuUsage), redis-server CPU (INFO cpu), and INFO commandstats per message (calls and
 * microseconds), commands run inside Lua scripts included.
 */
import { writeFileSync } from 'fs';
import { join } from 'path';
import Redis from 'ioredis';
import { spawnRedis } from '../libs/queue/src/testing';
import { cpuShare, describeCpuShare, redisCpuMs } from './lib/cpu-meter';
import { commandStats, CommandStat } from './lib/redis-info';
import { profileWhile, summariseProfile } from './lib/cpuprofile';
import { DeliveryTracker } from './lib/tracker';
import { now, waitUntil } from './lib/time';
import { openSystem, SystemKind } from './systems';

interface Snapshot {
  wall: number;
  node: NodeJS.CpuUsage;
  /** redis-server's CPU since it started, ms. */
  redisMs: number;
  stats: Record<string, CommandStat>;
}

async function snapshot(admin: Redis): Promise<Snapshot> {
  return { wall: now(), node: process.cpuUsage(), redisMs: await redisCpuMs(admin), stats: await commandStats(admin) };
}

function report(phase: string, n: number, a: Snapshot, b: Snapshot): void {
  const wallMs = b.wall - a.wall;
  const nodeMs = (b.node.user - a.node.user + b.node.system - a.node.system) / 1000;
  const redisMs = b.redisMs - a.redisMs;
  console.log(`\n== ${phase}: ${n} messages in ${wallMs.toFixed(0)} ms = ${Math.round((n / wallMs) * 1000).toLocaleString('en-US')} msgs/s`);
  console.log(`   CPU ${nodeMs.toFixed(0)} ms Node, ${redisMs.toFixed(0)} ms redis-server: ${describeCpuShare(cpuShare({ nodeMs, redisMs }, n, wallMs))}`);
  const rows = Object.entries(b.stats)
    .map(([cmd, s]) => {
      const before = a.stats[cmd] ?? { calls: 0, usec: 0 };
      return { cmd, calls: s.calls - before.calls, usec: s.usec - before.usec };
    })
    .filter((r) => r.calls > 0 && r.cmd !== 'info')
    .sort((x, y) => y.usec - x.usec);
  const totalCalls = rows.reduce((s, r) => s + r.calls, 0);
  const totalUsec = rows.reduce((s, r) => s + r.usec, 0);
  console.log(
    `   commandstats: ${totalCalls} calls (${(totalCalls / n).toFixed(3)}/msg), ${(totalUsec / 1000).toFixed(0)} ms inside commands (${(totalUsec / n).toFixed(2)} µs/msg)`,
  );
  for (const r of rows.slice(0, 14)) {
    console.log(
      `   ${r.cmd.padEnd(18)} calls ${String(r.calls).padStart(8)} (${(r.calls / n).toFixed(4)}/msg)  ${(r.usec / 1000).toFixed(1).padStart(8)} ms  ${(r.usec / n).toFixed(2).padStart(6)} µs/msg  ${(r.usec / r.calls).toFixed(1)} µs/call`,
    );
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string, fallback: string) => {
    const at = args.indexOf(`--${name}`);
    return at >= 0 ? args[at + 1] : fallback;
  };
  const kind = opt('system', 'ours') as SystemKind;
  const n = Number(opt('messages', '100000'));
  const concurrency = Number(opt('concurrency', '100'));
  const batch = Number(opt('batch', '1000'));
  const cpu = args.includes('--cpu');
  const server = await spawnRedis();
  const admin = server.client();
  const system = openSystem(kind, { url: server.url, prefix: 'prof', name: 'p' });
  try {
    console.log(`system ${kind}, ${n} messages, batches of ${batch}, concurrency ${concurrency}`);
    await system.publishBatch([{ i: n }]);
    const phase = async (name: string, body: () => Promise<void>) => {
      const s0 = await snapshot(admin);
      const profiled = cpu ? await profileWhile(body) : (await body(), undefined);
      const s1 = await snapshot(admin);
      report(name, n, s0, s1);
      if (profiled) {
        const file = join(__dirname, 'results', `profile-${kind}-${name}.cpuprofile.json`);
        writeFileSync(file, JSON.stringify(profiled.profile));
        console.log(
          summariseProfile(profiled.profile, 15)
            .map((l) => `   ${l}`)
            .join('\n'),
        );
      }
    };
    await phase('publish', async () => {
      for (let from = 0; from < n; from += batch) {
        await system.publishBatch(Array.from({ length: Math.min(batch, n - from) }, (_, k) => ({ i: from + k })));
      }
    });
    const tracker = new DeliveryTracker(n + 1);
    await phase('process', async () => {
      await system.consume(concurrency, (m) => tracker.record(m.i));
      await waitUntil(() => tracker.delivered >= n + 1, 300_000, 'all handler starts', 1);
      await waitUntil(() => system.isDrained(), 300_000, 'drained', 5);
    });
    tracker.verify(n + 1, 'profile');
  } finally {
    await system.close();
    admin.disconnect();
    await server.cleanup();
  }
}

main().then(
  () => process.exit(),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
