/**
 * Which allocations outlive a scavenge (not part of `npm run bench`):
 *
 *   node -r ts-node/register/transpile-only bench/survivors.ts [concurrency]
 *
 * Publishes 400,000 messages to a throwaway redis-server, consumes them with our queue (no-op
 * handler) and, for 2 s in the middle, runs V8's sampling heap profiler keeping objects a major GC
 * collected but dropping those a scavenge collected: what remains was alive at a scavenge (copied,
 * then promoted), the work that makes a scavenge pause long. Prints the allocation sites (the last
 * four frames, caller first) by sampled bytes, and the sampled bytes per message.
 */
import { Session } from 'inspector';
import { spawnRedis } from '../libs/queue/src/testing';
import { openSystem } from './systems';
import { sleep } from './lib/time';

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

async function main(): Promise<void> {
  const redis = await spawnRedis();
  const options = { url: redis.url, name: 'snap', prefix: 'snap' };
  const sys = openSystem('ours', options);
  await sys.ready();
  for (let i = 0; i < 400_000; i += 1000) await sys.publishBatch(Array.from({ length: 1000 }, (_, k) => ({ i: i + k, p: 3 as const })));
  const consumer = openSystem('ours', options);
  await consumer.ready();
  let n = 0;
  await consumer.consume(Number(process.argv[2] ?? 1), () => void n++);
  await sleep(500);
  const session = new Session();
  session.connect();
  const post = (m: string, p?: object) => new Promise<unknown>((res, rej) => session.post(m, p ?? {}, (e, r) => (e ? rej(e) : res(r))));
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true });
  const n0 = n;
  await sleep(2000);
  const { profile } = (await post('HeapProfiler.getSamplingProfile')) as { profile: { head: ProfileNode } };
  console.log('messages during sampling', n - n0);
  const sites = new Map<string, number>();
  const walk = (node: ProfileNode, stack: string[]) => {
    const f = node.callFrame;
    const here = `${f.functionName || '(anon)'} ${f.url.replace(/.*\/(libs|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;
    const st = [...stack, here];
    if (node.selfSize > 0) {
      const key = st.slice(-4).join(' < ');
      sites.set(key, (sites.get(key) ?? 0) + node.selfSize);
    }
    for (const c of node.children) walk(c, st);
  };
  walk(profile.head, []);
  let total = 0;
  for (const v of sites.values()) total += v;
  console.log('live sampled bytes', total, 'per message', (total / (n - n0)).toFixed(1));
  for (const [k, v] of [...sites.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(String(v).padStart(10), k);
  process.exit(0);
}
void main();
