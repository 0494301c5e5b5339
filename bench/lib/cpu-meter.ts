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
  const redisCpu = async () => {
    const cpu = await info(admin, 'cpu');
    return (Number(cpu.used_cpu_user) + Number(cpu.used_cpu_sys)) * 1000;
  };
  const node0 = process.cpuUsage();
  const redis0 = await redisCpu();
  return async () => {
    const node = process.cpuUsage(node0);
    return { nodeMs: (node.user + node.system) / 1000, redisMs: (await redisCpu()) - redis0 };
  };
}

/** µs per message, for the detail of a run. */
export function perMessage(cost: CpuCost, messages: number): { nodeUsPerMsg: number; redisUsPerMsg: number } {
  return { nodeUsPerMsg: (cost.nodeMs * 1000) / messages, redisUsPerMsg: (cost.redisMs * 1000) / messages };
}
