import Redis from 'ioredis';
import { createQueue } from '../../libs/queue/src/queue/create-queue';
import type { StoreBackedQueue } from '../../libs/queue/src/queue/task-queue';
import { PRIORITIES } from '../../libs/queue/src/queue/queue.types';
import type { BenchMsg, BenchSystem, SystemFactoryOptions } from './system';

const TYPE = 'bench';

/** Our queue on its Redis backend, with its defaults (or `completedRetention: { count: 0 }` when `retainNone`). */
export class OursSystem implements BenchSystem {
  readonly kind;
  private readonly client: Redis;
  private readonly queue: StoreBackedQueue;

  constructor(options: SystemFactoryOptions, retainNone = false) {
    this.kind = retainNone ? ('ours-r0' as const) : ('ours' as const);
    this.client = new Redis(options.url, { maxRetriesPerRequest: null });
    this.queue = createQueue({
      name: options.name,
      backend: { type: 'redis', client: this.client, prefix: options.prefix },
      ...(retainNone ? { completedRetention: { count: 0 } } : {}),
    });
  }

  payloadBytes(msg: BenchMsg): number {
    return Buffer.byteLength(JSON.stringify(payloadOf(msg)));
  }

  async ready(): Promise<void> {
    await this.client.ping();
  }

  async publish(msg: BenchMsg): Promise<void> {
    await this.queue.publish({ type: TYPE, payload: payloadOf(msg), priority: msg.p === undefined ? undefined : PRIORITIES[msg.p] });
  }

  async publishBatch(msgs: BenchMsg[]): Promise<void> {
    await this.queue.publishBatch(
      msgs.map((m) => ({
        type: TYPE,
        payload: payloadOf(m),
        priority: m.p === undefined ? undefined : PRIORITIES[m.p],
        ...(m.g === undefined ? {} : { group: m.g }),
      })),
    );
  }

  async consume(concurrency: number, onMessage: (msg: BenchMsg) => void | Promise<void>): Promise<void> {
    this.queue.process<BenchMsg>(TYPE, (message) => onMessage(message.payload), { concurrency });
  }

  async isDrained(): Promise<boolean> {
    const s = await this.queue.stats();
    const waiting = s.queue_length.critical + s.queue_length.high + s.queue_length.normal + s.queue_length.low;
    return waiting === 0 && s.processing_count === 0 && s.delayed_count === 0;
  }

  async close(): Promise<void> {
    await this.queue.close({ drainTimeoutMs: 5000 });
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

function payloadOf(msg: BenchMsg): { i: number; t?: number } {
  return msg.t === undefined ? { i: msg.i } : { i: msg.i, t: msg.t };
}
