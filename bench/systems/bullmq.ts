import { Queue, Worker } from 'bullmq';
import type { BenchMsg, BenchSystem, SystemFactoryOptions } from './system';

const JOB = 'bench';
/** Job options used everywhere: completed and failed jobs are not kept (the cheapest BullMQ setting). */
const JOB_OPTS = { removeOnComplete: true, removeOnFail: true } as const;

/** BullMQ with its defaults, except removeOnComplete/removeOnFail. Priority tier p maps to BullMQ priority p + 1 (1 is highest). */
export class BullmqSystem implements BenchSystem {
  readonly kind = 'bullmq' as const;
  private readonly queue: Queue;
  private worker?: Worker;
  private readonly connection: { host: string; port: number; maxRetriesPerRequest: null };

  constructor(private readonly options: SystemFactoryOptions) {
    const url = new URL(options.url);
    this.connection = { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null };
    this.queue = new Queue(options.name, { connection: this.connection, prefix: options.prefix });
  }

  payloadBytes(msg: BenchMsg): number {
    return Buffer.byteLength(JSON.stringify(dataOf(msg)));
  }

  async ready(): Promise<void> {
    await this.queue.waitUntilReady();
  }

  async publish(msg: BenchMsg): Promise<void> {
    await this.queue.add(JOB, dataOf(msg), optsOf(msg));
  }

  async publishBatch(msgs: BenchMsg[]): Promise<void> {
    await this.queue.addBulk(msgs.map((m) => ({ name: JOB, data: dataOf(m), opts: optsOf(m) })));
  }

  async consume(concurrency: number, onMessage: (msg: BenchMsg) => void | Promise<void>): Promise<void> {
    const worker = new Worker(
      this.options.name,
      async (job) => {
        await onMessage(job.data as BenchMsg);
      },
      { connection: this.connection, prefix: this.options.prefix, concurrency, autorun: false },
    );
    worker.on('error', (error) => console.error(`bullmq worker error: ${error.message}`));
    this.worker = worker;
    await worker.waitUntilReady();
    void worker.run();
  }

  async isDrained(): Promise<boolean> {
    const c = await this.queue.getJobCounts('wait', 'active', 'prioritized', 'delayed', 'paused', 'waiting-children');
    return Object.values(c).every((n) => n === 0);
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}

function dataOf(msg: BenchMsg): { i: number; t?: number } {
  return msg.t === undefined ? { i: msg.i } : { i: msg.i, t: msg.t };
}

function optsOf(msg: BenchMsg): { removeOnComplete: true; removeOnFail: true; priority?: number } {
  return msg.p === undefined ? JOB_OPTS : { ...JOB_OPTS, priority: msg.p + 1 };
}
