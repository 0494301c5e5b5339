/**
 * The results consumer without head-of-line blocking (docs/dispatcher.md, "Results, callbacks and
 * webhooks"): a slow webhook or callback holds back only the later entries of its own task; each
 * entry is acknowledged once its own deliveries finished; entries still delivered are renewed so
 * that no peer takes them over.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'http';
import type { AddressInfo } from 'net';
import { deferred, quietLogger, useTestRedis, waitFor } from '../testing';
import type { CompletedTask, TaskProgress } from './dispatcher';
import { RedisDispatcherStore } from './redis/redis-dispatcher-store';
import { ResultConsumer } from './result-consumer';
import { memoryResultsBackend, outcome, redisResultsBackend, report, ResultsBackend as Backend, SERVICE } from './testing/results-backend';

const redis = useTestRedis({ spawn: true });

const WEBHOOK = { attempts: 2, backoffMs: 20, timeoutMs: 2000 };
const redisBackend = (claimIdleMs?: number) => redisResultsBackend(redis, claimIdleMs);
const memoryBackend = () => memoryResultsBackend();

describe.each([
  ['memory', () => memoryBackend()],
  ['redis', () => redisBackend()],
] as Array<[string, () => Backend]>)('ResultConsumer (%s)', (_name, makeBackend) => {
  let backend: Backend;
  let consumer: ResultConsumer;
  const gates: Array<() => void> = [];

  beforeEach(() => {
    backend = makeBackend();
    consumer = new ResultConsumer(backend.store, quietLogger, WEBHOOK, 200);
  });
  afterEach(async () => {
    gates.splice(0).forEach((open) => open());
    await consumer.close();
    await backend.close();
  });

  /** A gate a callback waits at until the test (or the cleanup) opens it. */
  function gate(): Promise<void> {
    const d = deferred();
    gates.push(d.resolve);
    return d.promise;
  }

  test('a webhook that hangs does not hold back the callback of a later task', async () => {
    const open = new Set<ServerResponse>();
    const hook: Server = createServer((_req: IncomingMessage, res: ServerResponse) => {
      open.add(res);
      res.on('close', () => open.delete(res));
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
      const seen: Array<{ taskId: string; hanging: number }> = [];
      consumer.onCompleted('t', (task: CompletedTask) => void seen.push({ taskId: task.taskId, hanging: open.size }));
      await backend.store.finish(outcome('slow-hook', url));
      await waitFor(() => open.size > 0, 'the webhook request of the first task');
      // written once the first entry is being delivered: read by a later read than the first
      await backend.store.finish(outcome('later'));
      const later = await waitFor(() => seen.find((s) => s.taskId === 'later'), 'the callback of the later task');
      expect(later.hanging).toBeGreaterThan(0);
      expect(open.size).toBeGreaterThan(0);
      // the later task's entry is acknowledged, the one whose webhook hangs is not
      const [first] = await backend.written();
      await waitFor(async () => (await backend.pending()).length === 1, 'the later entry acknowledged', 5000);
      expect(await backend.pending()).toEqual([first]);
    } finally {
      for (const res of open) res.end();
      await consumer.close();
      await new Promise<void>((resolve) => hook.close(() => resolve()));
    }
  });

  test('the entries of one task reach the callbacks in order, even when a progress callback is slow', async () => {
    const events: string[] = [];
    const slow = gate();
    consumer.onProgress('t', async (p: TaskProgress) => {
      events.push(`${p.taskId} progress ${String(p.progress)} start`);
      if (p.taskId === 'a' && p.progress === 1) await slow;
      events.push(`${p.taskId} progress ${String(p.progress)} end`);
    });
    consumer.onCompleted('t', (task: CompletedTask) => void events.push(`${task.taskId} completed`));
    await backend.store.progress(report('a', 1));
    await backend.store.progress(report('a', 2));
    await backend.store.finish(outcome('a'));
    await backend.store.progress(report('b', 1));
    await backend.store.finish(outcome('b'));
    // another task goes on while a's first report is held
    await waitFor(() => events.includes('b completed'), "task b's outcome");
    expect(events.filter((e) => e.startsWith('a '))).toEqual(['a progress 1 start']);
    gates.shift()!();
    await waitFor(() => events.includes('a completed'), "task a's outcome");
    expect(events.filter((e) => e.startsWith('a '))).toEqual([
      'a progress 1 start',
      'a progress 1 end',
      'a progress 2 start',
      'a progress 2 end',
      'a completed',
    ]);
    expect(events.filter((e) => e.startsWith('b '))).toEqual(['b progress 1 start', 'b progress 1 end', 'b completed']);
    await waitFor(async () => (await backend.pending()).length === 0, 'every entry acknowledged');
  });

  test('an entry is acknowledged once its own delivery finished, not before, and others meanwhile', async () => {
    let slowDone = false;
    const slow = gate();
    consumer.onCompleted('t', async (task: CompletedTask) => {
      if (task.taskId !== 'slow') return;
      await slow;
      slowDone = true;
    });
    await backend.store.finish(outcome('slow'));
    await backend.store.finish(outcome('quick-1'));
    await backend.store.finish(outcome('quick-2'));
    const [slowId] = await backend.written();
    consumer.start();
    await waitFor(async () => (await backend.pending()).length === 1, 'the quick entries acknowledged', 5000);
    expect(await backend.pending()).toEqual([slowId]);
    expect(slowDone).toBe(false);
    gates.shift()!();
    await waitFor(async () => (await backend.pending()).length === 0, 'the slow entry acknowledged');
    expect(slowDone).toBe(true);
  });

  test('close waits for the deliveries in flight and acknowledges them', async () => {
    let started = false;
    let done = false;
    const slow = gate();
    consumer.onCompleted('t', async () => {
      started = true;
      await slow;
      done = true;
    });
    await backend.store.finish(outcome('x'));
    await waitFor(() => started, 'the delivery started');
    const closed = consumer.close();
    for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
    gates.shift()!();
    await closed;
    expect(done).toBe(true);
    expect(await backend.pending()).toEqual([]);
  });
});

describe('ResultConsumer on Redis: entries in flight', () => {
  test('an entry still being delivered is renewed: a peer does not take it over after claimIdleMs', async () => {
    const claimIdleMs = 300;
    const mine = redisBackend(claimIdleMs);
    const peerClient = redis.newClient();
    const peer = new RedisDispatcherStore({
      client: peerClient,
      prefix: mine.prefix,
      service: SERVICE,
      retentionMs: 60_000,
      resultsMaxLen: 10_000,
      claimIdleMs,
    });
    const consumer = new ResultConsumer(mine.store, quietLogger, WEBHOOK, 200);
    const release = deferred();
    let startedAt = 0;
    consumer.onCompleted('t', async () => {
      startedAt = Date.now();
      await release.promise;
    });
    try {
      await mine.store.finish(outcome('long'));
      const [id] = await mine.written();
      await waitFor(() => startedAt > 0, 'the delivery started');
      // the entry is older than the claim's idle time, several times over
      await waitFor(() => Date.now() - startedAt > 3 * claimIdleMs, 'the delivery outlasting claimIdleMs', 5000);
      // a peer's read claims what is idle longer than claimIdleMs (its first read claims at once)
      expect(await peer.readResults(100, 10)).toEqual([]);
      const [[, owner, , deliveries]] = (await redis.client.xpending(mine.redis.keys.results, SERVICE, '-', '+', 10)) as Array<
        [string, string, number, number]
      >;
      expect({ owner, deliveries }).toEqual({ owner: mine.redis.replyAddress, deliveries: 1 });
      release.resolve();
      await waitFor(async () => (await mine.pending()).length === 0, 'the entry acknowledged');
      expect(await mine.written()).toEqual([id]);
    } finally {
      release.resolve();
      await consumer.close();
      await peer.close();
      peerClient.disconnect();
      await mine.close();
    }
  });
});
