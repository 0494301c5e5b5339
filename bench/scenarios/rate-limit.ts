import Redis from 'ioredis';
import { createQueue } from '../../libs/queue/src/queue/create-queue';
import type { StoreBackedQueue } from '../../libs/queue/src/queue/task-queue';
import { callDelta, commandCalls } from '../lib/redis-info';
import { BenchFailure } from '../lib/tracker';
import { now, sleep, waitUntil } from '../lib/time';
import type { Scenario, ScenarioContext } from './scenario';

const LIMITED = 'speech_recognition';
const UNLIMITED = ['summary', 'thumbnail'];
/** The slow limit of the waiting phase: a token every 500 ms. */
const WAIT_LIMIT = { max: 2, perMs: 1000 };

/**
 * Rate limits (ours only: BullMQ's open-source limiter is per queue, not per task type). One queue,
 * one consumer (concurrency `steadyConcurrency`), a limit of `rateLimitPerSecond` on one type:
 * 1. unlimited types, no limit anywhere: N summary/thumbnail messages, timed until all are done;
 * 1b. the same with the type limit set but none of its messages queued (the cost of the limited
 *    fetch path itself);
 * 2. the same N behind a backlog of the limited type published first: the unlimited types' rate
 *    (the limit must not slow them), then the limited type's measured rate over `steadySeconds`
 *    one-second windows after the first (the burst);
 * 3. a backlog of a type limited to 2 per second, nothing else: Redis commands over `idleSeconds`
 *    while the worker waits for tokens (no polling: a fetch per token, not per millisecond).
 */
export const rateLimit: Scenario = {
  id: 'rate-limit',
  title: 'Rate limit on one task type, other types unlimited',
  systems: ['ours'],
  metrics: [
    { key: 'unlimitedAlone', label: 'rate limit, unlimited types alone (no limit)', unit: 'msgs/s', better: 'higher' },
    { key: 'unlimitedLimitIdle', label: 'rate limit, unlimited types, a type limit set but none of its messages', unit: 'msgs/s', better: 'higher' },
    { key: 'unlimitedBesideLimit', label: 'rate limit, unlimited types behind a limited backlog', unit: 'msgs/s', better: 'higher' },
    { key: 'limitedRate', label: 'rate limit, limited type measured (limit 200/s; smoke 50/s)', unit: 'msgs/s', better: 'higher' },
    { key: 'waitingRoundTripsPerMinute', label: 'rate limit, worker waiting for tokens (2/s), scripts and blocking waits', unit: 'cmds/min', better: 'lower' },
    { key: 'waitingPerMinute', label: 'rate limit, worker waiting for tokens (2/s), all commands incl. inside scripts', unit: 'cmds/min', better: 'lower' },
  ],
  run: async (ctx) => {
    const client = new Redis(ctx.url, { maxRetriesPerRequest: null });
    const opened: StoreBackedQueue[] = [];
    const open = (name: string, limit?: { max: number; perMs: number }) => {
      const q = createQueue({
        name,
        backend: { type: 'redis', client, prefix: 'rl' },
        completedRetention: { count: 0 },
        ...(limit ? { rateLimits: { [LIMITED]: limit } } : {}),
      });
      opened.push(q);
      return q;
    };
    try {
      const n = Math.max(1000, ctx.sizes.processMessages / 2);
      const perSecond = ctx.sizes.rateLimitPerSecond;
      const windows = Math.max(1, Math.round(ctx.sizes.steadySeconds));
      const unlimited = (count: number) => Array.from({ length: count }, (_, i) => ({ type: UNLIMITED[i % 2], payload: { i } }));

      // 1. unlimited types alone
      const alone = open('alone');
      await publishAll(alone, unlimited(n));
      const aloneRate = await timedDrain(ctx, alone, n, []);

      // 1b. the same with the type limit configured but none of its messages queued (the scan path's cost)
      const idleLimit = open('idle-limit', { max: perSecond, perMs: 1000 });
      await publishAll(idleLimit, unlimited(n));
      const idleLimitRate = await timedDrain(ctx, idleLimit, n, []);
      await idleLimit.close({ drainTimeoutMs: 0 });

      // 2. the same behind a limited backlog: unlimited rate, then the limited type's rate per window
      const backlog = perSecond * (windows + 3);
      const mixed = open('mixed', { max: perSecond, perMs: 1000 });
      await publishAll(
        mixed,
        Array.from({ length: backlog }, (_, i) => ({ type: LIMITED, payload: { i } })),
      );
      await publishAll(mixed, unlimited(n));
      const limitedStarts: number[] = [];
      const besideRate = await timedDrain(ctx, mixed, n, limitedStarts);
      // the first second holds the burst (max) and its refill; then `windows` seconds at the limit
      await waitUntil(() => limitedStarts.length > 0, ctx.sizes.timeoutMs, 'a limited start', 20);
      const t0 = limitedStarts[0];
      await waitUntil(() => Date.now() >= t0 + (windows + 1) * 1000 + 100, ctx.sizes.timeoutMs, 'the measured windows', 20);
      const perWindow = Array.from({ length: windows }, (_, w) => {
        const from = t0 + (w + 1) * 1000;
        return limitedStarts.filter((t) => t >= from && t < from + 1000).length;
      });
      const limitedRate = perWindow.reduce((a, b) => a + b, 0) / windows;
      await mixed.close({ drainTimeoutMs: 0 });

      // 3. only a slowly limited backlog: what the waiting worker costs Redis
      const waiting = open('waiting', WAIT_LIMIT);
      await publishAll(
        waiting,
        Array.from({ length: 1000 }, (_, i) => ({ type: LIMITED, payload: { i } })),
      );
      let taken = 0;
      waiting.process(LIMITED, async () => void taken++, { concurrency: ctx.sizes.steadyConcurrency });
      await waitUntil(() => taken >= WAIT_LIMIT.max, ctx.sizes.timeoutMs, 'the burst taken', 10);
      await sleep(1000);
      const takenBefore = taken;
      const before = await commandCalls(ctx.admin);
      await sleep(ctx.sizes.idleSeconds * 1000);
      const delta = callDelta(before, await commandCalls(ctx.admin));
      delete delta.info;
      const takenInWindow = taken - takenBefore;
      const total = Object.values(delta).reduce((a, b) => a + b, 0);
      const scripts = (delta.evalsha ?? 0) + (delta.eval ?? 0);
      // what the worker sends (scripts, blocking waits); the rest runs inside the scripts
      const roundTrips = scripts + (delta.blpop ?? 0);
      ctx.log(
        `  limited ${limitedRate.toFixed(1)}/s (windows ${perWindow.join(' ')}); unlimited ${aloneRate.toFixed(0)} alone, ${idleLimitRate.toFixed(0)} with an idle limit, ${besideRate.toFixed(0)} beside; waiting: ${total} commands (${roundTrips} scripts and BLPOPs) for ${takenInWindow} taken in ${ctx.sizes.idleSeconds} s`,
      );
      return {
        metrics: {
          unlimitedAlone: aloneRate,
          unlimitedLimitIdle: idleLimitRate,
          unlimitedBesideLimit: besideRate,
          limitedRate,
          waitingPerMinute: (total / ctx.sizes.idleSeconds) * 60,
          waitingRoundTripsPerMinute: (roundTrips / ctx.sizes.idleSeconds) * 60,
        },
        detail: {
          limitPerSecond: perSecond,
          limitedPerWindow: perWindow,
          unlimitedMessages: n,
          limitedBacklog: backlog,
          waiting: { limit: WAIT_LIMIT, seconds: ctx.sizes.idleSeconds, taken: takenInWindow, scriptCalls: scripts, commands: delta },
        },
      };
    } finally {
      await Promise.all(opened.map((q) => q.close({ drainTimeoutMs: 0 }).catch(() => undefined)));
      await client.quit().catch(() => client.disconnect());
    }
  },
};

async function publishAll(queue: StoreBackedQueue, messages: Array<{ type: string; payload: unknown }>): Promise<void> {
  for (let i = 0; i < messages.length; i += 1000) await queue.publishBatch(messages.slice(i, i + 1000));
}

/**
 * Starts handlers for every type and times the unlimited ones: msgs/s from the start until `count`
 * of them ran once each. Starts of the limited type are stamped (ms) into `limitedStarts`.
 */
async function timedDrain(ctx: ScenarioContext, queue: StoreBackedQueue, count: number, limitedStarts: number[]): Promise<number> {
  const seen = new Uint8Array(count);
  let done = 0;
  let twice = 0;
  const concurrency = ctx.sizes.steadyConcurrency;
  const start = now();
  for (const type of UNLIMITED) {
    queue.process(
      type,
      async (m) => {
        const i = (m.payload as { i: number }).i;
        if (seen[i]++) twice++;
        done++;
      },
      { concurrency },
    );
  }
  queue.process(LIMITED, async () => void limitedStarts.push(Date.now()), { concurrency });
  await waitUntil(() => done >= count, ctx.sizes.timeoutMs, `${count} unlimited starts (saw ${done})`, 1);
  const elapsed = now() - start;
  if (twice > 0) throw new BenchFailure(`rate-limit: ${twice} unlimited messages ran twice`);
  return (count / elapsed) * 1000;
}
