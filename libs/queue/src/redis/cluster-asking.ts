import type { Cluster, Redis } from 'ioredis';

/** The node connections already handled (a node is announced once, but a client may be equipped twice). */
const handled = new WeakSet<Redis>();

/**
 * Handles the `ASKING` a Cluster client sends before a command that a slot migration (a reshard)
 * redirected with `-ASK`. ioredis (5.11.1) sends it and drops its promise: when the connection to
 * the slot's new node closes before that node answers, for example because a slot-map refresh
 * drops a node that serves no slot yet, the rejection ("Connection is closed") is unhandled, which
 * ends a Node process by default. Seen in 1 run in 2 to 5 of a queue's slot migrated to a new
 * master under load; the redirected command itself is retried by the client and was not lost.
 * With this, each node connection's `asking()` has a handler; its command keeps its own.
 */
export function handleClusterAsking(cluster: Cluster): Cluster {
  const handle = (node: Redis) => {
    if (handled.has(node) || typeof node.asking !== 'function') return;
    handled.add(node);
    const asking = node.asking;
    node.asking = function (this: Redis, ...args: unknown[]) {
      const sent = (asking as (...a: unknown[]) => Promise<unknown>).apply(this, args);
      sent?.catch?.(() => undefined);
      return sent;
    } as Redis['asking'];
  };
  cluster.nodes('all').forEach(handle);
  cluster.on('+node', handle);
  return cluster;
}
