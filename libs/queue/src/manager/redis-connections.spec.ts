import { createHook } from 'async_hooks';
import { parseConfig } from '../config';
import type { QueueLogger } from '../logger';
import { RedisServerHandle, spawnRedis } from '../testing';
import { RedisConnections } from './redis-connections';

/** Two command connections to `url`, with a logger that drops the line they log when they open. */
function openOn(url: string): Promise<RedisConnections> {
  const quiet: QueueLogger = { debug: () => undefined, log: () => undefined, warn: () => undefined, error: () => undefined, child: () => quiet };
  return RedisConnections.open(parseConfig({ service_name: 'close-test', redis: { url, pool: { size: 2 } } }, { env: {} }), quiet);
}

/**
 * Runs `work` and returns how many timers it created that are still pending once it resolved
 * (neither fired nor cleared): each would keep the process alive after close() returned, the
 * cause of Jest's "A worker process has failed to exit gracefully" in the apps' e2e suites.
 */
async function timersLeftBy(work: () => Promise<void>): Promise<number> {
  const pending = new Set<number>();
  const hook = createHook({
    init: (id, type) => {
      if (type === 'Timeout') pending.add(id);
    },
    destroy: (id) => pending.delete(id),
  });
  hook.enable();
  try {
    await work();
    // destroy hooks of cleared timers are emitted asynchronously: let them run
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    hook.disable();
  }
  return pending.size;
}

describe('RedisConnections.close', () => {
  let server: RedisServerHandle;
  beforeAll(async () => {
    server = await spawnRedis();
  });
  afterAll(() => server.cleanup());

  it('ends every connection and leaves no timer running when Redis answers', async () => {
    const connections = await openOn(server.url);
    expect(await timersLeftBy(() => connections.close())).toBe(0);
    expect(connections.states().map((s) => s.status)).toEqual(['end', 'end']);
  });
});
