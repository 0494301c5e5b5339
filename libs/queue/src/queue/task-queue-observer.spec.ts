import { createQueue } from './create-queue';
import type { Priority } from './queue.types';

describe('StoreBackedQueue observer', () => {
  test('publishBatch reports each run of one type and priority once, with its count', async () => {
    const calls: Array<[string, string, Priority, number]> = [];
    const queue = createQueue({
      name: 'observed',
      backend: { type: 'memory' },
      observer: { published: (q, type, priority, count) => calls.push([q, type, priority, count]) },
    });
    try {
      await queue.publishBatch([
        { type: 'a' },
        { type: 'a', priority: 'normal' },
        { type: 'a', priority: 'high' },
        { type: 'b', priority: 'high' },
        { type: 'b', priority: 'high' },
        { type: 'a' },
      ]);
      await queue.publish({ type: 'c', priority: 'low' });
      expect(calls).toEqual([
        ['observed', 'a', 'normal', 2],
        ['observed', 'a', 'high', 1],
        ['observed', 'b', 'high', 2],
        ['observed', 'a', 'normal', 1],
        ['observed', 'c', 'low', 1],
      ]);
    } finally {
      await queue.close();
    }
  });
});
