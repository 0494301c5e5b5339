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
  /** Kills it (SIGKILL; a container: stopped at once): no shutdown, nothing written beyond what the fsync policy already wrote. */
  kill(): Promise<void>;
  /** A clean shutdown (SIGTERM). */
  stop(): Promise<void>;
  /**
   * Starts it again on the same port and data directory; resolves once it answers. Rejects when it
   * cannot start; a local process also when another server took its port meanwhile (that server is
   * never taken for this one).
   */
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

/** A Redis Cluster of throwaway processes: `nodes[i]` serves the i-th slot range, `replicas[i]` copy it. */
export interface TestRedisCluster {
  nodes: RedisServerProcess[];
  /** The replicas, `replicasPerMaster` per master in order (empty by default). */
  replicas: RedisServerProcess[];
  client(): Cluster;
  /** The master that served `slot` when the cluster was made (slots split evenly in node order; a reshard since is not seen). */
  initialMasterOf(slot: number): RedisServerProcess;
  /** Starts one more master, joins it to the cluster with no slot (where a reshard moves slots to) and waits until it sees the cluster ok; cleanup() stops it too. */
  addMaster(): Promise<RedisServerProcess>;
  cleanup(): Promise<void>;
}

/** Options of {@link spawnRedisCluster}. */
export interface RedisClusterOptions {
  /** Replicas of each master (default 0); a master killed with replicas fails over to one of them. */
  replicasPerMaster?: number;
  /** `cluster-node-timeout` in ms (default 2000): how long a master may be silent before it is failed over. */
  nodeTimeoutMs?: number;
  /**
   * `cluster-require-full-coverage` (default true, as in Redis): with true every node refuses
   * commands (CLUSTERDOWN) while any slot has no master, so a failover stalls the whole cluster
   * briefly; false keeps the other masters serving.
   */
  requireFullCoverage?: boolean;
  /**
   * TLS only on every node (`tls-cluster yes`: the cluster bus and replication too); `client()` then
   * presents the harness's CA and client certificate.
   */
  tls?: RedisServerOptions['tls'];
}

/**
 * A Redis Cluster of `masters` throwaway processes, slots split evenly, optionally with replicas.
 * Resolves once every node reports `cluster_state:ok` and every replica is in sync.
 */
export async function spawnRedisCluster(masters = 3, options: RedisClusterOptions = {}): Promise<TestRedisCluster> {
  const binary = findRedisServerBinary();
  if (!binary) throw new RedisUnavailableError(`Redis Cluster tests need a local redis-server. ${HOW_TO_GET_REDIS}`);
  const perMaster = options.replicasPerMaster ?? 0;
  const args = ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 2000)];
  // A replica may always take over (no data-age limit): tests kill masters under load.
  if (perMaster > 0) args.push('--cluster-replica-validity-factor', '0');
  if (options.requireFullCoverage === false) args.push('--cluster-require-full-coverage', 'no');
  if (options.tls) args.push('--tls-cluster', 'yes', '--tls-replication', 'yes');
  const started: RedisServerProcess[] = [];
  const start = () => RedisServerProcess.start(binary, { args, tls: options.tls }).then((node) => (started.push(node), node));
  const admins: Redis[] = [];
  /** Slots per master: master i serves [i * per, (i + 1) * per - 1], the last one up to 16383. */
  const per = Math.floor(16384 / masters);
  let nodes: RedisServerProcess[] = [];
  let replicas: RedisServerProcess[] = [];
  try {
    nodes = await Promise.all(Array.from({ length: masters }, start));
    replicas = await Promise.all(Array.from({ length: masters * perMaster }, start));
    const all = [...nodes, ...replicas];
    admins.push(...all.map((n) => n.client()));
    await Promise.all(
      admins
        .slice(0, masters)
        .map((admin, i) => admin.call('CLUSTER', 'ADDSLOTSRANGE', String(i * per), String(i === masters - 1 ? 16383 : (i + 1) * per - 1))),
    );
    for (const node of all.slice(1)) await admins[0].call('CLUSTER', 'MEET', node.host, String(node.port));
    await untilEveryNodeKnowsEveryOther(admins);
    const masterIds = await Promise.all(admins.slice(0, masters).map((a) => a.call('CLUSTER', 'MYID') as Promise<string>));
    await Promise.all(admins.slice(masters).map((a, i) => a.call('CLUSTER', 'REPLICATE', masterIds[Math.floor(i / perMaster)])));
    await untilCluster(admins, (infos) => infos.every((info) => info.includes('cluster_state:ok')), 'reach cluster_state:ok');
    const replication = () => Promise.all(admins.slice(masters).map((a) => a.info('replication')));
    await untilCluster(admins, async () => (await replication()).every((info) => info.includes('master_link_status:up')), 'sync its replicas');
  } catch (error) {
    await Promise.all(started.map((n) => n.cleanup()));
    throw error;
  } finally {
    admins.forEach((a) => a.disconnect());
  }
  return {
    nodes,
    replicas,
    client: () =>
      new Redis.Cluster(
        nodes.map((n) => ({ host: n.host, port: n.port })),
        { redisOptions: { maxRetriesPerRequest: null, disconnectTimeout: 50, ...(options.tls ? { tls: nodes[0].tlsClientOptions() } : {}) } },
      ),
    initialMasterOf: (slot) => nodes[Math.min(masters - 1, Math.floor(slot / per))],
    addMaster: async () => {
      const node = await start();
      const everyone = started.map((n) => n.client());
      try {
        await everyone[0].call('CLUSTER', 'MEET', node.host, String(node.port));
        // every node by its id (a SETSLOT naming it is refused until then), not only a handshake
        await untilEveryNodeKnowsEveryOther(everyone);
        await untilCluster(everyone.slice(-1), (infos) => infos[0].includes('cluster_state:ok'), 'take in the new master');
      } finally {
        everyone.forEach((a) => a.disconnect());
      }
      return node;
    },
    cleanup: async () => {
      await Promise.all(started.map((n) => n.cleanup()));
    },
  };
}

/**
 * Polls until every node lists every other one by its id, past the handshake: `cluster_known_nodes`
 * counts a node still in handshake under a made-up id, and a command naming the real one (CLUSTER
 * REPLICATE, SETSLOT) is refused with "I don't know about node" until gossip brings it.
 */
async function untilEveryNodeKnowsEveryOther(admins: Redis[]): Promise<void> {
  const ids = await Promise.all(admins.map((a) => a.call('CLUSTER', 'MYID') as Promise<string>));
  const knowsAll = (table: string) => {
    const known = new Set(
      table
        .split('\n')
        .map((line) => line.split(' '))
        .filter((fields) => fields.length > 2 && !fields[2].includes('handshake'))
        .map((fields) => fields[0]),
    );
    return ids.every((id) => known.has(id));
  };
  await untilCluster(
    admins,
    async () => (await Promise.all(admins.map((a) => a.call('CLUSTER', 'NODES') as Promise<string>))).every(knowsAll),
    'know every node by its id',
  );
}

/** Polls CLUSTER INFO of every node until `done` says so (20 s at most). */
async function untilCluster(admins: Redis[], done: (infos: string[]) => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const infos = await Promise.all(admins.map((a) => a.call('CLUSTER', 'INFO') as Promise<string>));
    if (await done(infos)) return;
    if (Date.now() > deadline) throw new Error(`Redis Cluster did not ${what} within 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
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
