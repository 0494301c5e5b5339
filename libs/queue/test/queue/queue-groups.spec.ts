import type { ChildProcess } from 'child_process';
import Redis from 'ioredis';
import { createQueue } from '../../src';
import { RedisServerHandle, spawnRedis, uniquePrefix } from '../../src/testing';
import { startFixtureChild } from '../support/fixture-child';
import { waitFor } from '../support/wait';

// Three children compile with ts-node before they are ready: slow on a busy machine.
jest.setTimeout(240_000);

describe('groupConcurrency across worker processes', () => {
  let server: RedisServerHandle;
  let client: Redis;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    server = await spawnRedis();
    client = server.client();
  });
  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    client?.disconnect();
    await server?.cleanup();
  });

  test('three worker processes, groupConcurrency 2: the handlers never count more than 2 of a group running at once', async () => {
    const prefix = uniquePrefix('groups');
    const name = 'groups';
    const env = { REDIS_URL: server.url, QUEUE: name, PREFIX: prefix, GROUP_CONCURRENCY: '2' };
    await Promise.all([0, 1, 2].map(() => startFixtureChild('grouped-worker.ts', env, workers)));

    const producer = createQueue({ name, backend: { type: 'redis', client, prefix }, groupConcurrency: 2 });
    const groups = ['m1', 'm2', 'm3', 'm4'];
    for (const group of groups) await producer.publishBatch(Array.from({ length: 50 }, (_, i) => ({ type: 'job', payload: i, group })));

    await waitFor(async () => (await client.llen(`${prefix}:done`)) === 200, 'all 200 jobs', 120_000, 50);
    // 12 handler slots for 4 groups: without the limit up to 12 of one group could run at once
    expect(Number(await client.get(`${prefix}:most`))).toBe(2);
    for (const group of groups) expect(Number(await client.get(`${prefix}:running:${group}`))).toBe(0);
    expect(new Set(await client.lrange(`${prefix}:done`, 0, -1)).size).toBe(200);
    expect(await producer.stats()).toMatchObject({ groups_ready: 0, groups_blocked: 0, groups_running: 0, processing_count: 0 });
    await producer.close();
  });
});
