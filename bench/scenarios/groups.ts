import { perMessage, startCpuMeter } from '../lib/cpu-meter';
import { usedMemory } from '../lib/redis-info';
import { DeliveryTracker } from '../lib/tracker';
import { now, sleep } from '../lib/time';
import type { BenchMsg, BenchSystem, SystemKind } from '../systems';
import { publishAll, waitProcessed } from './common';
import { Scenario, ScenarioContext, withSystem } from './scenario';

const CONCURRENCY = 100;

/**
 * Fair sharing between groups (docs/queue.md, "Groups"): `groups` x `groupMessages` messages (the
 * groups one after the other, as meetings that each queued a backlog), published, then processed at
 * concurrency 100, timed as process-c100. The same number without groups on a fresh queue gives the
 * cost of the rotation. BullMQ's open-source version has no groups: its figure is the plain one in
 * both columns. The Redis memory per queued message beyond the payload is measured on both
 * backlogs before they are processed (the group names are in it: `meeting-<n>`, 9 to 12 bytes).
 */
export const groups: Scenario = {
  id: 'groups',
  title: 'Throughput with groups (1,000 groups x 100 messages), concurrency 100',
  metrics: [
    { key: 'rate', label: 'grouped (BullMQ: plain, no groups in its OSS version)', unit: 'msgs/s', better: 'higher' },
    { key: 'plainRate', label: 'same messages without groups', unit: 'msgs/s', better: 'higher' },
    { key: 'groupedMemory', label: 'memory per queued grouped message beyond payload (BullMQ: plain)', unit: 'bytes', better: 'lower' },
  ],
  run: async (ctx, kind) => {
    const n = ctx.sizes.groups * ctx.sizes.groupMessages;
    const grouped = kind !== 'bullmq';
    const per = ctx.sizes.groupMessages;
    const plain = await withSystem(ctx, kind, (system) => timed(ctx, system, kind, n, (i) => ({ i })));
    const withGroups = await withSystem(ctx, kind, (system) =>
      timed(ctx, system, kind, n, grouped ? (i) => ({ i, g: `meeting-${Math.floor(i / per)}` }) : (i) => ({ i })),
    );
    return {
      metrics: { rate: withGroups.rate, plainRate: plain.rate, groupedMemory: withGroups.memory },
      detail: {
        messages: n,
        groups: grouped ? ctx.sizes.groups : 0,
        concurrency: CONCURRENCY,
        grouped: withGroups,
        plain,
        costRatio: plain.rate / withGroups.rate,
        plainMemory: plain.memory,
      },
    };
  },
};

async function timed(
  ctx: ScenarioContext,
  system: BenchSystem,
  kind: SystemKind,
  n: number,
  make: (i: number) => BenchMsg,
): Promise<{ rate: number; elapsedMs: number; memory: number; cpu: ReturnType<typeof perMessage> }> {
  // One message first so lazily created keys and script caches are not counted per message.
  const tracker = new DeliveryTracker(n + 1);
  await system.publishBatch([make(n)]);
  await sleep(100);
  const before = await usedMemory(ctx.admin);
  await publishAll(system, n, ctx.sizes.batchSize, make);
  await sleep(200);
  const after = await usedMemory(ctx.admin);
  let payload = 0;
  for (let i = 0; i < n; i++) payload += system.payloadBytes({ i });
  const stop = await startCpuMeter(ctx.admin);
  const start = now();
  await system.consume(CONCURRENCY, (m) => tracker.record(m.i));
  await waitProcessed(ctx, system, tracker, n + 1);
  const elapsedMs = now() - start;
  const cpu = perMessage(await stop(), n + 1);
  tracker.verify(n + 1, `${kind} groups`);
  return { rate: ((n + 1) / elapsedMs) * 1000, elapsedMs, memory: (after - before - payload) / n, cpu };
}
