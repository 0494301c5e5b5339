import type Redis from 'ioredis';
import { cpus, totalmem } from 'os';
import { info } from './lib/redis-info';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  redis: string;
  bullmq: string;
  platform: string;
}

export async function machineInfo(admin: Redis): Promise<MachineInfo> {
  const server = await info(admin, 'server');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const bullmq = (require('bullmq/package.json') as { version: string }).version;
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    redis: `${server.redis_version} (${server.mem_allocator ?? 'unknown allocator'})`,
    bullmq,
    platform: `${process.platform} ${process.arch}`,
  };
}
