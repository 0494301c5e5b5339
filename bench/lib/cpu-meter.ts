import type Redis from 'ioredis';
import { info } from './redis-info';

export interface CpuCost {
  /** CPU of this Node process (producer, consumer and harness), ms. */
  nodeMs: number;
  /** CPU of redis-server (INFO cpu used_cpu_user + used_cpu_sys), ms. */
  redisMs: number;
}

/**
 * CPU spent by this process and by redis-server between start and stop. Unlike throughput it
 * barely moves when other processes share the cores, so it is the steadier figure to compare.
 */
export async function startCpuMeter(admin: Redis): Promise<() => Promise<CpuCost>> {
  const node0 = process.cpuUsage();
  const redis0 = await redisCpuMs(admin);
  return async () => {
    const node = process.cpuUsage(node0);
    return { nodeMs: (node.user + node.system) / 1000, redisMs: (await redisCpuMs(admin)) - redis0 };
  };
}

/** CPU redis-server has used since it started (INFO cpu used_cpu_user + used_cpu_sys), ms. */
export async function redisCpuMs(admin: Redis): Promise<number> {
  const cpu = await info(admin, 'cpu');
  return (Number(cpu.used_cpu_user) + Number(cpu.used_cpu_sys)) * 1000;
}

/** µs per message, for the detail of a run. */
export function perMessage(cost: CpuCost, messages: number): { nodeUsPerMsg: number; redisUsPerMsg: number } {
  return { nodeUsPerMsg: (cost.nodeMs * 1000) / messages, redisUsPerMsg: (cost.redisMs * 1000) / messages };
}

/** CPU over a window: each process's share of one core, and its µs per message. */
export interface CpuShare {
  node: number;
  redis: number;
  nodeUsPerMsg: number;
  redisUsPerMsg: number;
}

export function cpuShare(cost: CpuCost, messages: number, windowMs: number): CpuShare {
  return { node: cost.nodeMs / windowMs, redis: cost.redisMs / windowMs, ...perMessage(cost, messages) };
}

/** "Node 64% of a core (16.7 µs/msg), redis-server 60% (15.6 µs/msg)". */
export function describeCpuShare(share: CpuShare): string {
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  return `Node ${pct(share.node)} of a core (${share.nodeUsPerMsg.toFixed(1)} µs/msg), redis-server ${pct(share.redis)} (${share.redisUsPerMsg.toFixed(1)} µs/msg)`;
}
