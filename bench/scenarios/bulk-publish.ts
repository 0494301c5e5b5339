import { perMessage, startCpuMeter } from '../lib/cpu-meter';
import { drainAndVerify, publishAll } from './common';
import { Scenario, withSystem } from './scenario';

/** Bulk publish: N messages in batches of 1,000 (ours: publishBatch; BullMQ: addBulk), one batch in flight. */
export const bulkPublish: Scenario = {
  id: 'bulk-publish',
  title: 'Bulk publish (batches of 1,000)',
  metrics: [{ key: 'rate', label: 'bulk publish', unit: 'msgs/s', better: 'higher' }],
  run: (ctx, kind) =>
    withSystem(ctx, kind, async (system) => {
      const n = ctx.sizes.bulkMessages;
      const stop = await startCpuMeter(ctx.admin);
      const ms = await publishAll(system, n, ctx.sizes.batchSize);
      const cpu = perMessage(await stop(), n);
      await drainAndVerify(ctx, system, n, `${kind} bulk-publish`);
      return { metrics: { rate: (n / ms) * 1000 }, detail: { messages: n, elapsedMs: ms, cpu } };
    }),
};
