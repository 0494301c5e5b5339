import type Redis from 'ioredis';

/**
 * Keeps a subscriber connection honest about a dead path. While it listens it owes Redis no
 * reply, so the socket timeout never runs on it, and a path that died without a reset (a host
 * gone, a hung proxy) would leave it deaf: until TCP keepalive gives up (minutes), or for good
 * when a kernel on the path still answers the probes. Every `everyMs` a ready connection sends a
 * PING (allowed while subscribed); its reply is owed, so such a path is found within `everyMs`
 * plus the socket timeout, and ioredis reconnects and subscribes again. Stops when the
 * connection ends.
 */
export function pingWhileSubscribed(client: Redis, everyMs: number): void {
  const timer = setInterval(() => {
    if (client.status === 'ready') client.ping().catch(() => undefined);
  }, everyMs);
  timer.unref();
  client.once('end', () => clearInterval(timer));
}
