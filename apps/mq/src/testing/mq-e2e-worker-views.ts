/**
 * mq.e2e.spec.ts, what live workers show: `workers` and `peek --tier inflight` naming the process that
 * holds a message, `limits` with a worker's rate-limit tokens and the messages parked behind them, and
 * `queue-groups` with each group's waiting, in-flight and blocked messages; `queues` shows each of them too.
 */
import { hostname } from 'os';
import { createQueue } from '@meeting/queue';
import { deferred, waitFor } from '@meeting/queue/testing';
import { MqE2e } from './mq-e2e-context';

/** Registers the workers, limits and queue-groups tests in the calling describe (in this order). */
export function workerViewScenarios(e2e: () => MqE2e): void {
  it('workers and peek --tier inflight name the process holding a message; queues shows latency and workers', async () => {
    const { client, prefix, closeLater, mq, json } = e2e();
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
    const latency = await waitFor(
      async () => {
        const q = (await json<{ queues: Array<{ name: string; latency: { starts: number; waitP95Ms: number | null } }> }>(['queues'])).queues;
        return q.find((i) => i.name === 'held' && i.latency.starts > 0)?.latency;
      },
      'the wait of the start in a heartbeat',
      30_000,
      200,
    );
    const row = (await mq(['queues'])).stdout.split('\n').find((l) => l.startsWith('held '));
    // the wait of a message taken at once is a bucket below a second (5, 10, 25 ... 500 ms): shown in ms, not `<=0.0s`
    expect(row).toContain(latency.waitP95Ms !== null && latency.waitP95Ms < 1000 ? ` <=${latency.waitP95Ms}ms ` : ' <=');
    release();
  });

  it('limits shows the rate limits kept by a worker, their tokens and the messages parked per type; queues shows them too', async () => {
    const { client, prefix, closeLater, mq, json } = e2e();
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
    const { client, prefix, closeLater, mq, json } = e2e();
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
}
