import { createServer, Server } from 'http';
import type { AddressInfo } from 'net';
import { InvalidOptionError, TaskTimeoutError } from '../errors';
import { StoreBackedQueue } from '../queue/task-queue';
import { RedisServerHandle, spawnRedis, uniquePrefix } from '../testing';
import { sleep, waitFor } from '../scheduler/testing/scheduler-test-kit';
import type { CompletedTask, Dispatcher, FailedTask, TaskProgress } from './dispatcher';
import { DispatchTimeoutError, RemoteTaskError, UnknownRouteError } from './dispatcher-errors';
import { DispatcherKit, memoryDispatcherKit, redisDispatcherKit } from './testing/dispatcher-test-kit';

/** Conformance suite: the same behaviour on every backend (caller and handler in this process). */
let server: RedisServerHandle;
beforeAll(async () => {
  server = await spawnRedis();
});
afterAll(async () => {
  await server?.cleanup();
});

const ROUTES = {
  'media.transcode': { queue: 'media', priority: 'high' as const },
  'media.fail': { queue: 'media', maxRetries: 1 },
  'media.slow': { queue: 'media' },
  'media.hang': { queue: 'media', timeoutMs: 80, maxRetries: 1 },
  'media.quick': { queue: 'media' },
  'media.progress': { queue: 'media' },
  'archive.store': { queue: 'archive' },
};

class QuotaError extends Error {
  name = 'QuotaError';
}

describe.each([
  ['memory', () => memoryDispatcherKit()],
  ['redis', () => redisDispatcherKit(() => server.client(), uniquePrefix('dsp'))],
] as Array<[string, () => DispatcherKit]>)('Dispatcher conformance (%s)', (_name, makeKit) => {
  let kit: DispatcherKit;
  let api: Dispatcher;
  let media: Dispatcher;
  const aborts: unknown[] = [];
  /** media.progress waits for this after its last report, when set. */
  let gate: Promise<void> | undefined;

  beforeEach(() => {
    kit = makeKit();
    api = kit.dispatcher({ service: 'api', routes: ROUTES, webhook: { backoffMs: 20 } });
    media = kit.dispatcher({ service: 'media', routes: {} });
    media.handle<{ file: string }>('media.transcode', ({ file }, ctx) => ({
      out: `${file}.mp4`,
      origin: ctx.origin,
      priority: ctx.message.priority,
      group: ctx.message.group ?? null,
    }));
    media.handle('media.fail', () => {
      throw new QuotaError('quota exceeded');
    });
    media.handle<{ ms: number }>('media.slow', async ({ ms }) => {
      await sleep(ms);
      return ms;
    });
    media.handle<{ steps: number }>('media.progress', async ({ steps }, ctx) => {
      for (let i = 1; i <= steps; i++) await ctx.progress({ step: i, of: steps });
      await gate;
      return 'done';
    });
    media.handle('media.hang', async (_p, ctx) => {
      if (ctx.attempt > 1) return 'second attempt';
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      aborts.push(ctx.signal.reason);
      return 'ignored';
    });
  });
  afterEach(async () => {
    await kit.close();
    aborts.length = 0;
    gate = undefined;
  });

  it('routes a task, tracks its status and calls onCompleted once', async () => {
    const completed: CompletedTask[] = [];
    api.onCompleted('media.transcode', (t) => void completed.push(t));
    const taskId = await api.dispatch('media.transcode', { file: 'a' });
    await waitFor(() => completed.length === 1, 'onCompleted');
    expect(completed[0]).toMatchObject({ taskId, type: 'media.transcode', result: { out: 'a.mp4', origin: 'api', priority: 'high' }, attempts: 1 });
    // the outcome event is written just before the queue acknowledges the message
    await waitFor(async () => (await api.getStatus(taskId))?.state === 'completed', 'the acknowledgement');
    expect(await api.getStatus(taskId)).toMatchObject({ state: 'completed', queue: 'media', attempts: 1, result: { out: 'a.mp4' } });
    expect(await api.getStatus('unknown-task')).toBeNull();
    await sleep(300);
    expect(completed).toHaveLength(1);
  });

  it('rejects an unknown type; with routing disabled publishes to the local queue', async () => {
    await expect(api.dispatch('nobody.handles', {})).rejects.toBeInstanceOf(UnknownRouteError);
    const local = kit.dispatcher({ service: 'solo', routingEnabled: false });
    local.handle('anything', (p: { x: number }) => p.x * 2);
    await expect(local.dispatchAndWait('anything', { x: 21 }, { timeoutMs: 5000 })).resolves.toBe(42);
  });

  it('dispatchBatch publishes many in one publishBatch per queue', async () => {
    const completed: CompletedTask[] = [];
    api.onCompleted('*', (t) => void completed.push(t));
    const publishBatch = jest.spyOn(StoreBackedQueue.prototype, 'publishBatch');
    const publish = jest.spyOn(StoreBackedQueue.prototype, 'publish');
    let ids: string[];
    try {
      ids = await api.dispatchBatch(Array.from({ length: 25 }, (_, i) => ({ type: 'media.transcode', payload: { file: `f${i}` } })));
      expect(publishBatch).toHaveBeenCalledTimes(1);
      expect(publishBatch.mock.calls[0][0]).toHaveLength(25);
      expect(publish).not.toHaveBeenCalled();
    } finally {
      publishBatch.mockRestore();
      publish.mockRestore();
    }
    expect(new Set(ids).size).toBe(25);
    await waitFor(() => completed.length === 25, '25 completions');
    expect(completed.map((c) => c.taskId).sort()).toEqual([...ids].sort());
    await expect(api.dispatchBatch([{ type: 'media.transcode' }, { type: 'media.transcode', options: { priority: 'urgent' as never } }])).rejects.toMatchObject(
      { path: 'dispatchBatch[1].options.priority' },
    );
  });

  it('request/reply resolves with the result, rejects with the remote error or a timeout', async () => {
    await expect(api.dispatchAndWait('media.transcode', { file: 'b' }, { timeoutMs: 5000 })).resolves.toMatchObject({ out: 'b.mp4' });
    const remote = await api.dispatchAndWait('media.fail', {}, { timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(remote).toBeInstanceOf(RemoteTaskError);
    expect(remote).toMatchObject({ name: 'QuotaError', message: 'quota exceeded' });
    const late = await api.dispatchAndWait('media.slow', { ms: 50 }, { timeoutMs: 100, delayMs: 1000 }).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(DispatchTimeoutError);
    expect(late).toMatchObject({ cancelled: true });
  });

  it('request/reply: a reply that arrives before the publish answered is kept for its caller', async () => {
    const original = StoreBackedQueue.prototype.publishBatch;
    const early = (api as unknown as { replies: { early: Map<string, unknown> } }).replies.early;
    let handled = 0;
    media.handle('media.quick', () => ++handled);
    const publishBatch = jest.spyOn(StoreBackedQueue.prototype, 'publishBatch').mockImplementationOnce(async function (this: StoreBackedQueue, messages) {
      const ids = await original.call(this, messages);
      await waitFor(() => handled === 1 && early.size === 1, 'the reply to be read before the publish answers');
      return ids;
    });
    try {
      await expect(api.dispatchAndWait('media.quick', null, { timeoutMs: 5000 })).resolves.toBe(1);
      expect(early.size).toBe(0);
    } finally {
      publishBatch.mockRestore();
    }
  });

  it('calls onFailed once after the retries, with the status showing the error', async () => {
    const failed: FailedTask[] = [];
    api.onFailed('media.fail', (t) => void failed.push(t));
    const taskId = await api.dispatch('media.fail');
    await waitFor(() => failed.length === 1, 'onFailed');
    expect(failed[0]).toMatchObject({ taskId, attempts: 2, error: { name: 'QuotaError', message: 'quota exceeded' } });
    await waitFor(async () => (await api.getStatus(taskId))?.state === 'failed', 'the dead letter');
    expect(await api.getStatus(taskId)).toMatchObject({ state: 'failed', attempts: 2, error: { name: 'QuotaError' } });
    await sleep(200);
    expect(failed).toHaveLength(1);
  });

  it('fires the AbortSignal of a handler past its route timeout and retries it', async () => {
    await expect(api.dispatchAndWait('media.hang', null, { timeoutMs: 5000 })).resolves.toBe('second attempt');
    expect(aborts).toHaveLength(1);
    expect(aborts[0]).toBeInstanceOf(TaskTimeoutError);
  });

  it('POSTs the outcome to the webhook with a retry after a failure', async () => {
    let calls = 0;
    const bodies: unknown[] = [];
    const http: Server = createServer((req, res) => {
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => {
        res.statusCode = ++calls === 1 ? 500 : 200;
        if (calls > 1) bodies.push(JSON.parse(data));
        res.end();
      });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/done`;
      const taskId = await api.dispatch('media.fail', null, { webhookUrl: url });
      await waitFor(() => bodies.length === 1, 'the webhook');
      expect(bodies[0]).toMatchObject({ taskId, state: 'failed', error: { name: 'QuotaError' } });
      expect(calls).toBe(2);
    } finally {
      await new Promise((resolve) => http.close(resolve));
    }
  });

  it('keeps a status as long as the queue keeps the message (completedRetention)', async () => {
    const brief = kit.dispatcher({ service: 'brief', routingEnabled: false }, { completedRetention: { count: 1 } });
    brief.handle('quick', (p: number) => p);
    const first = await brief.dispatch('quick', 1);
    await waitFor(async () => (await brief.getStatus(first))?.state === 'completed', 'completion');
    const second = await brief.dispatch('quick', 2);
    await waitFor(async () => (await brief.getStatus(second))?.state === 'completed', 'completion');
    expect(await brief.getStatus(first)).toBeNull();
    expect(await brief.getStatus(second)).toMatchObject({ result: 2 });
  });

  it("one status view: the task id names its queue message and getStatus is that message's status", async () => {
    const taskId = await api.dispatch('media.transcode', { file: 'later' }, { delayMs: 60_000 });
    const [queueName, messageId] = [taskId.slice(0, taskId.lastIndexOf(':')), taskId.slice(taskId.lastIndexOf(':') + 1)];
    expect(queueName).toBe('media');
    const media = kit.queue('media');
    const message = await media.getStatus(messageId);
    expect(message).toMatchObject({ state: 'delayed', type: 'media.transcode', priority: 'high' });
    expect(await api.getStatus(taskId)).toEqual({
      taskId,
      state: 'pending',
      type: 'media.transcode',
      queue: 'media',
      messageId,
      attempts: 0,
      createdAt: message!.createdAt,
      nextAt: message!.nextAt,
    });
    // no second record: once the message is gone, so is the task
    expect(await media.cancel(messageId)).toBe(true);
    expect(await api.getStatus(taskId)).toBeNull();
    // ids of queues the dispatcher does not use are not looked up
    expect(await api.getStatus(`elsewhere:${messageId}`)).toBeNull();
  });

  it('a failed publish leaves nothing behind (the publish is the only write)', async () => {
    const media = kit.queue('media');
    const before = (await media.stats()).total_published;
    const publishBatch = jest.spyOn(StoreBackedQueue.prototype, 'publishBatch').mockRejectedValueOnce(new Error('connection lost'));
    try {
      await expect(api.dispatch('media.transcode', { file: 'x' })).rejects.toThrow('connection lost');
    } finally {
      publishBatch.mockRestore();
    }
    expect((await media.stats()).total_published).toBe(before);
    const taskId = await api.dispatch('media.transcode', { file: 'y' });
    expect((await media.stats()).total_published).toBe(before + 1);
    expect(await api.getStatus(taskId)).not.toBeNull();
  });

  it('progress reaches the caller: onProgress of the origin, the status, and dispatchAndWait in order', async () => {
    const seen: TaskProgress[] = [];
    api.onProgress('media.progress', (p) => void seen.push(p));
    let open!: () => void;
    gate = new Promise<void>((resolve) => (open = resolve));
    const taskId = await api.dispatch('media.progress', { steps: 3 });
    await waitFor(() => seen.some((p) => (p.progress as { step: number }).step === 3), 'the last progress report');
    expect(seen.map((p) => p.progress)).toEqual([1, 2, 3].map((step) => ({ step, of: 3 })));
    expect(seen[0]).toMatchObject({ taskId, type: 'media.progress', attempt: 1 });
    // the queue's record and the report to the origin are two writes, each throttled on its own:
    // the status shows the last value once its own write is done
    await waitFor(async () => ((await api.getStatus(taskId))?.progress as { step?: number } | undefined)?.step === 3, 'the status to show the last progress');
    expect(await api.getStatus(taskId)).toMatchObject({ state: 'processing', progress: { step: 3, of: 3 } });
    open();
    await waitFor(async () => (await api.getStatus(taskId))?.state === 'completed', 'completion');
    expect(await api.getStatus(taskId)).not.toHaveProperty('progress');

    gate = undefined;
    const reports: unknown[] = [];
    await expect(api.dispatchAndWait('media.progress', { steps: 2 }, { timeoutMs: 5000, onProgress: (p) => reports.push(p.progress) })).resolves.toBe('done');
    expect(reports).toEqual([1, 2].map((step) => ({ step, of: 2 })));
    await expect(api.dispatchAndWait('media.quick', null, { timeoutMs: 5000, onProgress: 'no' as never })).rejects.toMatchObject({
      path: 'dispatchAndWait.options.onProgress',
    });
  });

  it('a dispatch nobody listens to for progress passes none on; one after onProgress does', async () => {
    const unheard = await api.dispatch('media.progress', { steps: 2 });
    await waitFor(async () => (await api.getStatus(unheard))?.state === 'completed', 'completion');
    const seen: TaskProgress[] = [];
    api.onProgress('*', (p) => void seen.push(p));
    const later = await api.dispatch('media.progress', { steps: 1 });
    await waitFor(() => seen.some((p) => p.taskId === later), 'the progress of the dispatch after onProgress');
    expect(seen.map((p) => p.taskId)).toEqual([later]);
    expect(seen[0]).toMatchObject({ progress: { step: 1, of: 1 } });
  });

  it('passes a group through to the queue message (fair sharing of the target queue)', async () => {
    await expect(api.dispatchAndWait('media.transcode', { file: 'g' }, { group: 'meeting-7', timeoutMs: 5000 })).resolves.toMatchObject({ group: 'meeting-7' });
    await expect(api.dispatchAndWait('media.transcode', { file: 'u' }, { timeoutMs: 5000 })).resolves.toMatchObject({ group: null });
    await expect(api.dispatch('media.transcode', {}, { group: 'a b' })).rejects.toMatchObject({ path: 'dispatch.options.group' });
  });

  it('refuses a payload JSON would change, named as the call made, before any queue is written; walked once', async () => {
    const media = kit.queue('media');
    const before = (await media.stats()).total_published;
    await expect(api.dispatch('media.transcode', { stats: { avg: NaN } })).rejects.toMatchObject({
      path: 'dispatch.payload.stats.avg',
      expected: 'a finite number (JSON writes NaN as null)',
    });
    await expect(api.dispatch('media.transcode', 10n)).rejects.toMatchObject({ path: 'dispatch.payload' });
    await expect(api.dispatchAndWait('media.transcode', new Map(), { timeoutMs: 5000 })).rejects.toMatchObject({
      path: 'dispatchAndWait.payload',
      expected: 'a plain object or array (JSON writes a Map as {})',
    });
    // a batch for two queues: the bad member is refused before the other queue's publish is sent
    const batch = [
      { type: 'media.transcode', payload: { file: 'a' } },
      { type: 'archive.store', payload: { tags: new Set(['x']) } },
    ];
    await expect(api.dispatchBatch(batch)).rejects.toMatchObject({ path: 'dispatchBatch[1].payload.tags' });
    expect((await media.stats()).total_published).toBe(before);
    // checked once by the dispatcher, then written once by the queue (the queue does not walk the envelope again)
    let reads = 0;
    const payload = {
      get file(): string {
        reads++;
        return 'once';
      },
    };
    await expect(api.dispatchAndWait('media.transcode', payload, { timeoutMs: 5000 })).resolves.toMatchObject({ out: 'once.mp4' });
    expect(reads).toBe(2);
  });

  it('names bad options', async () => {
    await expect(api.dispatch('media.transcode', {}, { webhookUrl: 'ftp://x' })).rejects.toMatchObject({ path: 'dispatch.options.webhookUrl' });
    await expect(api.dispatch('media.transcode', {}, { bogus: 1 } as never)).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(api.dispatchAndWait('media.transcode', {}, { timeoutMs: 0 })).rejects.toMatchObject({ path: 'dispatchAndWait.options.timeoutMs' });
    // the task's own time limit is named as given, not as the wait it is not
    await expect(api.dispatchAndWait('media.transcode', {}, { taskTimeoutMs: -1 })).rejects.toMatchObject({ path: 'dispatchAndWait.options.taskTimeoutMs' });
    // the bounds of a publish, named as the dispatch's options (they were reported as publishBatch[0].maxRetries)
    await expect(api.dispatch('media.transcode', {}, { maxRetries: 5000 })).rejects.toMatchObject({ path: 'dispatch.options.maxRetries' });
    await expect(api.dispatch('media.transcode', {}, { delayMs: 1e12 })).rejects.toMatchObject({ path: 'dispatch.options.delayMs' });
    // a timer longer than 2^31 - 1 ms would fire at once
    await expect(api.dispatchAndWait('media.transcode', {}, { timeoutMs: 2 ** 31 })).rejects.toMatchObject({ path: 'dispatchAndWait.options.timeoutMs' });
  });
});
