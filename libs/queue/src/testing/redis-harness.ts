import Redis, { Cluster } from 'ioredis';
import { RedisUnavailableError } from '../errors';
import { findRedisServerBinary, RedisServerOptions, RedisServerProcess } from '../redis/redis-server-process';

/**
 * Redis for tests. Picks, in order: REDIS_URL (shared server, tests isolate by key prefix), a local
 * `redis-server` binary (throwaway processes), testcontainers where a Docker engine answers; else
 * fails with a message saying how to get Redis.
 */

/** A Redis server a test can kill and restart (a local process or a container). */
export interface RedisServerHandle {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  kill(): Promise<void>;
  stop(): Promise<void>;
  restart(): Promise<void>;
  cleanup(): Promise<void>;
  client(): Redis;
}

const HOW_TO_GET_REDIS =
  'No Redis for the tests: set REDIS_URL=redis://host:port, or install redis-server (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis), or run a Docker engine for testcontainers.';

/**
 * Starts a throwaway server the test owns (kill, restart, AOF...). Needs a local `redis-server`
 * or a Docker engine; REDIS_URL alone is not enough for these tests.
 */
export async function spawnRedis(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const binary = findRedisServerBinary();
  if (binary) return RedisServerProcess.start(binary, options);
  const container = await startContainer(options);
  if (container) return container;
  throw new RedisUnavailableError(HOW_TO_GET_REDIS);
}

/** A Redis for tests that only need commands: REDIS_URL when set, else a spawned server. */
export async function testRedis(): Promise<{ url: string; client(): Redis; cleanup(): Promise<void> }> {
  const url = process.env.REDIS_URL;
  if (url) return { url, client: () => new Redis(url, { maxRetriesPerRequest: null }), cleanup: async () => undefined };
  const server = await spawnRedis();
  return { url: server.url, client: () => server.client(), cleanup: () => server.cleanup() };
}

let prefixCounter = 0;
/** A key prefix no other test uses (isolation on a shared server). */
export function uniquePrefix(label = 't'): string {
  return `test:${label}:${process.pid}:${Date.now().toString(36)}:${++prefixCounter}`;
}

/** A Redis Cluster of `masters` throwaway processes (no replicas), slots split evenly. */
export interface TestRedisCluster {
  nodes: RedisServerProcess[];
  client(): Cluster;
  cleanup(): Promise<void>;
}

/**
 * Starts the cluster. With `tls` every node listens with TLS only (`tls-cluster yes`: the cluster
 * bus too); `client()` then presents the harness's CA and client certificate.
 */
export async function spawnRedisCluster(masters = 3, options: Pick<RedisServerOptions, 'tls'> = {}): Promise<TestRedisCluster> {
  const binary = findRedisServerBinary();
  if (!binary) throw new RedisUnavailableError(`Redis Cluster tests need a local redis-server. ${HOW_TO_GET_REDIS}`);
  const tlsArgs = options.tls ? ['--tls-cluster', 'yes', '--tls-replication', 'yes'] : [];
  const nodes = await Promise.all(
    Array.from({ length: masters }, () =>
      RedisServerProcess.start(binary, {
        tls: options.tls,
        args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000', ...tlsArgs],
      }),
    ),
  );
  const admins = nodes.map((n) => n.client());
  try {
    const per = Math.floor(16384 / masters);
    await Promise.all(admins.map((admin, i) => admin.call('CLUSTER', 'ADDSLOTSRANGE', String(i * per), String(i === masters - 1 ? 16383 : (i + 1) * per - 1))));
    for (const node of nodes.slice(1)) await admins[0].call('CLUSTER', 'MEET', node.host, String(node.port));
    const deadline = Date.now() + 20_000;
    for (;;) {
      const infos = await Promise.all(admins.map((a) => a.call('CLUSTER', 'INFO') as Promise<string>));
      if (infos.every((info) => info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${masters}`))) break;
      if (Date.now() > deadline) throw new Error('Redis Cluster did not reach cluster_state:ok within 20 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    admins.forEach((a) => a.disconnect());
  }
  return {
    nodes,
    client: () =>
      new Redis.Cluster(
        nodes.map((n) => ({ host: n.host, port: n.port })),
        { redisOptions: { maxRetriesPerRequest: null, disconnectTimeout: 50, ...(options.tls ? { tls: nodes[0].tlsClientOptions() } : {}) } },
      ),
    cleanup: async () => {
      await Promise.all(nodes.map((n) => n.cleanup()));
    },
  };
}

/** testcontainers, only where a Docker engine answers. Null otherwise. */
async function startContainer(options: RedisServerOptions): Promise<RedisServerHandle | null> {
  let runtime: unknown;
  try {
    const tc = await import('testcontainers');
    runtime = await tc.getContainerRuntimeClient();
  } catch {
    return null;
  }
  if (!runtime) return null;
  const { RedisContainer } = await import('@testcontainers/redis');
  let container = new RedisContainer('redis:7.0');
  if (options.password) container = container.withPassword(options.password);
  const command = ['redis-server', '--appendonly', options.aof ? 'yes' : 'no', '--appendfsync', 'always', '--save', '', ...(options.args ?? [])];
  if (options.password) command.push('--requirepass', options.password);
  const started = await container.withCommand(command).start();
  const handle: RedisServerHandle = {
    host: started.getHost(),
    port: started.getPort(),
    url: started.getConnectionUrl(),
    kill: async () => void (await started.stop({ timeout: 0, remove: false })),
    stop: async () => void (await started.stop({ timeout: 10_000, remove: false })),
    restart: async () => void (await started.restart()),
    cleanup: async () => void (await started.stop()),
    client: () => new Redis(started.getConnectionUrl(), { maxRetriesPerRequest: null }),
  };
  return handle;
}
