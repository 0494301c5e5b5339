import { createEventBus, RedisStreamEventBus, StreamKeys } from '../../libs/queue/src/events';
import type { RedisClient } from '../../libs/queue/src/redis/redis-connection';
import { startCpuMeter } from '../lib/cpu-meter';
import { callDelta, commandCalls } from '../lib/redis-info';
import { BenchFailure, DeliveryTracker } from '../lib/tracker';
import { now, sleep, waitUntil } from '../lib/time';
import { assertCleanStats, BUS_TYPE, busBatch, BusMsg, BusResources, perEvent, withBuses } from './bus-common';
import type { Scenario, ScenarioContext } from './scenario';

const CHANNEL = 'bench_stream';
const PREFIX = 'ev';
const SERVICE = 'bench-consumer';
const CONSUMERS = 2;

/**
 * Redis Streams, one consumer group (service `bench-consumer`) with two consumer buses (two
 * processes' worth: own clients, consumer names c0 and c1, defaults bufferSize 1000, workers 4,
 * readCount 100) sharing the work:
 * 1. publish: N events with publishBatch (batches of `batchSize`, one in flight) while no consumer
 *    runs (the group exists, created at the end of the empty stream);
 * 2. consume: the two consumers start and drain that backlog; timed until every event was handled
 *    and the group has nothing pending or undelivered (XINFO GROUPS);
 * 3. end to end: with the consumers running, N more events are published; timed from the first
 *    publish until all are handled and acknowledged.
 * Every event must be handled exactly once across the two consumers, on its first delivery.
 */
export const busStreams: Scenario = {
  id: 'bus-streams',
  title: 'Event bus, Redis Streams, one consumer group of 2 consumers',
  systems: ['ours'],
  metrics: [
    { key: 'publish', label: 'bus streams, publish (no consumer running)', unit: 'events/s', better: 'higher' },
    { key: 'consume', label: 'bus streams, consume a backlog (2 consumers, 1 group)', unit: 'events/s', better: 'higher' },
    { key: 'endToEnd', label: 'bus streams, publish and consume together', unit: 'events/s', better: 'higher' },
  ],
  run: (ctx, kind) =>
    withBuses(ctx, async (res) => {
      const n = ctx.sizes.busEvents;
      const keys = new StreamKeys(PREFIX, CHANNEL);
      const retention = { maxLen: 4 * n }; // no trimming of unread entries; XADD MAXLEN ~ still runs as with the defaults
      const publisher = res.track(
        createEventBus({ type: 'redis_stream', client: await res.client('publisher'), serviceName: 'bench-producer', prefix: PREFIX, retention }),
      );
      await ctx.admin.xgroup('CREATE', keys.stream, SERVICE, '$', 'MKSTREAM');

      const all = new DeliveryTracker(2 * n);
      const mine = Array.from({ length: CONSUMERS }, () => 0);
      let redelivered = 0;

      const commands: Record<string, Record<string, number>> = {};
      let calls = await commandCalls(ctx.admin);
      const countCommands = async (phase: string) => {
        const next = await commandCalls(ctx.admin);
        commands[phase] = perEventCalls(callDelta(calls, next), n);
        calls = next;
      };

      // 1. publish only
      let meter = await startCpuMeter(ctx.admin);
      let start = now();
      await publishRange(publisher, 0, n, ctx.sizes.batchSize);
      const publishMs = now() - start;
      const publishCpu = await meter();
      await countCommands('publish');
      const length = await ctx.admin.xlen(keys.stream);
      if (length !== n) throw new BenchFailure(`${kind} bus-streams: stream holds ${length} entries after publishing ${n}`);
      calls = await commandCalls(ctx.admin);

      // 2. consume the backlog (connections opened before the clock starts)
      const clients = await Promise.all(Array.from({ length: CONSUMERS }, (_, c) => res.client(`consumer${c}`)));
      meter = await startCpuMeter(ctx.admin);
      start = now();
      const consumers = await startConsumers(res, clients, retention, (c, i, deliveries) => {
        all.record(i);
        mine[c]++;
        if (deliveries > 1) redelivered++;
      });
      await drained(ctx, consumers[0], all, n);
      const consumeMs = now() - start;
      const consumeCpu = await meter();
      await countCommands('consume');
      const split1 = [...mine];

      // 3. publish and consume together
      meter = await startCpuMeter(ctx.admin);
      start = now();
      await publishRange(publisher, n, n, ctx.sizes.batchSize);
      const e2ePublishMs = now() - start;
      await drained(ctx, consumers[0], all, 2 * n);
      const e2eMs = now() - start;
      const e2eCpu = await meter();
      await countCommands('endToEnd');

      await sleep(50); // a late redelivery would show up in the counts below
      all.verify(2 * n, `${kind} bus-streams (both consumers)`);
      if (redelivered) throw new BenchFailure(`${kind} bus-streams: ${redelivered} deliveries were redeliveries`);
      [publisher, ...consumers].forEach((bus, b) => assertCleanStats(b === 0 ? 'publisher' : `consumer ${b - 1}`, bus.stats()));
      return {
        metrics: { publish: (n / publishMs) * 1000, consume: (n / consumeMs) * 1000, endToEnd: (n / e2eMs) * 1000 },
        detail: {
          events: n,
          consumers: CONSUMERS,
          publishMs,
          consumeMs,
          endToEndMs: e2eMs,
          endToEndPublishRate: (n / e2ePublishMs) * 1000,
          handledPerConsumer: { backlog: split1, endToEnd: mine.map((m, c) => m - split1[c]) },
          cpuPerEvent: { publish: perEvent(publishCpu, n), consume: perEvent(consumeCpu, n), endToEnd: perEvent(e2eCpu, n) },
          commandsPerEvent: commands,
        },
      };
    }),
};

/** Redis commands per event (INFO commandstats, commands inside scripts included), the bench's own INFO/XINFO/XLEN left out. */
function perEventCalls(delta: Record<string, number>, events: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [cmd, calls] of Object.entries(delta)) {
    if (cmd === 'info' || cmd.startsWith('xinfo') || cmd === 'xlen') continue;
    out[cmd] = Math.round((calls / events) * 1000) / 1000;
  }
  return out;
}

async function publishRange(bus: RedisStreamEventBus, from: number, count: number, batch: number): Promise<void> {
  for (let i = from; i < from + count; i += batch) await bus.publishBatch(CHANNEL, busBatch(i, Math.min(batch, from + count - i)));
}

async function startConsumers(
  res: BusResources,
  clients: RedisClient[],
  retention: { maxLen: number },
  onEvent: (consumer: number, i: number, deliveries: number) => void,
): Promise<RedisStreamEventBus[]> {
  const buses: RedisStreamEventBus[] = [];
  for (const [c, client] of clients.entries()) {
    const bus = res.track(
      createEventBus({
        type: 'redis_stream',
        client,
        serviceName: SERVICE,
        consumerName: `c${c}`,
        prefix: PREFIX,
        retention,
      }),
    );
    await bus.subscribe<BusMsg>(CHANNEL, (event, context) => onEvent(c, event.type === BUS_TYPE ? event.data.i : -1, context.deliveryCount));
    buses.push(bus);
  }
  return buses;
}

/** Waits until `expected` handler starts were seen and the group has nothing pending or undelivered. */
async function drained(ctx: ScenarioContext, bus: RedisStreamEventBus, tracker: DeliveryTracker, expected: number): Promise<void> {
  await waitUntil(() => tracker.delivered >= expected, ctx.sizes.timeoutMs, `${expected} events handled (saw ${tracker.delivered})`, 1);
  await waitUntil(
    async () => {
      const group = (await bus.lag([CHANNEL])).find((g) => g.group === SERVICE);
      return !!group && group.pending === 0 && group.lag === 0;
    },
    ctx.sizes.timeoutMs,
    `group ${SERVICE} to have nothing pending or undelivered`,
    2,
  );
}
