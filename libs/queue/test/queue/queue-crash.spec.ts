import type { ChildProcess } from 'child_process';
import { createQueue, StoreBackedQueue } from '../../src';
import { uniquePrefix, useTestRedis } from '../../src/testing';
import { startFixtureChild } from '../support/fixture-child';
import { waitFor } from '../support/wait';

// Four children compile with ts-node before they are ready: slow on a busy machine.
jest.setTimeout(180_000);

const startWorker = (env: Record<string, string>, started: ChildProcess[]) => startFixtureChild('queue-worker.ts', env, started);

describe('crash safety: workers killed with SIGKILL mid-run', () => {
  const workers: ChildProcess[] = [];
  afterAll(() => {
    for (const w of workers) w.kill('SIGKILL');
  });
  const redis = useTestRedis({ spawn: true }); // declared after: its afterAll stops Redis once the workers are killed

  test('every one of 5,000 messages is processed by the survivors and none is left in flight', async () => {
    const prefix = uniquePrefix('crash');
    const name = 'crash';
    const producer: StoreBackedQueue = createQueue({ name, backend: { type: 'redis', client: redis.client, prefix } });
    const N = 5000;
    for (let i = 0; i < N; i += 1000) {
      await producer.publishBatch(Array.from({ length: 1000 }, (_, j) => ({ type: 'crash-test', payload: i + j })));
    }
    const env = { REDIS_URL: redis.url, QUEUE: name, PREFIX: prefix, VISIBILITY_MS: '1000', WORK_MS: '15' };
    await Promise.all([startWorker(env, workers), startWorker(env, workers), startWorker(env, workers), startWorker(env, workers)]);
    await waitFor(async () => (await redis.client.scard(`${prefix}:processed`)) >= 1000, '1,000 processed', 60_000);
    const victims = workers.slice(0, 2);
    // each victim is running handlers when it is killed, so it dies holding leases (on a busy
    // machine a worker may not have taken any work yet when the others have done 1,000)
    const running = (w: ChildProcess) => redis.client.get(`${prefix}:running:${w.pid}`).then(Number);
    await waitFor(async () => (await Promise.all(victims.map(running))).every((n) => n > 0), 'both victims running handlers', 60_000, 1);
    for (const victim of victims) victim.kill('SIGKILL');
    const inFlightAtKill = (await producer.stats()).processing_count;
    expect(inFlightAtKill).toBeGreaterThan(0);
    expect(await redis.client.scard(`${prefix}:processed`)).toBeLessThan(N);

    await waitFor(async () => (await redis.client.scard(`${prefix}:processed`)) === N, 'all 5,000 processed', 60_000, 50);
    await waitFor(async () => (await producer.stats()).total_processed === N, 'all acknowledged', 10_000, 50);
    const stats = await producer.stats();
    expect(stats.processing_count).toBe(0);
    expect(stats.queue_length).toEqual({ critical: 0, high: 0, normal: 0, low: 0 });
    expect(stats.dead_letter_count).toBe(0);
    // redelivered work ran again: at least once each, more for those the victims held
    expect(Number(await redis.client.get(`${prefix}:runs`))).toBeGreaterThanOrEqual(N);
    expect(stats.total_retried).toBeGreaterThan(0);
    await producer.close();
  });
});
