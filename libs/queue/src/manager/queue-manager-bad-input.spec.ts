/**
 * QueueManager refuses bad registrations at the call, with InvalidOptionError naming the argument,
 * before start too: nothing is kept that would dead-letter every message or make `start` fail.
 */
import type { EventHandler } from '../events/event-bus';
import { waitFor } from '../testing';
import type { ManagedTaskHandler, TaskHandlerOptions } from './manager.types';
import { QueueManager } from './queue-manager';

const memoryConfig = {
  service_name: 'unit',
  message_queue: { type: 'memory', queue_name: 'main', max_retries: 0 },
  event_bus: { type: 'local' },
  metrics: { default_metrics: false },
};

const refusal = (path: string) => expect.objectContaining({ code: 'INVALID_OPTION', path });

describe('QueueManager bad input', () => {
  let manager: QueueManager;
  afterEach(async () => {
    await manager?.shutdown({ drainTimeoutMs: 100 });
  });

  it('create refuses null, a scalar or an array as the configuration, before connecting anywhere', async () => {
    for (const input of [null, 'redis://h', 5, []]) {
      await expect(QueueManager.create(input as unknown as Parameters<typeof QueueManager.create>[0], { env: {} })).rejects.toMatchObject(
        refusal('queueManager.config'),
      );
    }
  });

  it('registerTaskHandler (dispatcher off) refuses a handler that is not a function; the type can still be handled', async () => {
    manager = await QueueManager.create({ ...memoryConfig, task_dispatcher: { enabled: false, enable_callbacks: false } }, { env: {} });
    for (const handler of [undefined, null, 'fn', {}]) {
      expect(() => manager.registerTaskHandler('t', handler as unknown as ManagedTaskHandler)).toThrow(refusal('taskHandler.handler'));
    }
    expect(() => manager.registerTaskHandler('t', undefined as unknown as ManagedTaskHandler)).toThrow('taskHandler.handler: expected a function, got nothing');
    expect(manager.handlerCount).toBe(0);
    const seen: unknown[] = [];
    manager.registerTaskHandler('t', (payload) => void seen.push(payload));
    await manager.start();
    await manager.queue().publish({ type: 't', payload: { n: 1 } });
    await waitFor(() => seen.length === 1, 'the handler registered after the refused one');
    expect(seen).toEqual([{ n: 1 }]);
    expect((await manager.queue().stats()).dead_letter_count).toBe(0);
  });

  it('registerTaskHandler refuses options that are not an object at taskHandler.options', async () => {
    manager = await QueueManager.create(memoryConfig, { env: {} });
    for (const options of [null, 'main', 5, ['main']]) {
      expect(() => manager.registerTaskHandler('t', () => 1, options as unknown as TaskHandlerOptions)).toThrow(refusal('taskHandler.options'));
    }
    expect(() => manager.registerTaskHandler('t', () => 1, undefined)).not.toThrow();
  });

  it('subscribe and onLocalEvent before start refuse a bad channel, handler or option at once; start then runs', async () => {
    manager = await QueueManager.create(memoryConfig, { env: {} });
    const fn = () => undefined;
    expect(() => manager.subscribe('bad channel!', fn)).toThrow(refusal('subscribe.channel'));
    expect(() => manager.subscribe('ok', 'notfn' as unknown as EventHandler)).toThrow(refusal('subscribe.handler'));
    expect(() => manager.subscribe('ok', fn, { onec: true } as never)).toThrow(refusal('subscribe.options.onec'));
    expect(() => manager.subscribe('ok', fn, { onec: true } as never)).toThrow('subscribe.options.onec: expected a known option (once), got "onec"');
    expect(() => manager.subscribe('ok', fn, { once: 'yes' } as never)).toThrow(refusal('subscribe.options.once'));
    expect(() => manager.subscribe('ok', fn, null as never)).toThrow(refusal('subscribe.options'));
    expect(() => manager.onLocalEvent('', fn)).toThrow(refusal('on.type'));
    expect(() => manager.onLocalEvent('model_loaded', 42 as unknown as EventHandler)).toThrow(refusal('on.handler'));
    const seen: string[] = [];
    const subscribed = manager.subscribe('ok.*', (e) => void seen.push(`bus:${e.type}`), { once: true });
    void manager.onLocalEvent('model_*', (e) => void seen.push(`local:${e.type}`));
    await manager.start();
    await subscribed;
    expect(manager.state).toBe('running');
    await manager.events.publish('ok.a', 'first');
    await manager.localEvents.emit('model_loaded', {});
    await waitFor(() => seen.length === 2, 'the event and the local event');
    expect(seen.sort()).toEqual(['bus:first', 'local:model_loaded']);
  });
});
