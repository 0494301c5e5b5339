import { createQueue, OutboxFullError } from '../../src';
import { RedisServerHandle, spawnRedis, uniquePrefix } from '../../src/testing';
import { waitFor } from '../support/wait';

describe('queue publish outbox (backup producer)', () => {
  let server: RedisServerHandle;
  beforeAll(async () => {
    server = await spawnRedis({ aof: true });
  });
  afterAll(async () => server?.cleanup());

  test('publishes made while Redis is down are kept and delivered in order when it is back', async () => {
    const client = server.client();
    client.on('error', () => undefined);
    const queue = createQueue({ name: 'ob', backend: { type: 'redis', client, prefix: uniquePrefix('ob') }, outbox: { enabled: true }, prefetch: 1 });
    const before = await queue.publish({ type: 'o', payload: -1 });
    await server.stop();
    await waitFor(() => client.status !== 'ready', 'client to notice');
    const ids: string[] = [];
    for (let i = 0; i < 1000; i++) ids.push(await queue.publish({ type: 'o', payload: i }));
    expect(queue.outboxSize).toBe(1000);
    expect(new Set(ids).size).toBe(1000);
    await server.restart();
    const seen: number[] = [];
    queue.process<number>('o', (m) => void seen.push(m.payload), { concurrency: 1 });
    // one at a time after a reconnect: seconds when quiet, far longer beside other suites on a busy machine (20 s ran out once)
    await waitFor(() => seen.length === 1001, 'all 1,001 processed', 90_000);
    expect(seen).toEqual([-1, ...Array.from({ length: 1000 }, (_, i) => i)]);
    expect(queue.outboxSize).toBe(0);
    expect((await queue.getStatus(ids[500]))!.state).toBe('completed');
    expect((await queue.stats()).total_published).toBe(1001);
    expect(ids.includes(before)).toBe(false);
    await queue.close();
    client.disconnect();
  }, 120_000);

  test('one publishBatch of 200,000 made while Redis is down waits in the outbox whole and is stored when it is back', async () => {
    const client = server.client();
    client.on('error', () => undefined);
    const N = 200_000;
    const queue = createQueue({ name: 'obb', backend: { type: 'redis', client, prefix: uniquePrefix('obb') }, outbox: { enabled: true, maxSize: N } });
    await waitFor(() => client.status === 'ready', 'client ready');
    await server.stop();
    await waitFor(() => client.status !== 'ready', 'client to notice');
    const ids = await queue.publishBatch(Array.from({ length: N }, (_, i) => ({ type: 'o', payload: i })));
    expect(ids).toHaveLength(N);
    expect(queue.outboxSize).toBe(N);
    await server.restart();
    await waitFor(() => queue.outboxSize === 0, 'flush', 60_000);
    const stats = await queue.stats();
    expect(stats.queue_length.normal).toBe(N);
    expect(stats.total_published).toBe(N);
    await queue.close();
    client.disconnect();
  }, 90_000);

  test('large messages kept in the outbox are sent in script calls under the batch limit, all of them', async () => {
    // 110 messages of 5 MB: 550 M characters in the outbox, over what one ioredis command string
    // can hold (V8 strings end at 2^29 - 24); sent as one flush batch, the flush failed for ever
    // and everything published after stayed in the outbox. A server of its own, without AOF: the
    // others' restarts need not load 550 MB.
    const own = await spawnRedis();
    const client = own.client();
    client.on('error', () => undefined);
    const N = 110;
    const payload = 'x'.repeat(5_000_000);
    const queue = createQueue({
      name: 'obl',
      backend: { type: 'redis', client, prefix: uniquePrefix('obl') },
      outbox: { enabled: true },
      maxPayloadBytes: 6 * 1024 * 1024,
    });
    await waitFor(() => client.status === 'ready', 'client ready');
    await own.stop();
    await waitFor(() => client.status !== 'ready', 'client to notice');
    for (let i = 0; i < N; i++) await queue.publish({ type: 'o', payload });
    expect(queue.outboxSize).toBe(N);
    await own.restart();
    await waitFor(() => queue.outboxSize === 0, 'flush', 60_000);
    await queue.publish({ type: 'o', payload: 'after' });
    const stats = await queue.stats();
    expect(stats.queue_length.normal).toBe(N + 1);
    expect(stats.total_published).toBe(N + 1);
    await queue.close();
    client.disconnect();
    await own.cleanup();
  }, 90_000);

  test("a dozen queues with outboxes on one client put one 'ready' listener on it between them", async () => {
    // one each went past Node's 10-listener warning (MaxListenersExceededWarning) at 11 queues
    const client = server.client();
    client.on('error', () => undefined);
    const before = client.listenerCount('ready');
    const queues = Array.from({ length: 12 }, (_, i) =>
      createQueue({ name: `many${i}`, backend: { type: 'redis', client, prefix: uniquePrefix('many') }, outbox: { enabled: true } }),
    );
    expect(client.listenerCount('ready') - before).toBeLessThanOrEqual(1);
    await Promise.all(queues.map((q) => q.close()));
    client.disconnect();
  });

  test('a full outbox rejects with OutboxFullError and accepts nothing of the call', async () => {
    const client = server.client();
    client.on('error', () => undefined);
    const queue = createQueue({ name: 'obf', backend: { type: 'redis', client, prefix: uniquePrefix('obf') }, outbox: { enabled: true, maxSize: 10 } });
    // a client that never was ready would hold the publishes in ioredis's offline queue, not fail them
    await waitFor(() => client.status === 'ready', 'client ready');
    await server.stop();
    await waitFor(() => client.status !== 'ready', 'client to notice');
    for (let i = 0; i < 8; i++) await queue.publish({ type: 'o', payload: i });
    const error = await queue.publishBatch([{ type: 'o' }, { type: 'o' }, { type: 'o' }]).catch((e) => e);
    expect(error).toBeInstanceOf(OutboxFullError);
    expect(error.message).toContain('10 items, the outbox size limit');
    expect(queue.outboxSize).toBe(8);
    // a batch of more items than a call can take as spread arguments: the same typed refusal
    const big = await queue.publishBatch(Array.from({ length: 200_000 }, () => ({ type: 'o' }))).catch((e) => e);
    expect(big).toBeInstanceOf(OutboxFullError);
    expect(queue.outboxSize).toBe(8);
    await server.restart();
    await waitFor(() => queue.outboxSize === 0, 'flush');
    expect((await queue.stats()).queue_length.normal).toBe(8);
    await queue.close();
    client.disconnect();
  });
});
