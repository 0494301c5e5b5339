/**
 * `dispatcher.close({ drainTimeoutMs })` and the manager's shutdown are bounded by the drain time
 * when a webhook endpoint hangs (docs/dispatcher.md, "Results, callbacks and webhooks"): the request
 * is aborted and the result stays pending, so another instance of the service posts it.
 */
import { InvalidOptionError } from '../errors';
import type { QueueLogger } from '../logger';
import { QueueManager } from '../manager/queue-manager';
import { quietLogger, uniquePrefix, useTestRedis, waitFor } from '../testing';
import { within } from '../util/retry';
import { DispatcherKit, memoryDispatcherKit, redisDispatcherKit } from './testing/dispatcher-test-kit';
import { receiver, WebhookReceiver } from './testing/webhook-receiver';

const redis = useTestRedis({ spawn: true });

/** A webhook that never answers takes 3 x 20 s plus the backoffs (over a minute) to fail for good. */
const SLOW_WEBHOOK = { attempts: 3, backoffMs: 500, timeoutMs: 20_000 };
/** Generous for a busy machine, far under the webhook's worst case (and under one try's timeout). */
const CLOSE_BOUND_MS = 10_000;
const ROUTES = { job: { queue: 'worker' } };

describe.each([
  ['memory', () => memoryDispatcherKit()],
  ['redis', () => redisDispatcherKit(() => redis.newClient(), uniquePrefix('dc'))],
] as Array<[string, () => DispatcherKit]>)('Dispatcher.close with a drain time (%s)', (_name, makeKit) => {
  let kit: DispatcherKit;
  let hook: WebhookReceiver;
  let hold: boolean;

  beforeEach(async () => {
    kit = makeKit();
    hold = true;
    hook = await receiver((_req, res) => (hold ? undefined : res.writeHead(204).end()));
  });
  afterEach(async () => {
    await hook.close();
    await kit.close();
  });

  it('aborts the hanging webhook at the drain time; another instance of the service posts it', async () => {
    const api = kit.dispatcher({ service: 'api', routes: ROUTES, webhook: SLOW_WEBHOOK, claimIdleMs: 300, logger: quietLogger });
    kit.dispatcher({ service: 'worker', logger: quietLogger }).handle('job', () => 'done');
    const taskId = await api.dispatch('job', {}, { webhookUrl: `${hook.url}/hook` });
    await waitFor(() => hook.received.length === 1, 'the webhook request held');

    await within(api.close({ drainTimeoutMs: 100 }), CLOSE_BOUND_MS, 'close with a drain time');
    await waitFor(() => hook.received[0].closed, 'the held request closed by the abort');

    hold = false;
    const restarted = kit.dispatcher({ service: 'api', routes: ROUTES, webhook: { backoffMs: 20 }, claimIdleMs: 300, logger: quietLogger });
    const completed: string[] = [];
    restarted.onCompleted('job', (task) => void completed.push(task.taskId)); // starts reading the results
    await waitFor(() => hook.received.length === 2 && hook.received[1].closed, 'the other instance posting the webhook');
    await waitFor(() => completed.length === 1, 'its onCompleted');
    expect(completed).toEqual([taskId]);
    expect(hook.received.map((r) => r.headers['webhook-id'])).toEqual([taskId, taskId]);
    expect(JSON.parse(hook.received[1].body)).toMatchObject({ taskId, state: 'completed', result: 'done' });
  });
});

describe('Dispatcher.close options', () => {
  it('refuses a bad drain time naming close.drainTimeoutMs, closing nothing', async () => {
    const kit = memoryDispatcherKit();
    try {
      const api = kit.dispatcher({ service: 'api', routingEnabled: false });
      await expect(api.close({ drainTimeoutMs: -1 })).rejects.toThrow(InvalidOptionError);
      await expect(api.close({ drainTimeoutMs: -1 })).rejects.toThrow(/close\.drainTimeoutMs/);
      api.handle('t', () => 1);
      expect(await api.dispatchAndWait('t', {}, { timeoutMs: 5000 })).toBe(1); // still open
      await expect(api.close({ drainTimeoutMs: 0 })).resolves.toBeUndefined();
    } finally {
      await kit.close();
    }
  });
});

describe('QueueManager.shutdown', () => {
  it('closes the dispatcher within what is left of the drain time: a hanging webhook does not hold the shutdown', async () => {
    const errors: string[] = [];
    const logger: QueueLogger = { ...quietLogger, error: (line) => void errors.push(line), child: () => logger };
    const hook = await receiver(() => undefined);
    const manager = await QueueManager.create(
      {
        service_name: 'api',
        message_queue: { type: 'memory', queue_name: 'main' },
        task_dispatcher: { routes: { job: { queue: 'main' } } },
        event_bus: { type: 'local' },
        metrics: { default_metrics: false },
      },
      { env: {}, logger },
    );
    try {
      manager.registerTaskHandler('job', () => 'done');
      await manager.start();
      await manager.dispatcher.dispatch('job', {}, { webhookUrl: `${hook.url}/hook` });
      await waitFor(() => hook.received.length === 1, 'the webhook request held');
      await manager.shutdown({ drainTimeoutMs: 200 });
      // without the drain time the dispatcher's close outlasts the shutdown's bound, which logs it
      expect(errors.filter((line) => line.includes('dispatchers'))).toEqual([]);
      await waitFor(() => hook.received[0].closed, 'the held request closed by the abort');
    } finally {
      await manager.shutdown();
      await hook.close();
    }
  });
});
