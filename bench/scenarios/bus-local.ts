import { createEventBus } from '../../libs/queue/src/events';
import { BenchFailure, DeliveryTracker } from '../lib/tracker';
import { now, sleep, waitUntil } from '../lib/time';
import { assertCleanStats, BUS_TYPE, BusMsg, withBuses } from './bus-common';
import type { Scenario } from './scenario';

interface BenchEvents {
  [BUS_TYPE]: BusMsg;
}

/**
 * In-process bus (`local`, defaults: bufferSize 1000, workers 4, policy `wait`), one no-op handler:
 * 1. `emit` N events one after the other (each awaited: it resolves once the event is buffered),
 *    timed until every handler ran;
 * 2. `emitAndWait` N more, one at a time (each resolves when its handler finished).
 * Every event must reach the handler exactly once; no emit may report a drop.
 */
export const busLocal: Scenario = {
  id: 'bus-local',
  title: 'Event bus, in-process (local), one handler',
  systems: ['ours'],
  metrics: [
    { key: 'emit', label: 'bus local, emit', unit: 'events/s', better: 'higher' },
    { key: 'emitAndWait', label: 'bus local, emitAndWait one at a time', unit: 'events/s', better: 'higher' },
  ],
  run: (ctx, kind) =>
    withBuses(ctx, async (res) => {
      const n = ctx.sizes.busEvents;
      const bus = res.track(createEventBus<BenchEvents>({ type: 'local', serviceName: 'bench-local' }));
      const tracker = new DeliveryTracker(2 * n);
      bus.on(BUS_TYPE, (event) => tracker.record(event.data.i));
      let refused = 0;

      const cpu0 = process.cpuUsage();
      let start = now();
      for (let i = 0; i < n; i++) if (!(await bus.emit(BUS_TYPE, { i }))) refused++;
      await waitUntil(() => tracker.delivered >= n || refused > 0, ctx.sizes.timeoutMs, `${n} handler runs (saw ${tracker.delivered})`, 1);
      const emitMs = now() - start;
      const emitCpu = process.cpuUsage(cpu0);

      const cpu1 = process.cpuUsage();
      start = now();
      for (let i = n; i < 2 * n; i++) {
        const result = await bus.emitAndWait(BUS_TYPE, { i });
        if (result.dropped || result.handlers !== 1 || result.errors.length) refused++;
      }
      const waitMs = now() - start;
      const waitCpu = process.cpuUsage(cpu1);

      await sleep(20);
      if (refused) throw new BenchFailure(`${kind} bus-local: ${refused} emits dropped, failed or reached no handler`);
      tracker.verify(2 * n, `${kind} bus-local`);
      const stats = bus.stats();
      assertCleanStats('local bus', stats);
      if (stats.total_processed !== 2 * n) throw new BenchFailure(`${kind} bus-local: total_processed ${stats.total_processed}, expected ${2 * n}`);
      const us = (c: NodeJS.CpuUsage) => (c.user + c.system) / n;
      return {
        metrics: { emit: (n / emitMs) * 1000, emitAndWait: (n / waitMs) * 1000 },
        detail: {
          events: n,
          emitMs,
          emitAndWaitMs: waitMs,
          cpuPerEvent: { emit: { nodeUsPerEvent: us(emitCpu) }, emitAndWait: { nodeUsPerEvent: us(waitCpu) } },
        },
      };
    }),
};
