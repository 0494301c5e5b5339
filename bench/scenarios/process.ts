import { perMessage, startCpuMeter } from '../lib/cpu-meter';
import { DeliveryTracker } from '../lib/tracker';
import { now } from '../lib/time';
import { publishAll, waitProcessed } from './common';
import { Scenario, withSystem } from './scenario';

/**
 * Publish N, then start one consumer with the given concurrency and time it from start until every
 * handler ran and the backend reports nothing waiting or in flight (all acknowledged).
 */
function processScenario(concurrency: number): Scenario {
  return {
    id: `process-c${concurrency}`,
    title: `Publish then process, concurrency ${concurrency}`,
    metrics: [{ key: 'rate', label: `process, concurrency ${concurrency}`, unit: 'msgs/s', better: 'higher' }],
    variants: concurrency === 100 ? ['ours-r0'] : undefined,
    run: (ctx, kind) =>
      withSystem(ctx, kind, async (system) => {
        const n = concurrency === 1 ? ctx.sizes.processMessagesC1 : ctx.sizes.processMessages;
        await publishAll(system, n, ctx.sizes.batchSize);
        const tracker = new DeliveryTracker(n);
        const stop = await startCpuMeter(ctx.admin);
        const start = now();
        await system.consume(concurrency, (m) => tracker.record(m.i));
        await waitProcessed(ctx, system, tracker, n);
        const ms = now() - start;
        const cpu = perMessage(await stop(), n);
        tracker.verify(n, `${kind} process-c${concurrency}`);
        return { metrics: { rate: (n / ms) * 1000 }, detail: { messages: n, elapsedMs: ms, concurrency, cpu } };
      }),
  };
}

export const processC1 = processScenario(1);
export const processC10 = processScenario(10);
export const processC100 = processScenario(100);
