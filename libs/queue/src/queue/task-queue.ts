import { InvalidOptionError, PublishTimeoutError, QueueClosedError } from '../errors';
import { Deadlines } from '../util/deadlines';
import { callOptions, checkOption, checkTaskType, withDrainTimeout, knownKeys, timerMsField } from '../util/fields';
import { checkId, checkPage, PageOptions, PEEK_LIMIT_DEFAULT } from './call-arguments';
import { parseJsonOr } from '../util/json';
import { toMessageStatus, toPeekedMessage } from './message-views';
import { MAX_CONCURRENCY, ResolvedQueueOptions, resolveRateLimit } from './queue-options';
import type { QueueObserver } from './queue-observer';
import type { QueueStore, StoredGroupList, StoredOldest, StoredPublish, StoredRateState } from './queue-store';
import { QueueWorker } from './worker/queue-worker';
import type { PublishOutbox } from './redis/publish-outbox';
import { loggerFor, QueueLogger } from '../logger';
import { checkBatchSize, preparePublish } from './publish-validation';
import { StoreDeadLetters } from './store-dead-letters';
import {
  CloseOptions,
  DeadLetterQueue,
  DEFAULT_PRIORITY,
  MessageStatus,
  PRIORITIES,
  ProcessOptions,
  ProgressEvent,
  PublishOptions,
  QueueStats,
  TaskHandler,
  TaskQueue,
} from './queue.types';
import type { PeekPage, PeekTarget, QueueWorkerInfo } from './queue-inspection.types';
import { workerInfos, WORKER_FORGET_MS } from './worker/worker-heartbeat';

const PROCESS_KEYS = knownKeys<ProcessOptions>({ concurrency: true, timeoutMs: true, rateLimit: true });

/**
 * The {@link TaskQueue} over any {@link QueueStore}: validation, the worker pool, retries and the
 * dead-letter API are here once, for every backend.
 */
export class StoreBackedQueue implements TaskQueue {
  readonly deadLetters: DeadLetterQueue;
  private readonly worker: QueueWorker;
  private readonly publishDeadlines?: Deadlines;
  private closed?: Promise<void>;
  private workersStopped?: Promise<void>;
  private readonly logger: QueueLogger;

  constructor(
    private readonly store: QueueStore,
    readonly options: ResolvedQueueOptions,
    private readonly observer: QueueObserver = {},
    private readonly outbox?: PublishOutbox,
    logger?: QueueLogger,
  ) {
    this.worker = new QueueWorker(store, options, observer, logger);
    this.logger = loggerFor(`Queue:${options.name}`, logger);
    this.deadLetters = new StoreDeadLetters(store);
    if (options.publishTimeoutMs > 0) this.publishDeadlines = new Deadlines(options.publishTimeoutMs);
  }

  get name(): string {
    return this.options.name;
  }

  async publish<P>(options: PublishOptions<P>): Promise<string> {
    this.assertOpen();
    const message = preparePublish(options, this.options);
    const [id] = await this.sendPublish([message]);
    this.observer.published?.(this.name, options.type, options.priority ?? DEFAULT_PRIORITY, 1);
    return id;
  }

  async publishBatch(messages: PublishOptions[]): Promise<string[]> {
    this.assertOpen();
    if (!Array.isArray(messages)) throw new InvalidOptionError('publishBatch', messages, 'an array of publish options');
    if (messages.length === 0) return [];
    const now = Date.now();
    const prepared = messages.map((m, i) => preparePublish(m, this.options, i, now));
    checkBatchSize(this.name, prepared);
    const ids = await this.sendPublish(prepared);
    if (this.observer.published) this.countPublished(this.observer.published, messages);
    return ids;
  }

  /** One observer call per run of messages with the same type and priority (a metric update per message cost more than its publish). */
  private countPublished(published: NonNullable<QueueObserver['published']>, messages: PublishOptions[]): void {
    let run = 0;
    for (let i = 0; i < messages.length; i++) {
      const { type, priority = DEFAULT_PRIORITY } = messages[i];
      run++;
      const next = messages[i + 1];
      if (next === undefined || next.type !== type || (next.priority ?? DEFAULT_PRIORITY) !== priority) {
        published(this.name, type, priority, run);
        run = 0;
      }
    }
  }

  /**
   * Sends to the outbox or the store, failing with PublishTimeoutError after `publishTimeoutMs`
   * (0 = no bound). The command itself cannot be taken back: it may still be applied later.
   */
  private sendPublish(messages: StoredPublish[]): Promise<string[]> {
    const sent = this.outbox ? this.outbox.publish(messages) : this.store.publish(messages);
    if (!this.publishDeadlines) return sent;
    return this.publishDeadlines.bound(sent, (waitedMs) => new PublishTimeoutError(this.name, waitedMs, this.options.publishTimeoutMs, messages.length));
  }

  process<P = unknown, R = unknown>(type: string, handler: TaskHandler<P, R>, options: ProcessOptions = {}): void {
    this.assertOpen();
    checkTaskType(type, 'process.type');
    if (typeof handler !== 'function') throw new InvalidOptionError('process.handler', handler, 'a function');
    callOptions(options, PROCESS_KEYS, 'process', 'process.options');
    const concurrency = options.concurrency ?? this.options.concurrency;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
      throw new InvalidOptionError('process.concurrency', concurrency, `an integer in [1, ${MAX_CONCURRENCY}]`);
    }
    const timeoutMs = options.timeoutMs ?? 0;
    checkOption(timerMsField(0), timeoutMs, 'process.timeoutMs', InvalidOptionError);
    if (this.worker.handles(type)) throw new InvalidOptionError('process.type', type, 'a type without a handler yet');
    if (this.workersStopped) throw new InvalidOptionError('process', this.name, 'a queue whose workers are not stopped (stopWorkers was called)');
    const rateLimit = options.rateLimit === undefined ? (this.options.rateLimits[type] ?? null) : resolveRateLimit(options.rateLimit, 'process.rateLimit');
    this.worker.register(type, handler as TaskHandler, concurrency, timeoutMs, rateLimit);
  }

  async getStatus(id: string): Promise<MessageStatus | null> {
    checkId(id, 'getStatus.id');
    const stored = await this.store.status(id);
    if (!stored) return null;
    return toMessageStatus(id, stored);
  }

  async onProgress(listener: (event: ProgressEvent) => void): Promise<() => Promise<void>> {
    this.assertOpen();
    if (typeof listener !== 'function') throw new InvalidOptionError('onProgress.listener', listener, 'a function');
    return this.store.subscribeProgress((text) => {
      const event = parseJsonOr<ProgressEvent | null, null>(text, null);
      if (!event || typeof event.id !== 'string') return this.logger.warn(`progress event that is not one ignored: ${text.slice(0, 200)}`);
      try {
        listener({ ...event, queue: this.name });
      } catch (error) {
        this.logger.error(`progress listener failed for message ${event.id}: ${(error as Error).message}`);
      }
    });
  }

  async cancel(id: string): Promise<boolean> {
    checkId(id, 'cancel.id');
    return this.store.cancel(id);
  }

  async stats(): Promise<QueueStats> {
    const c = await this.store.counts();
    const n = (key: string) => c.counters[key] ?? 0;
    return {
      total_published: n('published'),
      total_processed: n('processed'),
      total_failed: n('failed'),
      total_retried: n('retried'),
      total_dead_letter: n('dead_letter'),
      total_dropped: n('dropped'),
      dead_letter_trimmed: n('dead_letter_trimmed'),
      queue_length: { critical: c.tiers[0], high: c.tiers[1], normal: c.tiers[2], low: c.tiers[3] },
      processing_count: c.processing,
      delayed_count: c.delayed,
      dead_letter_count: c.dead,
      outbox_size: this.outbox?.size ?? 0,
      groups_ready: c.groups?.ready ?? 0,
      groups_blocked: c.groups?.blocked ?? 0,
      groups_running: c.groups?.running ?? 0,
    };
  }

  /**
   * Read-only look at messages without taking them (operator tools): a tier head first, the
   * messages in flight, the delayed ones, or the recent completed results. `options`: `offset` an
   * integer >= 0 (default 0), `limit` an integer in [1, 1000] (default 20).
   * @throws InvalidOptionError at `peek.target`, `peek.options` (not an object), `peek.offset`,
   *   `peek.limit` or `peek.<key>` for an unknown key.
   */
  async peek(target: PeekTarget, options?: PageOptions): Promise<PeekPage> {
    const section = peekSection(target);
    const { offset, limit } = checkPage(options, 'peek', PEEK_LIMIT_DEFAULT);
    const page = await this.store.peek(section, offset, limit);
    const items = page.items.map((item) => toPeekedMessage(item, target));
    return { target, items, total: page.total, offset, limit };
  }

  /** The processes consuming this queue (any process, any host), from their heartbeats; oldest heartbeat first. */
  async workers(): Promise<QueueWorkerInfo[]> {
    const { now, items } = await this.store.workers(WORKER_FORGET_MS);
    return workerInfos(now, items);
  }

  /**
   * Rate limits as the store holds them (operator tools: `QueueAdmin.rateLimits` turns this into
   * tokens and due times): every token bucket, and the parked messages per tier and, over at most
   * `scanMax` of them, per task type.
   */
  rateState(scanMax = 10_000): Promise<StoredRateState> {
    if (!Number.isInteger(scanMax) || scanMax < 0 || scanMax > 1_000_000)
      throw new InvalidOptionError('rateState.scanMax', scanMax, 'an integer in [0, 1000000]');
    return this.store.rateState(scanMax);
  }

  /**
   * Groups as the store holds them (operator tools: `QueueAdmin.queueGroups`): the first `ringMax`
   * groups of each tier's rotation, the blocked groups and those with messages in flight.
   */
  groupList(ringMax = 100): Promise<StoredGroupList> {
    if (!Number.isInteger(ringMax) || ringMax < 0 || ringMax > 100_000) throw new InvalidOptionError('groupList.ringMax', ringMax, 'an integer in [0, 100000]');
    return this.store.groupList(ringMax);
  }

  /**
   * Per tier, when the message waiting longest was created (operator tools: the `oldestWaitingMs` of
   * `QueueAdmin.info`): the heads of the tier, of its parked messages, of the first `ringMax` groups of
   * its rotation and of the blocked groups.
   */
  oldestWaiting(ringMax = 100): Promise<StoredOldest> {
    if (!Number.isInteger(ringMax) || ringMax < 0 || ringMax > 100_000)
      throw new InvalidOptionError('oldestWaiting.ringMax', ringMax, 'an integer in [0, 100000]');
    return this.store.oldestWaiting(ringMax);
  }

  pause(): Promise<void> {
    return this.worker.pause();
  }

  resume(): Promise<void> {
    return this.worker.resume();
  }

  isPaused(): Promise<boolean> {
    return this.store.isPaused();
  }

  /** Publishes waiting in this process's outbox (0 when the outbox is off). Needs no Redis. */
  get outboxSize(): number {
    return this.outbox?.size ?? 0;
  }

  /** Handlers running or waiting for a slot in this process. */
  get localInFlight(): number {
    return this.worker.heldCount;
  }

  stopWorkers(options?: CloseOptions): Promise<void> {
    return withDrainTimeout(options, 'stopWorkers', 10_000, (drainMs) => (this.workersStopped ??= this.worker.close(drainMs)));
  }

  close(options?: CloseOptions): Promise<void> {
    return withDrainTimeout(
      options,
      'close',
      10_000,
      (drainMs) =>
        (this.closed ??= (async () => {
          await (this.workersStopped ?? this.worker.close(drainMs));
          await this.outbox?.close(drainMs);
          await this.store.close();
        })()),
    );
  }

  private assertOpen(): void {
    if (this.closed) throw new QueueClosedError(this.name);
  }
}

/** The store section `peek` reads for `target` (a tier's index, or the section's name); refused at `peek.target`. */
function peekSection(target: unknown): 0 | 1 | 2 | 3 | 'inflight' | 'delayed' | 'completed' {
  const tier = (PRIORITIES as readonly unknown[]).indexOf(target);
  if (tier >= 0) return tier as 0 | 1 | 2 | 3;
  if (target === 'inflight' || target === 'delayed' || target === 'completed') return target;
  throw new InvalidOptionError('peek.target', target, `one of ${[...PRIORITIES, 'inflight', 'delayed', 'completed'].join(', ')}`);
}
