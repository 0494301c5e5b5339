/** QueueManager.create and registerTaskHandler refuse an unknown option, naming its path and the known ones. */
import { InvalidOptionError, QueueConfigError } from '../errors';
import type { QueueManagerOptions, TaskHandlerOptions } from './manager.types';
import { QueueManager } from './queue-manager';

const memoryConfig = {
  service_name: 'unit',
  message_queue: { type: 'memory', queue_name: 'main' },
  event_bus: { type: 'local' },
  metrics: { default_metrics: false },
};

describe('QueueManager unknown options', () => {
  it('create refuses an unknown key of its options with QueueConfigError at queueManager.<key>', async () => {
    const created = QueueManager.create(memoryConfig, { env: {}, loger: undefined } as QueueManagerOptions);
    await expect(created).rejects.toThrow(QueueConfigError);
    await expect(created).rejects.toMatchObject({ code: 'QUEUE_CONFIG', path: 'queueManager.loger', found: 'loger' });
    await expect(created).rejects.toThrow('queueManager.loger: expected a known option (logger, env), got "loger"');
  });

  it('registerTaskHandler refuses an unknown key with InvalidOptionError at taskHandler.<key>', async () => {
    const manager = await QueueManager.create(memoryConfig, { env: {} });
    try {
      const register = () => manager.registerTaskHandler('t', () => 1, { concurency: 2 } as TaskHandlerOptions);
      expect(register).toThrow(InvalidOptionError);
      expect(register).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', path: 'taskHandler.concurency' }));
      expect(register).toThrow('taskHandler.concurency: expected a known option (queue, concurrency, timeoutMs), got "concurency"');
      // nothing was registered: the type can still be handled
      expect(() => manager.registerTaskHandler('t', () => 1, { concurrency: 2 })).not.toThrow();
    } finally {
      await manager.shutdown();
    }
  });
});
