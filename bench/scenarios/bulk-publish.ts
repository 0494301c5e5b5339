import { perMessage, startCpuMeter } from '../lib/cpu-meter';
import { drainAndVerify, publishAll } from './common';
import { Scenario, withSystem } from './scenario';

/** Batches on their way at once in the second measurement (a producer publishing from concurrent requests). */
export const BULK_IN_FLIGHT = 4;

/**
 * Bulk publish: N messages in batches of 1,000 (ours: publishBatch; BullMQ: addBulk), one batch in
 * flight (the team's bar is judged on this one); then, on a fresh system, the same with
 * BULK_IN_FLIGHT batches on their way at once, so the producer's work on one overlaps the server's
 * on another (each batch stays one command, all or nothing).
 */
export const bulkPublish: Scenario = {
  id: 'bulk-publish',
  title: 'Bulk publish (batches of 1,000)',
  metrics: [
    { key: 'rate', label: 'bulk publish', unit: 'msgs/s', better: 'higher' },
    { key: 'rateInFlight', label: `bulk publish, ${BULK_IN_FLIGHT} batches in flight`, unit: 'msgs/s', better: 'higher' },
  ],
  run: async (ctx, kind) => {
    const n = ctx.sizes.bulkMessages;
    const measure = (inFlight: number) =>
      withSystem(ctx, kind, async (system) => {
        const stop = await startCpuMeter(ctx.admin);
        const ms = await publishAll(system, n, ctx.sizes.batchSize, undefined, inFlight);
        const cpu = perMessage(await stop(), n);
        await drainAndVerify(ctx, system, n, `${kind} bulk-publish (${inFlight} in flight)`);
        return { rate: (n / ms) * 1000, ms, cpu };
      });
    const one = await measure(1);
    const many = await measure(BULK_IN_FLIGHT);
    return {
      metrics: { rate: one.rate, rateInFlight: many.rate },
      detail: { messages: n, elapsedMs: one.ms, cpu: one.cpu, inFlight: { batches: BULK_IN_FLIGHT, elapsedMs: many.ms, cpu: many.cpu } },
    };
  },
};
