import type { Cluster } from 'ioredis';

/** The private parts of ioredis' ClusterSubscriberGroup (5.11, 6.0) this relies on. */
interface SubscriberGroupInternals {
  stop?: () => void;
  reset?: (...args: unknown[]) => Promise<void>;
  /** True while a `reset` runs; a `reset` called meanwhile is only remembered as the pending one. */
  isResetting?: boolean;
}

/**
 * Keeps a Cluster client's sharded subscribers (`shardedSubscribers: true`, SSUBSCRIBE) from
 * freezing for good after an outage.
 *
 * ioredis replaces its per-master subscriber connections in `ClusterSubscriberGroup.reset`, which
 * awaits the new connections' `connect()` and marks itself busy meanwhile (`isResetting`): a reset
 * asked for while one runs is kept as the pending one and run after it. When the client
 * disconnects to reconnect (its slot map could not be read from any node: every node refusing a
 * rotated password, or unreachable), `stop()` disconnects those connections and removes all their
 * listeners, the ones their `connect()` promise waits on included. A reset awaiting such a
 * connection then never ends, its `finally` never clears `isResetting`, and every later reset (the
 * reconnect's, the slot refreshes') is only stored as pending: no sharded subscriber connects again,
 * and the bus receives nothing, with nothing logged (ioredis 5.11.1 and 6.0.0; seen as a subscription
 * silent for good after a password was rotated and restored, `PUBSUB SHARDNUMSUB` 0 on every node).
 *
 * With this, `stop()` also ends the group's busy state (the reset it cut short has nothing left to
 * do: the connections it waited for are gone), so the next reset connects subscribers for the
 * masters again and SSUBSCRIBEs the channels the group still holds. A client without these
 * (private) parts, or without sharded subscribers, is left as it is.
 */
export function releaseShardedResetOnStop(cluster: Cluster): Cluster {
  const group = (cluster as unknown as { shardedSubscribers?: SubscriberGroupInternals }).shardedSubscribers;
  const stop = group?.stop;
  if (!group || typeof stop !== 'function' || typeof group.reset !== 'function' || typeof group.isResetting !== 'boolean') return cluster;
  // ioredis calls it through `this` (Cluster.disconnect and quit), so this replaces it for good
  group.stop = () => {
    stop.call(group);
    group.isResetting = false;
  };
  return cluster;
}
