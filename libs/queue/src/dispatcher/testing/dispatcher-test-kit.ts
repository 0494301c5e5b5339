/** Helpers shared by the dispatcher specs (not public API): a caller service "api" and a handling service "worker". */
import type Redis from 'ioredis';
import { createQueue } from '../../queue/create-queue';
import type { QueueOptions } from '../../queue/queue-options';
import type { StoreBackedQueue } from '../../queue/task-queue';
import { createDispatcher, CreateDispatcherOptions } from '../create-dispatcher';
import type { Dispatcher } from '../dispatcher';
import { MemoryDispatchHub } from '../memory/memory-dispatcher-store';

export interface DispatcherKit {
  /** The queue of a service (memory: shared instances; redis: one per call site). */
  queue(name: string): StoreBackedQueue;
  /** A dispatcher; `queueOptions` go to its local queue when this kit creates it. */
  dispatcher(options: Omit<CreateDispatcherOptions, 'backend'>, queueOptions?: Partial<QueueOptions>): Dispatcher;
  close(): Promise<void>;
}

const QUEUE_OPTIONS = { backoff: { baseMs: 30, jitter: 0 }, concurrency: 8 };

export function memoryDispatcherKit(): DispatcherKit {
  const hub = new MemoryDispatchHub();
  const queues = new Map<string, StoreBackedQueue>();
  const dispatchers: Dispatcher[] = [];
  const queue = (name: string, extra: Partial<QueueOptions> = {}) => {
    let q = queues.get(name);
    if (!q) queues.set(name, (q = createQueue({ name, backend: { type: 'memory' }, ...QUEUE_OPTIONS, ...extra })));
    return q;
  };
  return {
    queue,
    dispatcher(options, queueOptions) {
      const local = options.localQueue ?? options.service;
      const names = new Set([...Object.values(options.routes ?? {}).map((r) => r.queue), local]);
      const d = createDispatcher({
        ...options,
        backend: { type: 'memory', hub },
        queues: [...names].map((n) => queue(n, n === local ? queueOptions : {})),
        blockMs: 200,
      });
      dispatchers.push(d);
      return d;
    },
    async close() {
      await Promise.all(dispatchers.map((d) => d.close()));
      await Promise.all([...queues.values()].map((q) => q.close({ drainTimeoutMs: 100 })));
    },
  };
}

export function redisDispatcherKit(newClient: () => Redis, prefix: string): DispatcherKit {
  const clients: Redis[] = [];
  const queues: StoreBackedQueue[] = [];
  const dispatchers: Dispatcher[] = [];
  const client = () => {
    const c = newClient();
    clients.push(c);
    return c;
  };
  const queue = (name: string, extra: Partial<QueueOptions> = {}) => {
    const q = createQueue({ name, backend: { type: 'redis', client: client(), prefix }, ...QUEUE_OPTIONS, ...extra });
    queues.push(q);
    return q;
  };
  return {
    queue,
    dispatcher(options, queueOptions) {
      const local = queue(options.localQueue ?? options.service, queueOptions);
      const d = createDispatcher({ ...options, backend: { type: 'redis', client: client(), prefix, queuePrefix: prefix }, queues: [local], blockMs: 200 });
      dispatchers.push(d);
      return d;
    },
    async close() {
      await Promise.all(dispatchers.map((d) => d.close()));
      await Promise.all(queues.map((q) => q.close({ drainTimeoutMs: 100 })));
      clients.forEach((c) => c.disconnect());
    },
  };
}
