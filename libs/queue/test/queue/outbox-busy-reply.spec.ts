import type { Redis } from 'ioredis';
import { createEventBus, createQueue } from '../../src';
import { RedisServerHandle, spawnRedis, uniquePrefix } from '../../src/testing';
import { captureLogger } from '../support/capture-logger';
import { waitFor } from '../support/wait';

/**
 * A reply that keeps the outboxes' messages without any outage: `BUSY` (another client's script
 * runs past `busy-reply-threshold`). The client stays ready, so no 'ready' event comes to send the
 * outbox; before, a queue's publish outbox then held the message until the next publish or close.
 */
describe('publish outboxes after a BUSY reply (the client stays ready)', () => {
  let server: RedisServerHandle;
  const clients: Redis[] = [];
  beforeAll(async () => {
    server = await spawnRedis({ args: ['--busy-reply-threshold', '100'] });
  });
  afterEach(() => clients.splice(0).forEach((c) => c.disconnect()));
  afterAll(async () => server?.cleanup());

  function client(): Redis {
    const c = server.client();
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  }

  /** Starts a script that never ends (read-only, so SCRIPT KILL ends it); resolves once Redis answers BUSY; returns the kill. */
  async function busy(): Promise<() => Promise<void>> {
    const blocker = client();
    const admin = client();
    await Promise.all([blocker.ping(), admin.ping()]);
    void blocker.eval('local i = 0 while true do i = i + 1 end', 0).catch(() => undefined);
    await waitFor(async () => (await admin.ping().catch((e: Error) => e.message)).startsWith('BUSY'), 'Redis to answer BUSY');
    return async () => void (await admin.call('SCRIPT', 'KILL'));
  }

  test('a queue publish kept in the outbox is sent once the script ends, with no further publish; the failure is logged once', async () => {
    const logger = captureLogger();
    const c = client();
    const queue = createQueue({ name: 'busy', backend: { type: 'redis', client: c, prefix: uniquePrefix('busy') }, outbox: { enabled: true }, logger });
    await queue.publish({ type: 'o', payload: 0 });
    const kill = await busy();
    const id = await queue.publish({ type: 'o', payload: 1 });
    expect(queue.outboxSize).toBe(1);
    await kill();
    await waitFor(() => queue.outboxSize === 0, 'the outbox sent', 15_000);
    expect(c.status).toBe('ready');
    expect((await queue.getStatus(id))?.state).toBe('pending');
    expect((await queue.stats()).total_published).toBe(2);
    expect(logger.matching('outbox flush stopped, will retry shortly: BUSY')).toHaveLength(1);
    expect(logger.matching('outbox flush works again')).toHaveLength(1);
    await queue.close();
  });

  test('a stream bus event kept in the outbox is sent once the script ends; the failure is logged once', async () => {
    const logger = captureLogger();
    const c = client();
    const prefix = uniquePrefix('busyev');
    const bus = createEventBus({ type: 'redis_stream', client: c, prefix, serviceName: 'producer', logger });
    try {
      await bus.publish('ch', 'tick', 0);
      await waitFor(() => bus.stats().total_published === 1, 'the first event written');
      const kill = await busy();
      await bus.publish('ch', 'tick', 1);
      expect(bus.stats().outbox_size).toBe(1);
      await kill();
      await waitFor(() => bus.stats().outbox_size === 0, 'the outbox sent', 15_000);
      expect(await c.xlen(`${prefix}:{ch}:stream`)).toBe(2);
      expect(logger.matching('outbox flush stopped, will retry shortly: BUSY')).toHaveLength(1);
      expect(logger.matching('outbox flush works again')).toHaveLength(1);
    } finally {
      await bus.close({ drainTimeoutMs: 100 });
    }
  });
});
