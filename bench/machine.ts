import type Redis from 'ioredis';
import { execFileSync } from 'child_process';
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
  /** Commit of the working tree, and whether libs/queue/src had uncommitted changes. */
  commit: string;
}

export async function machineInfo(admin: Redis): Promise<MachineInfo> {
  const server = await info(admin, 'server');
  const memory = await info(admin, 'memory');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const bullmq = (require('bullmq/package.json') as { version: string }).version;
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    redis: `${server.redis_version} (${memory.mem_allocator ?? 'unknown allocator'})`,
    bullmq,
    platform: `${process.platform} ${process.arch}`,
    commit: gitCommit(),
  };
}

function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'libs/queue/src'], { encoding: 'utf8' }).trim();
    return dirty ? `${head} (libs/queue/src with uncommitted changes)` : head;
  } catch {
    return 'unknown';
  }
}
