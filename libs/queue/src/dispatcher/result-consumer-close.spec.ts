/**
 * The results consumer's close is bounded by its drain time (docs/dispatcher.md, "Results,
 * callbacks and webhooks"): past it, a webhook request still running is aborted, a callback still
 * running is no longer waited for, and their entries stay pending: another instance delivers them.
 * What was delivered before is acknowledged.
 */
import type { QueueLogger } from '../logger';
import { deferred, quietLogger, useTestRedis, waitFor } from '../testing';
import { within } from '../util/retry';
import type { CompletedTask, TaskProgress } from './dispatcher';
import { ResultConsumer } from './result-consumer';
import { memoryResultsBackend, outcome, redisResultsBackend, report, ResultsBackend } from './testing/results-backend';
import { receiver, WebhookReceiver } from './testing/webhook-receiver';
import type { WebhookOptions } from './webhook';

const redis = useTestRedis({ spawn: true });

/** A webhook that never answers takes 3 x 20 s plus the backoffs (over a minute) to fail for good. */
const SLOW_WEBHOOK: WebhookOptions = { attempts: 3, backoffMs: 500, timeoutMs: 20_000 };
/** Generous for a busy machine, far under the webhook's worst case (and under one try's timeout). */
const CLOSE_BOUND_MS = 10_000;
const DRAIN_MS = 100;
/** On Redis the peer takes over the entries left pending once idle this long. */
const CLAIM_IDLE_MS = 300;

describe.each([
  ['memory', () => memoryResultsBackend()],
  ['redis', () => redisResultsBackend(redis, CLAIM_IDLE_MS)],
] as Array<[string, () => ResultsBackend]>)('ResultConsumer.close with a drain time (%s)', (_name, makeBackend) => {
  let backend: ResultsBackend;
  let peer: ResultsBackend | undefined;
  let consumer: ResultConsumer;
  let peerConsumer: ResultConsumer | undefined;
  let hook: WebhookReceiver | undefined;
  const lines: string[] = [];
  const logger: QueueLogger = { ...quietLogger, warn: (line) => void lines.push(line), child: () => logger };
  let gate = deferred();

  beforeEach(() => {
    gate = deferred();
    backend = makeBackend();
    consumer = new ResultConsumer(backend.store, logger, SLOW_WEBHOOK, 200);
  });
  afterEach(async () => {
    gate.resolve();
    await hook?.close(); // ends the held requests (without the drain time, close waits for them)
    await consumer.close();
    await peerConsumer?.close();
    await backend.close();
    await peer?.close();
    [hook, peer, peerConsumer] = [undefined, undefined, undefined];
    lines.length = 0;
  });

  /** Closes the first instance (its store too: memory hands its unacknowledged entries back then) and starts a peer. */
  async function startPeer(webhook: WebhookOptions): Promise<ResultConsumer> {
    await backend.close();
    peer = backend.peer();
    peerConsumer = new ResultConsumer(peer.store, quietLogger, webhook, 200);
    return peerConsumer;
  }

  test('a webhook that never answers is aborted at the drain time; its entry stays pending and a peer posts it, the delivered one is acknowledged', async () => {
    let hold = true;
    hook = await receiver((_req, res) => (hold ? undefined : res.writeHead(204).end()));
    const called: string[] = [];
    consumer.onCompleted('t', (task: CompletedTask) => void called.push(task.taskId));
    await backend.store.finish(outcome('delivered'));
    await backend.store.finish(outcome('hooked', `${hook.url}/hook`));
    const [deliveredId, hookedId] = await backend.written();
    await waitFor(() => hook!.received.length === 1, 'the webhook request held');
    await waitFor(async () => !(await backend.pending()).includes(deliveredId), 'the delivered entry acknowledged');

    const started = performance.now();
    await within(consumer.close(DRAIN_MS), CLOSE_BOUND_MS, 'close with a drain time');
    expect(performance.now() - started).toBeLessThan(CLOSE_BOUND_MS);
    await waitFor(() => hook!.received[0].closed, 'the held request closed by the abort');
    expect(await backend.pending()).toEqual([hookedId]);
    expect(lines.filter((line) => line.includes('left pending'))).toEqual([expect.stringContaining('closed with 1 results entry left pending for redelivery')]);
    expect(lines.join('\n')).toContain('1 webhook request aborted');

    hold = false;
    const next = await startPeer({ attempts: 2, backoffMs: 20, timeoutMs: 5000 });
    const peerCalled: string[] = [];
    next.onCompleted('t', (task: CompletedTask) => void peerCalled.push(task.taskId));
    await waitFor(() => hook!.received.length === 2 && hook!.received[1].closed, 'the peer posting the webhook again');
    expect(hook.received.map((r) => [r.headers['webhook-id'], r.headers['webhook-attempt']])).toEqual([
      ['hooked', '1'],
      ['hooked', '1'],
    ]);
    await waitFor(async () => (await peer!.pending()).length === 0, 'the peer acknowledging it');
    expect(peerCalled).toEqual(['hooked']);
    expect(called).toEqual(['delivered', 'hooked']);
  });

  test('a callback still running at the drain time is no longer waited for: its entry and the later one of its task stay pending for a peer', async () => {
    const events: string[] = [];
    consumer.onProgress('t', async (p: TaskProgress) => {
      events.push(`${p.taskId} progress start`);
      if (p.taskId === 'a') await gate.promise;
      events.push(`${p.taskId} progress end`);
    });
    consumer.onCompleted('t', (task: CompletedTask) => void events.push(`${task.taskId} completed`));
    await backend.store.progress(report('a', 1));
    await backend.store.finish(outcome('a'));
    await backend.store.finish(outcome('b'));
    const [progressId, outcomeId, otherId] = await backend.written();
    await waitFor(() => events.includes('a progress start') && events.includes('b completed'), "a's report held, b delivered");
    await waitFor(async () => !(await backend.pending()).includes(otherId), "b's entry acknowledged");

    await within(consumer.close(DRAIN_MS), CLOSE_BOUND_MS, 'close with a drain time');
    expect((await backend.pending()).sort()).toEqual([progressId, outcomeId].sort());
    expect(lines.filter((line) => line.includes('left pending'))).toEqual([
      expect.stringContaining('closed with 2 results entries left pending for redelivery'),
    ]);
    expect(lines.join('\n')).toContain('1 callback still running no longer waited for');
    // the callback ends after the close: the task's next entry is not delivered, nothing is acknowledged
    gate.resolve();
    await waitFor(() => events.includes('a progress end'), 'the held callback ending');
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(events).not.toContain('a completed');

    const next = await startPeer(SLOW_WEBHOOK);
    const peerEvents: string[] = [];
    next.onProgress('t', (p: TaskProgress) => void peerEvents.push(`${p.taskId} progress`));
    next.onCompleted('t', (task: CompletedTask) => void peerEvents.push(`${task.taskId} completed`));
    await waitFor(() => peerEvents.includes('a completed'), "the peer delivering a's entries");
    expect(peerEvents).toEqual(['a progress', 'a completed']);
    await waitFor(async () => (await peer!.pending()).length === 0, 'the peer acknowledging them');
  });
});
