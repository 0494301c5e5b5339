/** QueueManager on the memory backend: lifecycle, handler registration, stats, readiness, configuration errors. */
import { ConfigValidationError } from '../config/config-errors';
import { InvalidOptionError } from '../errors';
import { waitFor } from '../testing';
import { ComponentDisabledError } from './manager.types';
import { QueueManager } from './queue-manager';

const memoryConfig = {
  service_name: 'unit',
  message_queue: { type: 'memory', queue_name: 'main', queues: { other: { workers: 1 } } },
  task_dispatcher: { routes: { greet: { queue: 'main' } } },
  event_bus: { type: 'local' },
  metrics: { default_metrics: false },
};

describe('QueueManager (memory)', () => {
  it('registers handlers at start, aggregates stats under the seed names and shuts down once', async () => {
    const manager = await QueueManager.create(memoryConfig, { env: {} });
    const seen: string[] = [];
    manager.registerTaskHandler('greet', (payload: { name: string }) => {
      seen.push(payload.name);
      return `hi ${payload.name}`;
    });
    manager.registerTaskHandler('slow', () => 'ok', { queue: 'other', timeoutMs: 1000 });
    manager.onLocalEvent('model_loaded', (event) => void seen.push(`local:${(event.data as { name: string }).name}`));
    await manager.queue().publish({ type: 'greet', payload: { name: 'a' } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toEqual([]); // nothing runs before start
    expect(manager.state).toBe('created');
    await manager.start();
    await waitFor(() => seen.includes('a'));
    await manager.localEvents.emit('model_loaded', { name: 'whisper' });
    await waitFor(() => seen.includes('local:whisper'));
    expect(await manager.dispatcher.dispatchAndWait('greet', { name: 'b' }, { timeoutMs: 2000 })).toBe('hi b');
    await waitFor(async () => (await manager.stats()).message_queue!.total_processed === 2);
    const stats = await manager.stats();
    expect(stats.state).toBe('running');
    expect(stats.message_queue).toMatchObject({ total_published: 2, total_processed: 2, total_failed: 0, dead_letter_count: 0 });
    expect(Object.keys(stats.message_queue!.queues).sort()).toEqual(['main', 'other']);
    expect(stats.local_event_bus).toMatchObject({ total_emitted: 1, total_processed: 1, event_type_count: 1 });
    expect(stats.event_bus?.type).toBe('local');
    expect(stats.task_scheduler).toMatchObject({ total_tasks: 0, active_tasks: 0 });
    expect(stats.task_dispatcher).toMatchObject({ routing_enabled: true, callbacks_enabled: true, handled_types: 2 });
    const first = manager.shutdown({ drainTimeoutMs: 1000 });
    expect(manager.shutdown()).toBe(first);
    await first;
    expect(manager.state).toBe('stopped');
    expect(() => manager.registerTaskHandler('late', () => 1)).toThrow(/not shutting down/);
    expect(() => manager.registerTaskHandler('{"cmd":"x"}', () => 1)).toThrow('taskHandler.type: expected a task type');
  });

  it('enforces the handler timeout and refuses disabled components', async () => {
    const manager = await QueueManager.create(
      {
        ...memoryConfig,
        message_queue: { ...memoryConfig.message_queue, max_retries: 0 },
        task_scheduler: { enabled: false },
        task_dispatcher: { enabled: false, enable_callbacks: false },
      },
      { env: {} },
    );
    let aborted = false;
    manager.registerTaskHandler(
      'hang',
      (_p, ctx) =>
        new Promise((resolve) =>
          ctx.signal.addEventListener('abort', () => {
            aborted = true;
            resolve(undefined);
          }),
        ),
      { timeoutMs: 50 },
    );
    // checked at the call, before start (start used to fail on them, naming `process.concurrency`)
    expect(() => manager.registerTaskHandler('other', () => 1, { concurrency: 0 })).toThrow(
      'taskHandler.concurrency: expected an integer in [1, 10000], got 0',
    );
    expect(() => manager.registerTaskHandler('other', () => 1, { queue: 'bad name' })).toThrow(InvalidOptionError);
    await manager.start();
    // After start a registration runs at once: its errors reach the caller.
    expect(() => manager.registerTaskHandler('other', () => 1, { queue: 'bad name' })).toThrow('taskHandler.queue: expected a queue name');
    const id = await manager.queue().publish({ type: 'hang' });
    await waitFor(async () => (await manager.queue().getStatus(id))?.state === 'dead');
    expect((await manager.queue().getStatus(id))?.error?.name).toBe('TaskTimeoutError');
    expect(aborted).toBe(true);
    expect(() => manager.scheduler).toThrow(ComponentDisabledError);
    expect(() => manager.dispatcher).toThrow('task_dispatcher is disabled in the configuration (task_dispatcher.enabled: false)');
    await manager.shutdown();
  });

  it('stays ready with a backlog over health.max_pending; the queues report names it', async () => {
    const manager = await QueueManager.create({ ...memoryConfig, health: { max_pending: 1 } }, { env: {} });
    expect((await manager.readiness()).ok).toBe(false); // not started yet
    await manager.start();
    // No handler for "later": the messages wait in the queue.
    for (let i = 0; i < 3; i++) await manager.queue().publish({ type: 'later' });
    const ready = await manager.readiness();
    expect(ready).toEqual({ ok: true, checks: [{ name: 'manager', ok: true, detail: { state: 'running' } }] });
    const queues = await manager.queueHealth();
    expect(queues.ok).toBe(false);
    expect(queues.checks.find((c) => c.name === 'queue:main')).toEqual({
      name: 'queue:main',
      ok: false,
      detail: { pending: 3, maxPending: 1, deadLetters: 0, maxDeadLetters: 100 },
    });
    expect(queues.checks.find((c) => c.name === 'queue:other')).toMatchObject({ ok: true, detail: { pending: 0 } });
    await manager.shutdown({ drainTimeoutMs: 1000 });
    expect((await manager.readiness()).ok).toBe(false);
  });

  it('rejects a bad configuration with every problem', async () => {
    await expect(QueueManager.create({ message_queue: { workers: 'four' }, redis: { port: 0 } }, { env: {} })).rejects.toThrow(ConfigValidationError);
  });
});
