import { createEventBus } from '../../libs/queue/src/events';
import { startCpuMeter } from '../lib/cpu-meter';
import { DeliveryTracker } from '../lib/tracker';
import { now, sleep, waitUntil } from '../lib/time';
import { assertCleanStats, BUS_TYPE, busBatch, BusMsg, perEvent, withBuses } from './bus-common';
import type { Scenario } from './scenario';

const CHANNEL = 'bench_fanout';
const SUBSCRIBERS = 3;
/** The publisher stays at most this many events ahead of the slowest subscriber (keeps Redis's pub/sub output buffers small). */
const WINDOW = 10_000;

/**
 * Redis pub/sub fan-out: one publisher bus (publishBatch of `batchSize`, one batch in flight), three
 * subscriber buses (three connections, defaults: bufferSize 1000, workers 4, policy `wait`) on one
 * channel. Timed from the first publish until every subscriber had every event; each subscriber
 * must have received each event exactly once (nothing else runs on the private server, and `wait`
 * never drops under `bufferSize` waiting producers, so pub/sub loses nothing here).
 */
export const busPubSubFanout: Scenario = {
  id: 'bus-pubsub-fanout',
  title: 'Event bus, Redis pub/sub, fan-out to 3 subscribers',
  systems: ['ours'],
  metrics: [
    { key: 'perSubscriber', label: 'bus pub/sub fan-out, delivered per subscriber', unit: 'events/s', better: 'higher' },
    { key: 'total', label: 'bus pub/sub fan-out, deliveries in all (3 subscribers)', unit: 'events/s', better: 'higher' },
  ],
  run: (ctx, kind) =>
    withBuses(ctx, async (res) => {
      const n = ctx.sizes.busFanoutEvents;
      const batch = ctx.sizes.batchSize;
      const publisher = res.track(createEventBus({ type: 'redis_pubsub', client: await res.client('publisher'), serviceName: 'bench-publisher' }));
      const trackers: DeliveryTracker[] = [];
      const finishedAt: number[] = [];
      const subscribers = [];
      for (let s = 0; s < SUBSCRIBERS; s++) {
        const tracker = new DeliveryTracker(n);
        trackers.push(tracker);
        const bus = res.track(
          createEventBus({ type: 'redis_pubsub', client: await res.client(`subscriber${s}`), serviceName: `bench-subscriber${s}`, bufferFullPolicy: 'wait' }),
        );
        await bus.subscribe<BusMsg>(CHANNEL, (event) => {
          tracker.record(event.type === BUS_TYPE ? event.data.i : -1);
          if (tracker.delivered === n) finishedAt[s] = now();
        });
        subscribers.push(bus);
      }
      const slowest = () => Math.min(...trackers.map((t) => t.delivered));

      const stop = await startCpuMeter(ctx.admin);
      const start = now();
      for (let from = 0; from < n; from += batch) {
        if (from - slowest() > WINDOW)
          await waitUntil(() => from - slowest() <= WINDOW, ctx.sizes.timeoutMs, `subscribers to come within ${WINDOW} events of the publisher`, 1);
        await publisher.publishBatch(CHANNEL, busBatch(from, Math.min(batch, n - from)));
      }
      const publishedMs = now() - start;
      await waitUntil(
        () => slowest() >= n,
        ctx.sizes.timeoutMs,
        `${n} events at each of ${SUBSCRIBERS} subscribers (saw ${trackers.map((t) => t.delivered).join(', ')})`,
        1,
      );
      const ms = Math.max(...finishedAt) - start;
      const cpu = perEvent(await stop(), n * SUBSCRIBERS);
      await sleep(50); // a late duplicate would show up in the counts below

      trackers.forEach((t, s) => t.verify(n, `${kind} ${CHANNEL} subscriber ${s}`));
      subscribers.forEach((bus, s) => assertCleanStats(`subscriber ${s}`, bus.stats()));
      return {
        metrics: { perSubscriber: (n / ms) * 1000, total: ((n * SUBSCRIBERS) / ms) * 1000 },
        detail: {
          events: n,
          subscribers: SUBSCRIBERS,
          elapsedMs: ms,
          publishRate: (n / publishedMs) * 1000,
          perSubscriberRates: finishedAt.map((t) => (n / (t - start)) * 1000),
          cpuPerEvent: { total: cpu },
        },
      };
    }),
};
