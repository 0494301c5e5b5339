/** createScheduler and Scheduler.process refuse an unknown option, naming its path and the known ones. */
import { InvalidOptionError, QueueConfigError } from '../errors';
import { createQueue } from '../queue/create-queue';
import { createScheduler, CreateSchedulerOptions } from './create-scheduler';

const make = (options: object) => () => createScheduler({ autoStart: false, ...options } as CreateSchedulerOptions);

describe('createScheduler unknown options', () => {
  it('refuses an unknown top-level key with QueueConfigError naming it and listing the options', () => {
    const create = make({ backend: { type: 'memory' }, missedGrace: 10 });
    expect(create).toThrow(QueueConfigError);
    expect(create).toThrow(expect.objectContaining({ code: 'QUEUE_CONFIG', path: 'scheduler.missedGrace', found: 'missedGrace' }));
    expect(create).toThrow(
      'scheduler.missedGrace: expected a known option (backend, name, queues, defaultQueue, missedPolicy, missedGraceMs, maxIdleMs, activeTtlMs, autoStart, logger), got "missedGrace"',
    );
  });

  it.each([
    ['a memory backend', { type: 'memory', prefix: 'sch' }, 'scheduler.backend.prefix: expected a known option (type, store), got "prefix"'],
    [
      'a redis backend',
      { type: 'redis', queuePrefx: 'mq' },
      'scheduler.backend.queuePrefx: expected a known option (client, queuePrefix, durability, onDurabilityTimeout, queuePartitions, type, prefix), got "queuePrefx"',
    ],
    [
      'the durability of a redis backend',
      { type: 'redis', durability: { replica: 1 } },
      'scheduler.backend.durability.replica: expected a known option (replicas, timeoutMs)',
    ],
  ])('refuses an unknown key of %s', (_what, backend, message) => {
    expect(make({ backend })).toThrow(QueueConfigError);
    expect(make({ backend })).toThrow(message);
  });
});

describe('Scheduler.process unknown options', () => {
  it('refuses an unknown key with InvalidOptionError at process.<key>', async () => {
    const queue = createQueue({ name: 'jobs', backend: { type: 'memory' } });
    const scheduler = make({ backend: { type: 'memory' }, queues: [queue], defaultQueue: 'jobs' })();
    try {
      const register = () => scheduler.process('t', () => undefined, { concurency: 2 } as object);
      expect(register).toThrow(InvalidOptionError);
      expect(register).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', path: 'process.concurency' }));
      expect(register).toThrow('process.concurency: expected a known option (queue, concurrency), got "concurency"');
    } finally {
      await scheduler.close();
      await queue.close();
    }
  });
});
