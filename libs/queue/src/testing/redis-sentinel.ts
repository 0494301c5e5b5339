import Redis from 'ioredis';
import { RedisUnavailableError } from '../errors';
import { findRedisServerBinary, freePort, RedisServerProcess } from '../redis/redis-server-process';

/** A master, its replicas and the sentinels watching them: throwaway processes a test can kill. */
export interface TestRedisSentinel {
  /** The master group name the sentinels monitor (config `redis.sentinel_name`). */
  readonly name: string;
  /** The first master; after a failover ask {@link currentMaster}. */
  readonly master: RedisServerProcess;
  readonly replicas: RedisServerProcess[];
  readonly sentinels: RedisServerProcess[];
  /** `[{ host, port }]` of the sentinels (config `redis.sentinels`). */
  readonly sentinelNodes: Array<{ host: string; port: number }>;
  /** The data node the sentinels name as master now (null while none answers). */
  currentMaster(): Promise<RedisServerProcess | null>;
  cleanup(): Promise<void>;
}

/** Options of {@link spawnRedisSentinel}. */
export interface RedisSentinelOptions {
  /** Replicas of the master (default 2). */
  replicas?: number;
  /** Sentinels (default 3); the quorum is a majority of them. */
  sentinels?: number;
  /** `down-after-milliseconds` (default 1000): silence before the master is considered down. */
  downAfterMs?: number;
  /** Master group name (default `mymaster`). */
  name?: string;
  /** AOF on every data node (default false). */
  aof?: boolean;
}

/**
 * Starts a master, its replicas and sentinels on loopback. Resolves once the replicas are in sync
 * and every sentinel knows every replica and the other sentinels (so a failover can start at once).
 */
export async function spawnRedisSentinel(options: RedisSentinelOptions = {}): Promise<TestRedisSentinel> {
  const binary = findRedisServerBinary();
  if (!binary)
    throw new RedisUnavailableError('Sentinel tests need a local redis-server (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis).');
  const name = options.name ?? 'mymaster';
  const replicaCount = options.replicas ?? 2;
  const sentinelCount = options.sentinels ?? 3;
  const quorum = Math.floor(sentinelCount / 2) + 1;
  const started: RedisServerProcess[] = [];
  const admins: Redis[] = [];
  const track = (p: Promise<RedisServerProcess>) => p.then((server) => (started.push(server), server));
  try {
    const master = await track(RedisServerProcess.start(binary, { aof: options.aof }));
    const replicas = await Promise.all(
      Array.from({ length: replicaCount }, () =>
        track(RedisServerProcess.start(binary, { aof: options.aof, args: ['--replicaof', master.host, String(master.port)] })),
      ),
    );
    const sentinels = await Promise.all(
      Array.from({ length: sentinelCount }, async () => {
        const port = await freePort();
        const config = [
          `port ${port}`,
          'bind 127.0.0.1',
          `sentinel monitor ${name} ${master.host} ${master.port} ${quorum}`,
          `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1000}`,
          `sentinel failover-timeout ${name} 10000`,
          `sentinel parallel-syncs ${name} ${replicaCount}`,
          '',
        ].join('\n');
        return track(RedisServerProcess.start(binary, { port, config, args: ['--sentinel'] }));
      }),
    );
    admins.push(...[...replicas, ...sentinels].map((n) => n.client()));
    await until(async () => {
      const links = await Promise.all(admins.slice(0, replicaCount).map((a) => a.info('replication')));
      if (!links.every((info) => info.includes('master_link_status:up'))) return false;
      const views = await Promise.all(admins.slice(replicaCount).map((a) => a.call('SENTINEL', 'MASTER', name) as Promise<string[]>));
      return views.every((flat) => {
        const field = (key: string) => Number(flat[flat.indexOf(key) + 1]);
        return field('num-slaves') === replicaCount && field('num-other-sentinels') === sentinelCount - 1;
      });
    }, 'Sentinel set-up: replicas in sync and every sentinel knowing the others');
    const sentinelNodes = sentinels.map((s) => ({ host: s.host, port: s.port }));
    const dataNodes = [master, ...replicas];
    return {
      name,
      master,
      replicas,
      sentinels,
      sentinelNodes,
      currentMaster: async () => {
        for (const sentinel of sentinels.filter((s) => s.running)) {
          const probe = sentinel.client();
          try {
            const [, port] = (await probe.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as [string, string];
            return dataNodes.find((n) => n.port === Number(port)) ?? null;
          } catch {
            // ask the next sentinel
          } finally {
            probe.disconnect();
          }
        }
        return null;
      },
      cleanup: async () => {
        await Promise.all(started.map((n) => n.cleanup()));
      },
    };
  } catch (error) {
    await Promise.all(started.map((n) => n.cleanup()));
    throw error;
  } finally {
    admins.forEach((a) => a.disconnect());
  }
}

async function until(done: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (await done().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
