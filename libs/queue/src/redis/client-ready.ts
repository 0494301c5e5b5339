import type { RedisClient } from './redis-connection';

/** The callbacks of each client, behind the one 'ready' listener {@link onClientReady} puts on it. */
const callbacks = new WeakMap<RedisClient, Set<() => void>>();

/**
 * Calls `fn` at every 'ready' of `client` (each reconnection), through one listener per client
 * however many queues, outboxes and fetchers share it (one listener each went past Node's
 * 10-listener warning with a dozen queues on a client). Returns what removes `fn`.
 */
export function onClientReady(client: RedisClient, fn: () => void): () => void {
  let set = callbacks.get(client);
  if (!set) {
    const created = new Set<() => void>();
    set = created;
    callbacks.set(client, created);
    client.on('ready', () => {
      for (const callback of [...created]) callback();
    });
  }
  const own = set;
  own.add(fn);
  return () => void own.delete(fn);
}
