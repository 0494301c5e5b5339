import type { EventBus, EventBusStats } from '../../libs/queue/src/events';
import { createRedisClient, RedisClient } from '../../libs/queue/src/redis/redis-connection';
import { BenchFailure } from '../lib/tracker';
import type { ScenarioContext } from './scenario';

/** Payload of a bench event: its sequence number. */
export interface BusMsg {
  i: number;
}

/** Bench event type and channel (the buses' defaults otherwise). */
export const BUS_TYPE = 'bench.event';

/**
 * The connections and buses a bus scenario opened, closed in reverse order whatever happens
 * (each bus first, then its own client; the bus never closes a shared client).
 */
export class BusResources {
  private readonly clients: RedisClient[] = [];
  private readonly buses: EventBus[] = [];

  constructor(private readonly ctx: ScenarioContext) {}

  /** A client of its own for one bus (library defaults, like a service would create it). */
  async client(name: string): Promise<RedisClient> {
    const client = createRedisClient({ url: this.ctx.url, connectionName: `bench-${name}` });
    this.clients.push(client);
    await client.ping();
    return client;
  }

  track<B extends EventBus>(bus: B): B {
    this.buses.push(bus);
    return bus;
  }

  async close(): Promise<void> {
    for (const bus of this.buses.reverse()) {
      const report = await bus.close({ drainTimeoutMs: 5000 }).catch((error) => {
        this.ctx.log(`  close of a ${bus.type} bus failed: ${(error as Error).message}`);
        return undefined;
      });
      if (report && (report.unsent.length || report.unfinished)) {
        this.ctx.log(`  ${bus.type} bus closed with ${report.unsent.length} unsent and ${report.unfinished} unfinished event(s)`);
      }
    }
    for (const client of this.clients.reverse()) await client.quit().catch(() => client.disconnect());
  }
}

/** Runs `fn` with fresh bus resources and closes them afterwards. */
export async function withBuses<T>(ctx: ScenarioContext, fn: (res: BusResources) => Promise<T>): Promise<T> {
  const res = new BusResources(ctx);
  try {
    return await fn(res);
  } finally {
    await res.close();
  }
}

/** Fails unless a bus dropped nothing, saw no invalid message and no handler error. */
export function assertCleanStats(label: string, stats: EventBusStats): void {
  if (stats.dropped || stats.invalid_events || stats.handler_errors) {
    throw new BenchFailure(`${label}: ${stats.dropped} dropped, ${stats.invalid_events} invalid, ${stats.handler_errors} handler errors`);
  }
}

/** Events i = from..from+count-1 as publishBatch inputs. */
export function busBatch(from: number, count: number): Array<{ type: string; data: BusMsg }> {
  const out: Array<{ type: string; data: BusMsg }> = [];
  for (let i = from; i < from + count; i++) out.push({ type: BUS_TYPE, data: { i } });
  return out;
}

/** µs of CPU per event, Node and redis-server. */
export interface CpuPerEvent {
  nodeUsPerEvent: number;
  redisUsPerEvent: number;
}

export function perEvent(cost: { nodeMs: number; redisMs: number }, events: number): CpuPerEvent {
  return { nodeUsPerEvent: (cost.nodeMs * 1000) / events, redisUsPerEvent: (cost.redisMs * 1000) / events };
}
