import { usedMemory } from '../lib/redis-info';
import { sleep } from '../lib/time';
import { drainAndVerify, publishAll } from './common';
import { Scenario, withSystem } from './scenario';

/**
 * Redis memory per queued message: INFO memory used_memory on an emptied server before and after
 * publishing N small messages (no consumer), divided by N, minus the mean payload size (the JSON
 * of the message data, `{"i":<n>}`). Then everything is consumed and checked.
 */
export const memory: Scenario = {
  id: 'memory',
  title: 'Redis memory per queued message, beyond the payload',
  metrics: [{ key: 'perMessage', label: 'memory per queued message beyond payload', unit: 'bytes', better: 'lower' }],
  run: (ctx, kind) =>
    withSystem(ctx, kind, async (system) => {
      const n = ctx.sizes.memoryMessages;
      // One message first so lazily created keys and script caches are not counted per message.
      await system.publishBatch([{ i: n }]);
      await sleep(100);
      const before = await usedMemory(ctx.admin);
      await publishAll(system, n, ctx.sizes.batchSize);
      await sleep(200);
      const after = await usedMemory(ctx.admin);
      let payload = 0;
      for (let i = 0; i < n; i++) payload += system.payloadBytes({ i });
      const raw = (after - before) / n;
      const perMessage = raw - payload / n;
      await drainAndVerify(ctx, system, n + 1, `${kind} memory`);
      return {
        metrics: { perMessage },
        detail: { messages: n, usedMemoryBefore: before, usedMemoryAfter: after, rawPerMessage: raw, meanPayloadBytes: payload / n },
      };
    }),
};
