import { randomUUID } from 'crypto';
import { InvalidOptionError, QueueClosedError } from '../errors';
import { loggerFor, QueueLogger } from '../logger';
import type { HandlerContext, QueueMessage, TaskQueue } from '../queue/queue.types';
import { untilAborted } from '../util/abort';
import { callOptions, checkQueueName, knownKeys } from '../util/fields';
import { parseJsonOr } from '../util/json';
import { checkPayloadFits } from './payload-fit';
import { RecurringLoop } from './recurring-loop';
import {
  nextOccurrence,
  onceId,
  parseId,
  parseWhen,
  readDefinition,
  RECURRING_KEY_EXPECTED,
  RECURRING_KEY_PATTERN,
  RecurringDefinition,
  validateTask,
} from './schedule-spec';
import type { ScheduledTask, ScheduleInfo, ScheduleWhen, Scheduler, SchedulerStats } from './scheduler';
import type { SchedulerStore } from './scheduler-store';
import type { TaskSchedulerSettings } from './task-scheduler-settings';

export type { TaskSchedulerSettings } from './task-scheduler-settings';

type ProcessArgs = NonNullable<Parameters<Scheduler['process']>[2]>;
const PROCESS_KEYS = knownKeys<ProcessArgs>({ queue: true, concurrency: true });

/**
 * The {@link Scheduler} over any {@link SchedulerStore}. One-off tasks are delayed queue messages
 * (the queue makes them durable and due); recurring tasks are fired by a loop that sleeps until the
 * earliest next run or a definition change, publishes each due occurrence with an idempotency key
 * and then moves the next run forward with a compare-and-set (exactly one run per occurrence):
 * {@link RecurringLoop} (recurring-loop.ts).
 */
export class TaskScheduler implements Scheduler {
  private readonly logger: QueueLogger;
  private readonly instanceId = randomUUID();
  /** Fires the recurring tasks (recurring-loop.ts). */
  private readonly loop: RecurringLoop;
  private closing?: Promise<void>;

  constructor(
    private readonly store: SchedulerStore,
    private readonly settings: TaskSchedulerSettings,
  ) {
    this.logger = loggerFor(`Scheduler:${settings.name}`, settings.logger);
    this.loop = new RecurringLoop(store, settings, this.logger, (what, error) => this.warn(what, error));
  }

  get name(): string {
    return this.settings.name;
  }

  queue(name?: string): TaskQueue {
    return this.queueAt(name, 'queue.name');
  }

  async schedule<P>(task: ScheduledTask<P>, when: ScheduleWhen): Promise<string> {
    this.assertOpen();
    const t = validateTask(task, this.settings.defaultQueue);
    const now = Date.now();
    const parsed = parseWhen(when, now, this.settings.missedPolicy);
    const queue = this.settings.resolveQueue(t.queue, 'schedule.task.queue');
    if (parsed.kind === 'once') {
      const messageId = await queue.publish({
        type: t.type,
        payload: t.payload,
        priority: t.priority,
        maxRetries: t.maxRetries,
        timeoutMs: t.timeoutMs,
        delayMs: Math.max(0, parsed.dueAt - Date.now()),
      });
      const id = onceId(t.queue, messageId);
      // The queue's own due time (server clock): the loop wakes the queue's workers exactly then.
      const queued = await queue.getStatus(messageId).catch(() => null);
      const dueAt = queued?.state === 'delayed' && queued.nextAt !== undefined ? queued.nextAt : parsed.dueAt;
      await this.store.addOnce(id, dueAt, JSON.stringify({ task: t, createdAt: now }));
      return id;
    }
    checkPayloadFits(queue, t); // a one-off's publish checks it; a recurring task is published later
    const anchor = 'everyMs' in parsed.when ? now + parsed.when.everyMs : now;
    // createdAt and anchor lead the JSON: the store keeps the old ones on an update with the same timing
    const def: RecurringDefinition = {
      createdAt: now,
      anchor,
      key: parsed.key,
      task: t,
      when: parsed.when,
      missed: parsed.missed,
      sig: parsed.sig,
      updatedAt: now,
    };
    const nextRunAt = nextOccurrence(def, now - 1);
    const created = await this.store.upsertRecurring(def.key, JSON.stringify(def), def.sig, nextRunAt);
    this.logger.log(`${created ? 'created' : 'updated'} recurring task "${def.key}" (${def.sig}, ${def.task.type} -> ${def.task.queue})`);
    return `recurring:${def.key}`;
  }

  async cancel(id: string): Promise<boolean> {
    const parsed = parseId(id);
    if (!parsed) throw new InvalidOptionError('cancel.id', id, 'an id returned by schedule (once:<queue>:<messageId> or recurring:<key>)');
    if (parsed.kind === 'recurring') return this.store.removeRecurring(parsed.key);
    const cancelled = await this.settings.resolveQueue(parsed.queue, 'cancel.id').cancel(parsed.messageId);
    await this.store.removeOnce(id);
    return cancelled;
  }

  async removeRecurring(key: string): Promise<boolean> {
    // checked here: `recurring:${undefined}` would name (and remove) a task keyed "undefined"
    if (typeof key !== 'string' || !RECURRING_KEY_PATTERN.test(key)) throw new InvalidOptionError('removeRecurring.key', key, RECURRING_KEY_EXPECTED);
    return this.store.removeRecurring(key);
  }

  async list(): Promise<ScheduleInfo[]> {
    const stored = await this.store.list();
    const out: ScheduleInfo[] = [];
    for (const o of stored.once) {
      const info = parseJsonOr<{ task: ScheduleInfo['task']; createdAt: number }>(o.info, undefined);
      if (info) out.push({ id: o.id, kind: 'once', task: info.task, nextRunAt: o.dueAt, createdAt: info.createdAt });
    }
    for (const r of stored.recurring) {
      const def = readDefinition(r.definition);
      if (typeof def === 'string') continue;
      out.push({
        id: `recurring:${r.key}`,
        kind: 'recurring',
        key: r.key,
        task: def.task,
        when: def.when,
        missed: def.missed,
        nextRunAt: r.nextRunAt,
        createdAt: def.createdAt,
        updatedAt: def.updatedAt,
      });
    }
    return out.sort((a, b) => a.nextRunAt - b.nextRunAt);
  }

  process<P = unknown, R = unknown>(
    type: string,
    handler: (message: QueueMessage<P>, context: HandlerContext) => Promise<R> | R,
    options?: { queue?: string; concurrency?: number },
  ): void {
    this.assertOpen();
    if (typeof handler !== 'function') throw new InvalidOptionError('process.handler', handler, 'a function');
    const { queue: queueName, concurrency } = callOptions(options, PROCESS_KEYS, 'process', 'process.options') as ProcessArgs;
    const queue = this.queueAt(queueName, 'process.queue');
    const ttl = this.settings.activeTtlMs;
    queue.process<P, R>(
      type,
      async (message, context) => {
        const token = `${this.instanceId}:${message.id}:${message.attempt}`;
        await this.store.taskStarted(token, Math.max(ttl, message.timeoutMs * 2)).catch((e) => this.warn('active count', e));
        try {
          const result = await untilAborted(
            Promise.resolve().then(() => handler(message, context)),
            context.signal,
          );
          void this.store.taskEnded(token, 'completed').catch((e) => this.warn('completed count', e));
          return result;
        } catch (error) {
          void this.store.taskEnded(token, 'failed').catch((e) => this.warn('failed count', e));
          throw error;
        }
      },
      { concurrency },
    );
  }

  async stats(): Promise<SchedulerStats> {
    const c = await this.store.counts();
    return {
      total_tasks: c.counters.total ?? 0,
      completed_tasks: c.counters.completed ?? 0,
      failed_tasks: c.counters.failed ?? 0,
      active_tasks: c.active,
      scheduled_recurring: c.recurring,
      scheduled_once: c.once,
    };
  }

  start(): void {
    if (this.closing) return;
    this.loop.start();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.loop.stop();
      await this.store.close();
      await this.settings.closeOwnedQueues();
    })();
    return this.closing;
  }

  /** The queue `name` (default: `defaultQueue`); an unknown or bad name is refused at `path`, the argument of the call. */
  private queueAt(name: unknown, path: string): TaskQueue {
    const queueName = name ?? this.settings.defaultQueue;
    if (queueName === undefined) throw new InvalidOptionError(path, name, 'a queue name (no defaultQueue is set)');
    return this.settings.resolveQueue(checkQueueName(queueName, path, InvalidOptionError), path);
  }

  private assertOpen(): void {
    if (this.closing) throw new QueueClosedError(`scheduler ${this.settings.name}`);
  }

  private warn(what: string, error: unknown): void {
    this.logger.warn(`${what}: ${(error as Error)?.message ?? String(error)}`);
  }
}
