import { ChildProcess, execFile, spawn } from 'child_process';
import { createServer } from 'net';
import { hostname } from 'os';
import { join } from 'path';
import type Redis from 'ioredis';
import { createEventBus, createQueue, createScheduler, EventBus, StoreBackedQueue } from '@meeting/queue';
import { deferred, RedisServerHandle, spawnRedis, uniquePrefix, waitFor } from '@meeting/queue/testing';

/** The real `mq` bin as a child process against a seeded throwaway Redis: output, effects, exit codes. */
// each test runs the bin several times (about 1 s each on an idle machine, much more on a busy one)
jest.setTimeout(180_000);

const BIN = join(__dirname, '..', 'bin', 'mq.js');
const ROOT = join(__dirname, '..', '..', '..');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

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
    const mail = createQueue({ name: 'mail', maxRetries: 0, backend: { type: 'redis', client, prefix } });
    mail.process('send', async () => {
      throw new Error('smtp down');
    });
    mail.process('other', async () => {
      throw new Error('nope');
    });
    mailDead = await mail.publishBatch([
      { type: 'send', payload: { to: 'a' } },
      { type: 'send', payload: '<script>alert(1)</script>' },
      { type: 'send', payload: { to: 'c' } },
      { type: 'other' },
    ]);
    await waitFor(async () => (await mail.stats()).dead_letter_count === 4, 'four dead letters');
    await mail.close();
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

  it('dlq list filters by type; show prints error, stack and payload as text', async () => {
    const list = await json<{ total: number; items: Array<{ id: string; type: string }> }>(['dlq', 'list', 'mail', '--type', 'send']);
    expect(list.total).toBe(4);
    expect(list.items.map((d) => d.id).sort()).toEqual(mailDead.slice(0, 3).sort());
    expect((await json<{ items: unknown[] }>(['dlq', 'list', 'mail', '--since', '1h'])).items).toHaveLength(4);
    const show = await mq(['dlq', 'show', 'mail', mailDead[1]]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('Error: smtp down');
    expect(show.stdout).toMatch(/stack\n\s+Error: smtp down\n\s+at /);
    expect(show.stdout).toContain('"<script>alert(1)</script>"');
    expect((await mq(['dlq', 'show', 'mail', 'nope'])).code).toBe(1);
  });

  it('dlq replay puts a dead letter back and it runs', async () => {
    const run = await mq(['dlq', 'replay', 'mail', mailDead[0], 'missing-id']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`replayed 1: ${mailDead[0]}`);
    expect(run.stdout).toContain('not found 1: missing-id');
    const ran: string[] = [];
    const mail = createQueue({ name: 'mail', backend: { type: 'redis', client, prefix } });
    closeLater.push(mail);
    mail.process('send', async (m) => {
      ran.push(m.id);
      return 'sent';
    });
    await waitFor(() => ran.includes(mailDead[0]), 'the replayed dead letter runs');
    await waitFor(async () => (await json<{ state: string }>(['status', 'mail', mailDead[0]])).state === 'completed', 'completed status', 30_000, 200);
  });

  it('dlq purge refuses without --yes off a terminal, then deletes and names what it deleted', async () => {
    const refused = await mq(['dlq', 'purge', 'mail', '--type', 'send']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/--yes/);
    expect((await json<{ total: number }>(['dlq', 'list', 'mail'])).total).toBe(3);
    const purged = await json<{ deleted: string[] }>(['dlq', 'purge', 'mail', '--type', 'send', '--yes']);
    expect(purged.deleted.sort()).toEqual(mailDead.slice(1, 3).sort());
    const rest = await mq(['dlq', 'purge', 'mail', '--yes']);
    expect(rest.stdout).toBe(`deleted 1: ${mailDead[3]}\n`);
    expect((await json<{ total: number }>(['dlq', 'list', 'mail'])).total).toBe(0);
  });

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

  it('events tail follows a stream; groups shows the consumer group with pending', async () => {
    const bus = createEventBus({ type: 'redis_stream', client, prefix: `${prefix}:ev`, serviceName: 'billing', consumerName: 'b1' });
    closeLater.push(bus);
    await bus.subscribe('invoices', async () => new Promise(() => undefined)); // never acknowledges
    const tail = spawn(process.execPath, [BIN, '--prefix', prefix, '--json', 'events', 'tail', 'invoices', '--mode', 'stream', '--count', '1'], {
      cwd: ROOT,
      env: { ...process.env, REDIS_URL: server.url },
    });
    const out = collect(tail);
    await waitFor(() => out.stderr.includes('tailing stream invoices'), 'the tail is live', 30_000);
    await bus.publish('invoices', 'invoice.paid', { amount: 5 });
    let code: number | null | undefined;
    tail.on('exit', (c) => (code = c));
    try {
      await waitFor(() => code !== undefined, 'the tail to exit after one event', 30_000);
    } finally {
      if (code === undefined) tail.kill();
    }
    expect(code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ channel: 'invoices', event: { type: 'invoice.paid', data: { amount: 5 } } });
    const groups = await waitFor(
      async () => {
        const g = await json<{ groups: Array<{ group: string; pending: number }> }>(['groups']);
        return g.groups.length === 1 && g.groups[0].pending === 1 && g.groups;
      },
      'one pending entry',
      30_000,
      200,
    );
    expect(groups[0]).toMatchObject({ channel: 'invoices', group: 'billing', length: 1, consumers: [expect.objectContaining({ name: 'b1', pending: 1 })] });
  });

  it('workers and peek --tier inflight name the process holding a message; queues shows latency and workers', async () => {
    const held = createQueue({ name: 'held', backend: { type: 'redis', client, prefix } });
    closeLater.push(held);
    let release!: () => void;
    const running = new Promise<void>((r) => (release = r));
    const id = await held.publish({ type: 'slow', payload: { n: 1 } });
    held.process(
      'slow',
      async (_m, ctx) => {
        await ctx.progress({ percent: 40 });
        await running;
      },
      { concurrency: 3 },
    );
    const { workers } = await waitFor(
      async () => {
        const out = await json<{ workers: Array<{ id: string; host: string; pid: number; concurrency: number; held: number }> }>(['workers', 'held']);
        // the first beat may go out before the message is taken; the next one (within 2.5 s of the change) reports it held
        return out.workers.length === 1 && out.workers[0].held === 1 && out;
      },
      'the worker registered, holding the message',
      30_000,
      200,
    );
    expect(workers[0]).toMatchObject({ host: hostname(), pid: process.pid, concurrency: 3 });
    await waitFor(async () => (await held.getStatus(id))?.progress !== undefined, 'the progress written');
    const page = await json<{ items: Array<{ id: string; worker: string; heldMs: number; holder: { pid: number } | null }> }>([
      'peek',
      'held',
      '--tier',
      'inflight',
    ]);
    expect(page.items).toEqual([expect.objectContaining({ id, worker: workers[0].id, holder: { id: workers[0].id, host: hostname(), pid: process.pid } })]);
    expect(page.items[0].heldMs).toBeGreaterThanOrEqual(0);
    const table = await mq(['peek', 'held', '--tier', 'inflight']);
    expect(table.stdout).toMatch(/HELD FOR\s+LEASE ENDS IN\s+WORKER\s+PROGRESS/);
    expect(table.stdout).toContain('{"percent":40}');
    expect((await mq(['status', 'held', id])).stdout).toMatch(/progress\s+\{"percent":40\}/);
    expect(table.stdout).toContain(`${hostname()}:${process.pid} (${workers[0].id})`);
    expect((await mq(['workers', 'held'])).stdout).toMatch(new RegExp(`${workers[0].id}\\s+\\S+\\s+${process.pid}\\s+3\\s+1`));
    const { queues } = await json<{
      queues: Array<{ name: string; workers: number; tiers: Record<string, number>; latency: { oldestWaitingMs: Record<string, number | null> } }>;
    }>(['queues']);
    expect(queues.find((q) => q.name === 'held')).toMatchObject({ workers: 1 });
    // the age of the oldest waiting message of every tier that has one, null for the empty ones
    const orders = queues.find((q) => q.name === 'orders')!;
    expect(orders.tiers.normal).toBeGreaterThan(0);
    for (const [tier, n] of Object.entries(orders.tiers)) expect([tier, orders.latency.oldestWaitingMs[tier] === null]).toEqual([tier, n === 0]);
    expect((await mq(['queues'])).stdout).toMatch(/OLDEST\s+WAIT P95\s+WORKERS/);
    release();
  });

  it('limits shows the rate limits kept by a worker, their tokens and the messages parked per type; queues shows them too', async () => {
    const limited = createQueue({ name: 'limited', rateLimits: { 'speech.recognize': { max: 2, perMs: 60_000 } }, backend: { type: 'redis', client, prefix } });
    closeLater.push(limited);
    await limited.publishBatch([
      ...Array.from({ length: 5 }, () => ({ type: 'speech.recognize' })),
      ...Array.from({ length: 2 }, () => ({ type: 'thumbnail' })),
    ]);
    let done = 0;
    limited.process('speech.recognize', async () => void done++);
    limited.process('thumbnail', async () => void done++);
    const out = await waitFor(
      async () => {
        const r = await json<{
          queue: string;
          limits: Array<{
            name: string;
            max: number;
            perMs: number;
            tokens: number;
            nextTokenInMs: number;
            parked: number;
            workers: number;
            configured: boolean;
          }>;
          parked: { total: number; tiers: Record<string, number>; byType: Record<string, number> };
        }>(['limits', 'limited']);
        return done === 4 && r.parked.total === 3 && r.limits[0]?.workers === 1 && r;
      },
      'three parked behind the limit, the worker seen',
      30_000,
      200,
    );
    expect(out.limits).toEqual([
      expect.objectContaining({ name: 'speech.recognize', max: 2, perMs: 60_000, tokens: 0, parked: 3, workers: 1, configured: false }),
    ]);
    expect(out.limits[0].nextTokenInMs).toBeGreaterThan(0);
    expect(out.limits[0].nextTokenInMs).toBeLessThanOrEqual(30_000);
    expect(out.parked).toMatchObject({ total: 3, tiers: { critical: 0, high: 0, normal: 3, low: 0 }, byType: { 'speech.recognize': 3 } });
    const text = await mq(['limits', 'limited']);
    expect(text.stdout).toMatch(/LIMIT\s+MAX\s+PER\s+TOKENS\s+NEXT TOKEN\s+FULL IN\s+PARKED\s+FROM/);
    expect(text.stdout).toMatch(/speech\.recognize\s+2\s+1m00s\s+0\s+\S+\s+\S+\s+3\s+1 worker/);
    expect(text.stdout).toContain('parked: 3 (critical 0, high 0, normal 3, low 0)');
    expect(text.stdout).toContain('parked per type: speech.recognize 3');
    const { queues } = await json<{ queues: Array<{ name: string; parked: number; rateLimits: Array<{ name: string; tokens: number }> }> }>(['queues']);
    expect(queues.find((q) => q.name === 'limited')).toMatchObject({
      parked: 3,
      rateLimits: [expect.objectContaining({ name: 'speech.recognize', tokens: 0 })],
    });
    expect((await mq(['queues'])).stdout).toMatch(/limited\s.*\sspeech\.recognize 0\/2\s+3\s+-\n/);
    expect((await mq(['limits', 'orders'])).stdout).toContain('no rate limits on queue "orders"');
    expect((await mq(['limits', 'nope'])).code).toBe(1);
  });

  it('queue-groups lists the groups of a queue (waiting per tier, in flight, blocked, oldest); queues sees their messages as waiting', async () => {
    const grouped = createQueue({ name: 'grouped', groupConcurrency: 1, backend: { type: 'redis', client, prefix } });
    closeLater.push(grouped);
    await grouped.publishBatch([
      ...Array.from({ length: 3 }, () => ({ type: 'call', group: 'meeting-a' })),
      { type: 'call', group: 'meeting-b', priority: 'low' as const },
    ]);
    type Groups = {
      queue: string;
      groupConcurrency: number | null;
      counts: { ready: number; blocked: number; running: number };
      items: Array<{ group: string; tiers: Record<string, number>; waiting: number; running: number; blocked: boolean; oldestWaitingMs: number | null }>;
      more: boolean;
    };
    const before = await json<Groups>(['queue-groups', 'grouped']);
    expect(before).toMatchObject({ queue: 'grouped', groupConcurrency: null, counts: { ready: 2, blocked: 0, running: 0 }, more: false });
    expect(before.items.map((g) => [g.group, g.waiting, g.tiers.normal, g.tiers.low])).toEqual([
      ['meeting-a', 3, 3, 0],
      ['meeting-b', 1, 0, 1],
    ]);
    expect(before.items.every((g) => g.oldestWaitingMs !== null)).toBe(true);
    // the grouped messages are in no tier list: the oldest waiting ages come from the groups
    const { queues } = await json<{ queues: Array<{ name: string; latency: { oldestWaitingMs: Record<string, number | null> } }> }>(['queues']);
    expect(queues.find((q) => q.name === 'grouped')?.latency.oldestWaitingMs).toEqual({
      critical: null,
      high: null,
      normal: expect.any(Number),
      low: expect.any(Number),
    });
    expect((await json<Groups>(['queue-groups', 'grouped', '--limit', '1'])).items.map((g) => g.group)).toEqual(['meeting-a']);
    const release = deferred();
    grouped.process('call', () => release.promise, { concurrency: 4 });
    const held = await waitFor(
      async () => {
        const r = await json<Groups>(['queue-groups', 'grouped']);
        return r.counts.running === 2 && r;
      },
      'one of each group held',
      30_000,
      200,
    );
    expect(held.counts).toEqual({ ready: 0, blocked: 1, running: 2 });
    expect(held.items[0]).toMatchObject({ group: 'meeting-a', waiting: 2, running: 1, blocked: true });
    const text = (await mq(['queue-groups', 'grouped'])).stdout;
    expect(text).toContain('groups of "grouped": 0 ready, 1 blocked, 2 with messages in flight (no groupConcurrency)');
    expect(text).toMatch(/GROUP\s+CRITICAL\s+HIGH\s+NORMAL\s+LOW\s+WAITING\s+IN FLIGHT\s+BLOCKED\s+OLDEST/);
    expect(text).toMatch(/meeting-a\s+0\s+0\s+2\s+0\s+2\s+1\s+blocked\s+\S+/);
    expect(text).toMatch(/meeting-b\s+0\s+0\s+0\s+0\s+0\s+1\s+no\s+-/);
    release.resolve();
    await waitFor(async () => (await json<Groups>(['queue-groups', 'grouped'])).items.length === 0, 'every group done', 30_000, 200);
    expect((await mq(['queue-groups', 'orders'])).stdout).toContain('no group has messages waiting or in flight');
    expect((await mq(['queue-groups', 'nope'])).code).toBe(1);
  });

  it('events channels lists pub/sub channels with subscribers; --sample counts their messages', async () => {
    const bus = createEventBus({ type: 'redis_pubsub', client, prefix: `${prefix}:ev`, serviceName: 'chat' });
    closeLater.push(bus);
    await bus.subscribe('chat.room', async () => undefined);
    const listed = await json<{ samplingSince: number | null; channels: unknown[] }>(['events', 'channels']);
    expect(listed).toMatchObject({ samplingSince: null, channels: [{ channel: 'chat.room', subscribers: 1, published: null, ratePerSec: null }] });
    const sample = spawn(process.execPath, [BIN, '--prefix', prefix, '--json', 'events', 'channels', '--sample', '2'], {
      cwd: ROOT,
      env: { ...process.env, REDIS_URL: server.url },
    });
    const out = collect(sample);
    let code: number | null | undefined;
    sample.on('exit', (c) => (code = c));
    try {
      // publish until the sampler has exited (it listens 2 s from when it is connected)
      await waitFor(
        async () => {
          await bus.publish('chat.room', 'chat.said', {});
          return code !== undefined;
        },
        'the sample to finish',
        60_000,
        100,
      );
    } finally {
      if (code === undefined) sample.kill();
    }
    expect(code).toBe(0);
    const sampled = JSON.parse(out.stdout) as { samplingSince: number; channels: Array<{ channel: string; published: number; ratePerSec: number }> };
    expect(sampled.samplingSince).toBeGreaterThan(0);
    expect(sampled.channels[0]).toMatchObject({ channel: 'chat.room', subscribers: 1 });
    expect(sampled.channels[0].published).toBeGreaterThan(0);
    expect(sampled.channels[0].ratePerSec).toBeGreaterThan(0);
  });

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

function collect(child: ChildProcess): { stdout: string; stderr: string } {
  const out = { stdout: '', stderr: '' };
  child.stdout?.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out.stderr += d.toString()));
  return out;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
