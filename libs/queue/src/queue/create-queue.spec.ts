/** createQueue refuses a backend it does not have, naming the field, before anything is made. */
import { QueueConfigError } from '../errors';
import { createQueue, CreateQueueOptions } from './create-queue';

describe('createQueue backend', () => {
  const make = (backend: unknown) => () => createQueue({ name: 'q', backend } as CreateQueueOptions);

  it.each([
    ['no backend', undefined, 'queue.backend.type: expected "redis" or "memory", got nothing'],
    ['an unknown type', { type: 'mongo' }, 'queue.backend.type: expected "redis" or "memory", got "mongo"'],
    ['redis without a client', { type: 'redis' }, 'queue.backend.client: expected an ioredis client (createRedisClient), got nothing'],
    [
      'redis with something else',
      { type: 'redis', client: { get: () => undefined } },
      'queue.backend.client: expected an ioredis client (createRedisClient), got',
    ],
  ])('%s: QueueConfigError naming the field', (_what, backend, message) => {
    expect(make(backend)).toThrow(QueueConfigError);
    expect(make(backend)).toThrow(message);
  });

  it('memory needs nothing more', async () => {
    const queue = make({ type: 'memory' })();
    await queue.close();
  });
});
