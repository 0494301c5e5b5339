import type { Cluster, Redis } from 'ioredis';

/**
 * Calls `fn` once, when `client` is closed for good: at its 'end', or when it is disconnected not to
 * reconnect (`disconnect()`). ioredis emits no 'end' for a client disconnected while it waits to
 * reconnect (its server, or every Sentinel, unreachable), so what lives as long as the client (a
 * timer, a shared subscriber) would outlive it.
 */
export function onClientClosed(client: Redis | Cluster, fn: () => void): void {
  let called = false;
  const once = () => {
    if (called) return;
    called = true;
    fn();
  };
  client.once('end', once);
  const disconnect = client.disconnect.bind(client);
  client.disconnect = (reconnect = false) => {
    if (!reconnect) once();
    disconnect(reconnect);
  };
}
