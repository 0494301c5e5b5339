import type { Cluster, Redis } from 'ioredis';
import { onClientClosed } from './client-closed';
import { currentPick } from './cluster-subscriber-pause';

/**
 * Keeps a subscriber connection honest about a dead path. While it listens it owes Redis no
 * reply, so the socket timeout never runs on it, and a path that died without a reset (a host
 * gone, a hung proxy) would leave it deaf: until TCP keepalive gives up (minutes), or for good
 * when a kernel on the path still answers the probes. Every `everyMs` a ready connection sends a
 * PING (allowed while subscribed); its reply is owed, so such a path is found within `everyMs`
 * plus the socket timeout, and ioredis reconnects and subscribes again. Stops when the
 * connection is closed.
 */
export function pingWhileSubscribed(client: Redis, everyMs: number): void {
  const timer = setInterval(() => {
    if (client.status === 'ready') client.ping().catch(() => undefined);
  }, everyMs);
  timer.unref();
  onClientClosed(client, () => clearInterval(timer));
}

/** The private part of ioredis' Cluster (5.11, 6.0) this relies on besides the classic pick: its sharded subscribers. */
interface ShardedSubscriberInternals {
  /** Sharded pub/sub (ClusterSubscriberGroup): one ShardedSubscriber per master. */
  shardedSubscribers?: { shardedSubscribers?: Map<string, { getInstance?: () => Redis | null }> };
}

/** The subscriber connections of `cluster` open now: the classic one and the sharded ones. */
function clusterSubscriberConnections(cluster: Cluster): Redis[] {
  const found: Redis[] = [];
  const classic = currentPick(cluster);
  if (classic) found.push(classic);
  const sharded = (cluster as unknown as ShardedSubscriberInternals).shardedSubscribers?.shardedSubscribers;
  if (sharded instanceof Map) {
    for (const subscriber of sharded.values()) {
      const connection = typeof subscriber.getInstance === 'function' ? subscriber.getInstance() : null;
      if (connection) found.push(connection);
    }
  }
  return found;
}

/**
 * {@link pingWhileSubscribed} for the subscriber connections of a Cluster client. A Cluster
 * client's own PING goes to whichever node serves it, never to these: ioredis keeps them apart (the
 * classic subscriber on a node of its choice, a sharded subscriber per master), and the classic one
 * is made without the client's `redisOptions`, so without its socket timeout or keepalive. Every
 * `everyMs` each ready one is sent a PING; one that has not answered `everyMs` later is
 * disconnected, and ioredis replaces it (the classic one on a node it picks, a sharded one after
 * re-reading the slot map) and subscribes its channels again. A dead path is so found within about
 * twice `everyMs`. Stops when the client is closed.
 */
export function pingClusterSubscribers(cluster: Cluster, everyMs: number): void {
  const awaited = new WeakSet<Redis>();
  const check = (connection: Redis) => {
    if (connection.status !== 'ready' || awaited.has(connection)) return;
    awaited.add(connection);
    const deadline = setTimeout(() => connection.disconnect(), everyMs);
    deadline.unref();
    connection
      .ping()
      .catch(() => undefined)
      .finally(() => {
        clearTimeout(deadline);
        awaited.delete(connection);
      });
  };
  const timer = setInterval(() => clusterSubscriberConnections(cluster).forEach(check), everyMs);
  timer.unref();
  onClientClosed(cluster, () => clearInterval(timer));
}
