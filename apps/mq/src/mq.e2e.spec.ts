/**
 * The real `mq` bin as a child process against a seeded throwaway Redis: output, effects, exit codes.
 * This file owns the one Redis and its seed (beforeAll/afterAll) and the tests of queues, peek/status,
 * usage and connection errors, pause/publish, scheduled/recurring and stats --watch; the failure
 * (Redis lost mid-command, usage checked before connecting, dashboard listen address), dead-letter,
 * events and worker-view tests are registered in order from testing/mq-e2e-*.ts, reading the state
 * through `e2e()`.
 */
import { execFile } from 'child_process';
import type Redis from 'ioredis';
import { createQueue, createScheduler, EventBus, StoreBackedQueue } from '@meeting/queue';
import { RedisServerHandle, spawnRedis, uniquePrefix } from '@meeting/queue/testing';
import { seedMailDeadLetters } from './testing/mail-seed';
import { deadLetterScenarios } from './testing/mq-e2e-dead-letters';
import { eventsChannelsScenario, eventsTailScenario } from './testing/mq-e2e-events';
import { BIN, freePort, MqE2e, ROOT, Run } from './testing/mq-e2e-context';
import { failureScenarios } from './testing/mq-e2e-failures';
import { workerViewScenarios } from './testing/mq-e2e-worker-views';

// each test runs the bin several times (about 1 s each on an idle machine, much more on a busy one)
jest.setTimeout(180_000);

describe('mq command line', () => {
  let server: RedisServerHandle;
  let client: Redis;
  let prefix: string;
  const closeLater: Array<StoreBackedQueue | EventBus> = [];

  const mq = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        [BIN, '--prefix', prefix, ...args],
        {
          cwd: ROOT,
          env: { ...process.env, REDIS_URL: server.url, ...env },
          timeout: 60_000,
        },
        (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  const json = async <T>(args: string[]): Promise<T> => {
    const run = await mq([...args, '--json']);
    if (run.code !== 0) throw new Error(`mq ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
    return JSON.parse(run.stdout) as T;
  };

  let orderIds: string[];
  let mailDead: string[];
  const e2e = (): MqE2e => ({ server, client, prefix, closeLater, orderIds, mailDead, mq, json });

  beforeAll(async () => {
    server = await spawnRedis();
    client = server.client();
    prefix = uniquePrefix('mq');
    const orders = createQueue({ name: 'orders', backend: { type: 'redis', client, prefix } });
    orderIds = await orders.publishBatch([
      { type: 'order.create', payload: { n: 1 } },
      { type: 'order.create', payload: { n: 2 } },
      { type: 'order.rush', priority: 'high' },
    ]);
    await orders.publish({ type: 'order.later', delayMs: 600_000 });
    await orders.close();
    mailDead = await seedMailDeadLetters(client, prefix, { send: 'smtp down', other: 'nope' }, [
      { type: 'send', payload: { to: 'a' } },
      { type: 'send', payload: '<script>alert(1)</script>' },
      { type: 'send', payload: { to: 'c' } },
      { type: 'other' },
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(closeLater.map((c) => c.close({ drainTimeoutMs: 200 })));
    client?.disconnect();
    await server?.cleanup();
  });

  it('queues: --json gives every queue with tiers, delayed and dead letters; the table names them', async () => {
    const out = await json<{ prefix: string; queues: Array<Record<string, unknown>> }>(['queues']);
    expect(out.prefix).toBe(prefix);
    expect(out.queues.map((q) => q.name)).toEqual(['mail', 'orders']);
    expect(out.queues[1]).toMatchObject({
      name: 'orders',
      tiers: { critical: 0, high: 1, normal: 2, low: 0 },
      delayed: 1,
      deadLetters: 0,
      paused: false,
      published: 4,
    });
    expect(out.queues[0]).toMatchObject({ name: 'mail', deadLetters: 4, failed: 4 });
    const human = await mq(['queues']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^QUEUE\s+PAUSED\s+CRIT\s+HIGH/);
    expect(human.stdout).toMatch(/orders\s+no\s+0\s+1\s+2\s+0/);
  });

  it('peek and status read messages without taking them; unknown ones exit 1', async () => {
    const page = await json<{ total: number; items: Array<{ id: string; payload: unknown }> }>(['peek', 'orders', '--tier', 'normal', '--limit', '1']);
    expect(page.total).toBe(2);
    expect(page.items).toEqual([expect.objectContaining({ id: orderIds[0], payload: { n: 1 } })]);
    expect((await json<{ total: number }>(['peek', 'orders', '--tier', 'delayed'])).total).toBe(1);
    const status = await json<{ state: string; type: string }>(['status', 'orders', orderIds[2]]);
    expect(status).toMatchObject({ state: 'pending', type: 'order.rush', priority: 'high' });
    const missing = await mq(['status', 'orders', 'no-such-id']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/not found/);
    expect((await mq(['peek', 'nosuchqueue'])).code).toBe(1);
    expect((await json<{ total: number }>(['peek', 'orders', '--tier', 'normal'])).total).toBe(2);
  });

  it('usage errors exit 2', async () => {
    expect((await mq(['bogus'])).code).toBe(2);
    expect((await mq(['peek', 'orders', '--tier', 'sideways'])).code).toBe(2);
    expect((await mq(['publish', 'orders', 't', '--payload', '{not json'])).code).toBe(2);
    expect((await mq(['dlq', 'list', 'mail', '--since', 'yesterday-ish'])).code).toBe(2);
    expect((await mq(['dlq', 'list', 'mail', '--since', 'x 5'])).code).toBe(2); // Date.parse alone: a date in 2001
    const help = await mq(['dlq', 'purge', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--since <when>/);
  });

  it('an unreachable Redis exits 3 at once with one line naming the masked URL', async () => {
    const port = await freePort();
    const run = await mq(['queues', '--redis-url', `redis://ops:s3cret@127.0.0.1:${port}`, '--timeout', '500']);
    expect(run.code).toBe(3);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(`redis://ops:***@127.0.0.1:${port}`);
    expect(run.stderr).not.toContain('s3cret');
  });

  it('a password Redis refuses exits 3 at once with one line saying so, without the password', async () => {
    const locked = await spawnRedis({ password: 'right-pass' });
    try {
      const run = await mq(['queues', '--redis-url', `redis://:wrong-pass@127.0.0.1:${locked.port}`, '--timeout', '60000']);
      expect(run.code).toBe(3);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/refused the credentials \(WRONGPASS/);
      expect(run.stderr).not.toMatch(/wrong-pass|right-pass/);
    } finally {
      await locked.cleanup();
    }
  });

  failureScenarios(e2e);

  deadLetterScenarios(e2e);

  it('pause, resume and publish', async () => {
    expect((await mq(['pause', 'orders'])).stdout).toBe('orders paused\n');
    expect((await json<{ queues: Array<{ name: string; paused: boolean }> }>(['queues'])).queues.find((q) => q.name === 'orders')?.paused).toBe(true);
    await mq(['resume', 'orders']);
    expect((await json<{ queues: Array<{ name: string; paused: boolean }> }>(['queues'])).queues.find((q) => q.name === 'orders')?.paused).toBe(false);
    const { id } = await json<{ id: string }>(['publish', 'orders', 'order.test', '--payload', '{"x":1}', '--priority', 'critical']);
    expect(await json<{ state: string; priority: string }>(['status', 'orders', id])).toMatchObject({ state: 'pending', priority: 'critical' });
    expect((await mq(['pause', 'nosuchqueue'])).code).toBe(1);
  });

  it('scheduled and recurring: list, cancel and remove (with --yes)', async () => {
    const scheduler = createScheduler({ name: 'svc', autoStart: false, backend: { type: 'redis', client, prefix, queuePrefix: prefix } });
    const once = await scheduler.schedule({ type: 'remind', queue: 'orders', payload: { x: 1 } }, { delayMs: 3_600_000 });
    await scheduler.schedule({ type: 'cleanup', queue: 'orders' }, { cron: '0 3 * * *', key: 'nightly' });
    await scheduler.close();
    const scheduled = await json<{ items: Array<{ id: string; scheduler: string }> }>(['scheduled', 'list']);
    expect(scheduled.items).toEqual([expect.objectContaining({ id: once, scheduler: 'svc' })]);
    const recurring = await mq(['recurring', 'list']);
    expect(recurring.stdout).toMatch(/svc\s+recurring:nightly\s+cleanup\s+orders\s+cron 0 3 \* \* \* UTC/);
    expect((await mq(['recurring', 'remove', 'nightly'])).code).toBe(1); // no --yes off a terminal
    expect((await mq(['recurring', 'remove', 'nightly', '--yes'])).stdout).toBe('removed recurring:nightly in svc\n');
    expect((await mq(['scheduled', 'cancel', once, '--yes'])).stdout).toBe(`cancelled ${once} in svc\n`);
    expect((await mq(['scheduled', 'cancel', once, '--yes'])).code).toBe(1);
    expect((await json<{ items: unknown[] }>(['scheduled', 'list'])).items).toEqual([]);
  });

  eventsTailScenario(e2e);

  workerViewScenarios(e2e);

  eventsChannelsScenario(e2e);

  it('stats --watch prints one JSON line per refresh with rates per second', async () => {
    const run = await mq(['stats', 'orders', '--watch', '--json', '--interval', '1', '--count', '2']);
    expect(run.code).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { queues: Array<{ name: string; rates: Record<string, number> }> });
    expect(lines).toHaveLength(2);
    expect(lines[0].queues[0]).toMatchObject({
      name: 'orders',
      rates: { published: expect.any(Number), processed: expect.any(Number), failed: expect.any(Number) },
    });
  });
});
