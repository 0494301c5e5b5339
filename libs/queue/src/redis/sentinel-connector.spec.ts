import { createHook } from 'async_hooks';
import { freePort, waitFor } from '../testing';
import type { RedisOutageLogger } from './outage-log';
import { createRedisClient } from './redis-connection';

const quiet: RedisOutageLogger = { log: () => undefined, warn: () => undefined };

/** The timers created until `freeze()` that have neither fired nor been cleared yet. */
function pendingTimers(): { ids: Set<number>; freeze(): void; stop(): void } {
  const ids = new Set<number>();
  let frozen = false;
  const hook = createHook({
    init: (id, type) => {
      if (type === 'Timeout' && !frozen) ids.add(id);
    },
    destroy: (id) => ids.delete(id),
  });
  hook.enable();
  return { ids, freeze: () => (frozen = true), stop: () => hook.disable() };
}

describe('a client through Sentinels', () => {
  it('leaves no timer pending much past its disconnectTimeout (200 ms) when the Sentinel refused it', async () => {
    // ioredis opens a short-lived client per Sentinel to ask for the master; it disconnects it with a
    // fallback timer that only the socket's 'close' clears. A refused socket has closed already, so
    // the timer runs out: 2 s with ioredis' default, which kept Jest workers (and CLIs) alive.
    const port = await freePort(); // nothing listens there
    const timers = pendingTimers();
    const client = createRedisClient({ sentinels: [{ host: '127.0.0.1', port }], sentinelName: 'nowhere', logger: quiet });
    try {
      let rounds = 0;
      client.on('error', (error: Error) => void (/All sentinels are unreachable/.test(error.message) && rounds++));
      await waitFor(() => rounds >= 2, 'two rounds of asking the Sentinel');
      client.disconnect();
      timers.freeze();
      await waitFor(() => timers.ids.size === 0, 'every timer the client armed to fire or be cleared', 1500);
    } finally {
      client.disconnect();
      timers.stop();
    }
  });
});
