/**
 * The drain time of close() and shutdown(): one check (`drainTimeoutOf`) for the queue, the event
 * buses and the manager. NaN or a negative value aborted the running handlers at once, a misspelt
 * key was ignored (the default used), a string or a value past what a timer can wait went on unchecked.
 */
import { InvalidOptionError } from '../errors';
import { createEventBus } from '../events/create-event-bus';
import { QueueManager } from '../manager/queue-manager';
import { createQueue } from '../queue/create-queue';
import { drainTimeoutOf } from './fields';
import { quietLogger } from '../testing';

describe('drainTimeoutOf', () => {
  it('takes the fallback when absent, the value when a timer can wait it', () => {
    expect(drainTimeoutOf(undefined, 'close', 10_000)).toBe(10_000);
    expect(drainTimeoutOf({}, 'close', 5000)).toBe(5000);
    expect(drainTimeoutOf({ drainTimeoutMs: 0 }, 'close', 5000)).toBe(0);
    expect(drainTimeoutOf({ drainTimeoutMs: 2_147_483_647 }, 'close', 5000)).toBe(2_147_483_647);
  });

  it.each([
    [{ drainTimeoutMs: 2_147_483_648 }, 'close.drainTimeoutMs'],
    [{ drainTimeoutMs: Number.NaN }, 'close.drainTimeoutMs'],
    [{ drainTimeoutMs: -5 }, 'close.drainTimeoutMs'],
    [{ drainTimeoutMs: '1000' }, 'close.drainTimeoutMs'],
    [{ drainTimoutMs: 1000 }, 'close.drainTimoutMs'],
    [5000, 'close'],
    [null, 'close'],
  ])('%p is refused naming %s', (options, path) => {
    expect(() => drainTimeoutOf(options, 'close', 10_000)).toThrow(InvalidOptionError);
    try {
      drainTimeoutOf(options, 'close', 10_000);
    } catch (error) {
      expect((error as InvalidOptionError).path).toBe(path);
    }
  });
});

describe('close() and shutdown() refuse a bad drain time, and stay usable', () => {
  it('queue.close rejects naming close.drainTimeoutMs; a later close works', async () => {
    const queue = createQueue({ name: 'drain', backend: { type: 'memory' } });
    await expect(queue.close({ drainTimeoutMs: 3_000_000_000 })).rejects.toThrow(/close\.drainTimeoutMs: expected an integer in \[0, 2147483647\]/);
    await queue.publish({ type: 't' }); // still open
    await expect(queue.close({ drainTimeoutMs: 100 })).resolves.toBeUndefined();
  });

  it('bus.close rejects naming close.drainTimeoutMs', async () => {
    const bus = createEventBus({ type: 'local', logger: quietLogger });
    await expect(bus.close({ drainTimeoutMs: -1 })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(bus.close({ drainTimeoutMs: 0 })).resolves.toBeDefined();
  });

  it('manager.shutdown rejects naming shutdown.drainTimeoutMs; exitOnSignals refuses it when called, not at the signal', async () => {
    const manager = await QueueManager.create(
      { message_queue: { type: 'memory' }, event_bus: { type: 'local' }, metrics: { enabled: false } },
      { logger: quietLogger, env: {} },
    );
    expect(() => manager.exitOnSignals({ drainTimeoutMs: Number.NaN })).toThrow(/exitOnSignals\.drainTimeoutMs/);
    await expect(manager.shutdown({ drainTimeoutMs: 1e12 })).rejects.toThrow(/shutdown\.drainTimeoutMs/);
    expect(manager.state).not.toBe('stopped');
    await manager.shutdown({ drainTimeoutMs: 100 });
    expect(manager.state).toBe('stopped');
  });
});
