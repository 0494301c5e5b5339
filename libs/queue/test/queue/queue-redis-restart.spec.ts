import { createQueue } from '../../src';
import { QueueKeys } from '../../src/queue/redis/queue-keys';
import { RedisServerHandle, spawnRedis, uniquePrefix } from '../../src/testing';
import { sleep, waitFor } from '../support/wait';

describe('Redis restart with AOF', () => {
  let server: RedisServerHandle;
  beforeAll(async () => {
    server = await spawnRedis({ aof: true });
  });
  afterAll(async () => server?.cleanup());

  test('no acknowledged publish is lost when Redis is killed and restarted; workers resume by themselves', async () => {
    const client = server.client();
    client.on('error', () => undefined);
    const queue = createQueue({ name: 'restart', backend: { type: 'redis', client, prefix: uniquePrefix('aof') }, idleBlockMs: 200 });
    const seen = new Set<number>();
    let gate = false;
    queue.process<number>(
      'r',
      async (m) => {
        while (!gate) await sleep(20);
        seen.add(m.payload);
      },
      { concurrency: 5 },
    );
    const N = 1000;
    for (let i = 0; i < N; i += 250) {
      await queue.publishBatch(Array.from({ length: 250 }, (_, j) => ({ type: 'r', payload: i + j })));
    }
    await server.kill();
    await sleep(300);
    await server.restart();
    gate = true;
    await waitFor(() => seen.size === N, 'all 1,000 after the restart', 30_000, 50);
    await waitFor(async () => (await queue.stats()).processing_count === 0, 'nothing in flight', 10_000, 50);
    const stats = await queue.stats();
    expect(stats.total_published).toBe(N);
    expect(stats.queue_length.normal).toBe(0);
    await queue.close();
    client.disconnect();
  });

  test('publishes re-sent after a SIGKILL (AOF always) are stored once: every acknowledged id exactly once', async () => {
    // issue 9 §4: ioredis re-sends commands left unanswered when the connection dropped, though
    // Redis may have run (and persisted) the script before it died.
    const client = server.client();
    client.on('error', () => undefined);
    const prefix = uniquePrefix('resend');
    const queue = createQueue({ name: 'resend', backend: { type: 'redis', client, prefix } });
    const keys = new QueueKeys(prefix, 'resend');
    const acknowledged: string[] = [];
    for (let round = 0; round < 6; round++) {
      const inFlight = Array.from({ length: 50 }, (_, i) =>
        i % 5 === 0
          ? queue.publishBatch([
              { type: 'k', payload: [round, i, 0] },
              { type: 'k', payload: [round, i, 1] },
            ])
          : queue.publish({ type: 'k', payload: [round, i] }).then((id) => [id]),
      );
      await new Promise((resolve) => setImmediate(resolve));
      await server.kill();
      await server.restart();
      for (const ids of await Promise.all(inFlight)) acknowledged.push(...ids);
    }
    expect(new Set(acknowledged).size).toBe(6 * 60);
    const stored = await client.lrange(keys.tiers[2], 0, -1);
    // a failure names the ids (each with its round: 60 per round) and where they stand in the list
    const roundOf = (id: string) => `${id} (round ${Math.floor(acknowledged.indexOf(id) / 60)}, at ${stored.indexOf(id)} and ${stored.lastIndexOf(id)})`;
    const twice = [...new Set(stored.filter((id, i) => stored.indexOf(id) !== i))].map(roundOf);
    const unknown = stored.filter((id) => !acknowledged.includes(id));
    const missing = acknowledged.filter((id) => !stored.includes(id)).map(roundOf);
    expect({ twice, unknown, missing }).toEqual({ twice: [], unknown: [], missing: [] });
    expect(stored.length).toBe(acknowledged.length);
    expect(await client.hlen(keys.msgs)).toBe(acknowledged.length);
    expect((await queue.stats()).total_published).toBe(acknowledged.length);
    await queue.close();
    client.disconnect();
  });
});
