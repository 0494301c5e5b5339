import { createServer, IncomingMessage, Server } from 'http';
import type { AddressInfo } from 'net';
import Redis from 'ioredis';
import { RedisServerHandle, spawnRedis, uniquePrefix } from '../../testing';
import { createDispatcher } from '../create-dispatcher';
import type { Dispatcher, TaskState, TaskStatus } from '../dispatcher';
import { DispatchTimeoutError, RemoteTaskError } from '../dispatcher-errors';
import { FixtureProcess } from '../testing/child-process';
import { sleep, waitFor } from '../../scheduler/testing/scheduler-test-kit';

// Tests here start child processes (ts-node compiles each first): slow on a busy machine.
jest.setTimeout(150_000);

/** Dispatcher in one process, handler in another (child processes), on a real Redis. */
describe('Dispatcher across processes (Redis)', () => {
  let server: RedisServerHandle;
  let prefix: string;
  let worker: FixtureProcess;
  let client: Redis;
  let api: Dispatcher;
  const children: FixtureProcess[] = [];

  const env = () => ({ REDIS_URL: server.url, PREFIX: prefix });
  const startCaller = async () => {
    const caller = await FixtureProcess.start('dispatcher-caller.ts', env());
    children.push(caller);
    return caller;
  };

  beforeAll(async () => {
    server = await spawnRedis();
    prefix = uniquePrefix('dsp');
    worker = await FixtureProcess.start('dispatcher-worker.ts', env());
    client = server.client();
    api = createDispatcher({
      service: 'api-local',
      backend: { type: 'redis', client, prefix, queuePrefix: prefix },
      routes: {
        slow: { queue: 'worker' },
        flaky: { queue: 'worker', maxRetries: 2 },
        fail: { queue: 'worker', maxRetries: 0 },
        add: { queue: 'worker' },
        sleepy: { queue: 'worker', timeoutMs: 150, maxRetries: 1 },
      },
      webhook: { backoffMs: 50 },
    });
  }, 150_000);

  afterAll(async () => {
    await api?.close();
    await Promise.all(children.map((c) => c.kill()));
    await worker?.stop();
    client?.disconnect();
    await server?.cleanup();
  });

  const snapshots = new Map<TaskState, TaskStatus>();
  async function watchStates(taskId: string, until: TaskState[]): Promise<TaskState[]> {
    const seen: TaskState[] = [];
    snapshots.clear();
    await waitFor(
      async () => {
        const s = await api.getStatus(taskId);
        if (s && seen[seen.length - 1] !== s.state) {
          seen.push(s.state);
          snapshots.set(s.state, s);
        }
        return !!s && until.includes(s.state);
      },
      `task ${taskId} to reach ${until.join('/')}`,
      10_000,
    );
    return seen;
  }

  it('reports status transitions pending -> processing -> completed with result and timestamps', async () => {
    const taskId = await api.dispatch('slow', { ms: 300 }, { delayMs: 200 });
    expect((await api.getStatus(taskId))?.state).toBe('pending');
    const states = await watchStates(taskId, ['completed', 'failed']);
    expect(states).toEqual(['pending', 'processing', 'completed']);
    const status = await api.getStatus(taskId);
    expect(status).toMatchObject({ taskId, state: 'completed', type: 'slow', queue: 'worker', attempts: 1, result: { sleptMs: 300 } });
    expect(status!.createdAt! + 200).toBeLessThanOrEqual(status!.finishedAt!);
    expect(taskId).toBe(`worker:${status!.messageId}`);
  });

  it('shows retrying with the error, then completed; a handler past its timeout gets its signal fired and is retried', async () => {
    const flaky = await api.dispatch('flaky', null);
    const states = await watchStates(flaky, ['completed', 'failed']);
    // the second attempt is instant, so `processing` between the two may not be seen
    expect(states).toContain('retrying');
    expect(states[states.length - 1]).toBe('completed');
    expect(snapshots.get('retrying')).toMatchObject({ attempts: 1, error: { name: 'Error', message: 'first attempt fails' } });
    expect(await api.getStatus(flaky)).toMatchObject({ state: 'completed', attempts: 2, result: 'ok on attempt 2' });
    await expect(api.dispatchAndWait('sleepy', { ms: 10 }, { timeoutMs: 10_000 })).resolves.toBe('done on attempt 2');
  });

  it('request/reply: result, remote error with name and message, timeout', async () => {
    await expect(api.dispatchAndWait('add', { a: 2, b: 3 }, { timeoutMs: 10_000 })).resolves.toBe(5);
    const error = await api.dispatchAndWait('fail', { message: 'amount must be positive' }, { timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteTaskError);
    expect(error).toMatchObject({ name: 'ValidationError', message: 'amount must be positive', remoteName: 'ValidationError' });
    const timeout = await api.dispatchAndWait('slow', { ms: 1000 }, { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(timeout).toBeInstanceOf(DispatchTimeoutError);
    await expect(api.dispatch('nope' as string)).rejects.toMatchObject({ name: 'UnknownRouteError' });
  });

  it('two caller replicas each get only their own replies', async () => {
    const [a, b] = await Promise.all([startCaller(), startCaller()]);
    const ask = (caller: FixtureProcess, who: string, n: number) =>
      caller.request<{ payload: unknown; origin: string }>('wait', { type: 'echo', payload: { who, n }, options: { timeoutMs: 10_000 } });
    const results = await Promise.all(Array.from({ length: 20 }, (_, n) => [ask(a, 'a', n), ask(b, 'b', n)]).flat());
    results.forEach((r, i) => expect(r).toMatchObject({ origin: 'api', payload: { who: i % 2 === 0 ? 'a' : 'b', n: Math.floor(i / 2) } }));
    await Promise.all([a.stop(), b.stop()]);
  });

  it('onCompleted fires once, in a restarted dispatcher process, for a task finished while it was down', async () => {
    const first = await startCaller();
    await first.request('listen');
    const taskId = await first.request<string>('dispatch', { type: 'slow', payload: { ms: 600 } });
    await first.kill(); // the dispatching process dies before the task completes
    const second = await startCaller();
    await waitFor(async () => (await second.request<{ state: string } | null>('status', { taskId }))?.state === 'completed', 'completion', 10_000);
    await second.request('listen');
    await waitFor(() => second.events.some((e) => e.task.taskId === taskId), 'the onCompleted callback', 10_000);
    await sleep(1500); // past claimIdleMs: nothing is delivered a second time
    const mine = second.events.filter((e) => e.task.taskId === taskId);
    expect(mine).toEqual([{ event: 'completed', task: expect.objectContaining({ taskId, type: 'slow', result: { sleptMs: 600 }, attempts: 1 }) }]);
    await second.stop();
  });

  it('onFailed fires once for a task that failed for good', async () => {
    const caller = await startCaller();
    await caller.request('listen');
    const taskId = await caller.request<string>('dispatch', { type: 'fail', payload: { message: 'nope' } });
    await waitFor(() => caller.events.some((e) => e.task.taskId === taskId), 'the onFailed callback', 10_000);
    expect(caller.events.filter((e) => e.task.taskId === taskId)).toEqual([
      { event: 'failed', task: expect.objectContaining({ taskId, error: expect.objectContaining({ name: 'ValidationError', message: 'nope' }) }) },
    ]);
    await caller.stop();
  });

  it('POSTs the result to a webhook, retrying after a first failure', async () => {
    const bodies: unknown[] = [];
    let calls = 0;
    const http: Server = createServer((req: IncomingMessage, res) => {
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => {
        calls++;
        if (calls === 1) {
          res.statusCode = 503;
          res.end('try again');
          return;
        }
        bodies.push(JSON.parse(data));
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/hook`;
      const taskId = await api.dispatch('add', { a: 20, b: 22 }, { webhookUrl: url });
      await waitFor(() => bodies.length === 1, 'the webhook', 10_000);
      expect(calls).toBe(2);
      expect(bodies[0]).toMatchObject({ taskId, type: 'add', state: 'completed', result: 42, attempts: 1 });
      await sleep(300);
      expect(calls).toBe(2);
    } finally {
      await new Promise((resolve) => http.close(resolve));
    }
  });
});
