import { assertChannel, assertSubscriptionKey, createEnvelope } from './cloud-event';
import type {
  BufferFullPolicy,
  EventBus,
  EventBusCloseOptions,
  EventBusCloseReport,
  EventBusStats,
  EventBusType,
  EventContext,
  EventEnvelope,
  EventHandler,
  EventInput,
  EventPublishOptions,
  EventSubscribeOptions,
  EventSubscription,
  UnsentEvent,
} from './event-bus';
import { EventBusClosedError } from './event-errors';
import { HandlerPool } from './handler-pool';
import { HandlerEntry, SubscriptionRegistry } from './subscription-registry';
import { InvalidOptionError } from '../errors';
import { loggerFor, QueueLogger } from '../logger';
import { boolField, checkKnownKeys, checkOption, withDrainTimeout, knownKeys } from '../util/fields';
import { endSpan, startConsumerSpan, tracerRegistered, withConsumerSpan } from '../tracing/trace-context';

const SUBSCRIBE_OPTION_KEYS = knownKeys<EventSubscribeOptions>({ once: true });
const PUBLISH_OPTION_KEYS = knownKeys<EventPublishOptions>({ partitionKey: true });
const EVENT_INPUT_KEYS = knownKeys<EventInput>({ type: true, data: true, partitionKey: true });

function isPlainObject(value: unknown): value is object {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The `once` flag of `subscribe` (or the local bus's `on`) options, false when absent. Throws
 * {@link InvalidOptionError} at `path` for options that are not an object, at `<path>.<key>` for
 * an unknown key (`{ onec: true }` would otherwise run the handler for every event) and at
 * `<path>.once` for a value that is not a boolean.
 */
export function subscribeOnceOf(options: unknown, path: string): boolean {
  if (options === undefined) return false;
  if (!isPlainObject(options)) throw new InvalidOptionError(path, options, 'an object { once }');
  checkKnownKeys(options, SUBSCRIBE_OPTION_KEYS, path, InvalidOptionError);
  return checkOption(boolField().optional(), (options as EventSubscribeOptions).once, `${path}.once`, InvalidOptionError) ?? false;
}

/**
 * Checks the options of one `publish`: absent, or an object of known keys. Throws
 * {@link InvalidOptionError} at `publish.options` or `publish.options.<key>` (a misspelt
 * `partitionKey` would lose the ordering key); the key's value is checked with the event.
 */
export function checkPublishOptions(options: unknown): EventPublishOptions {
  if (options === undefined) return {};
  if (!isPlainObject(options)) throw new InvalidOptionError('publish.options', options, 'an object { partitionKey }');
  checkKnownKeys(options, PUBLISH_OPTION_KEYS, 'publish.options', InvalidOptionError);
  return options as EventPublishOptions;
}

/** Checks that one event of a batch is an object of known keys; throws {@link InvalidOptionError} at `path` or `<path>.<key>`. */
function checkEventInput(event: unknown, path: string): void {
  if (!isPlainObject(event)) throw new InvalidOptionError(path, event, 'an object { type, data, partitionKey }');
  checkKnownKeys(event, EVENT_INPUT_KEYS, path, InvalidOptionError);
}

/** Settings every bus shares (already validated). */
export interface BaseBusSettings {
  serviceName: string;
  bufferSize: number;
  workers: number;
  bufferFullPolicy: BufferFullPolicy;
  /** Default: a console logger. */
  logger?: QueueLogger;
}

/**
 * What the three buses share: envelopes, the subscription registry, the bounded handler pool,
 * handler isolation (a throwing handler is counted and logged with the event id), stats and the
 * close sequence. Subclasses add the transport.
 */
export abstract class BaseEventBus implements EventBus {
  abstract readonly type: EventBusType;
  protected readonly registry = new SubscriptionRegistry();
  protected readonly pool: HandlerPool;
  protected readonly logger: QueueLogger;
  protected closed = false;
  protected counters = { published: 0, received: 0, handlerErrors: 0, invalid: 0 };
  private closing?: Promise<EventBusCloseReport>;
  /** Subscriptions to the transport still in progress, so a second subscriber also waits for them. */
  private readonly joining = new Map<string, Promise<void>>();

  protected constructor(
    protected readonly settings: BaseBusSettings,
    loggerName: string,
  ) {
    this.logger = loggerFor(loggerName, settings.logger);
    this.pool = new HandlerPool({ bufferSize: settings.bufferSize, workers: settings.workers, policy: settings.bufferFullPolicy });
  }

  async publish<T = unknown>(channel: string, type: string, data?: T, options?: EventPublishOptions): Promise<string> {
    this.assertOpen();
    assertChannel(channel);
    const { partitionKey } = checkPublishOptions(options);
    const [id] = await this.sendEvents(channel, [{ type, data, partitionKey }], {
      event: () => 'publish',
      partitionKey: () => 'publish.options.partitionKey',
    });
    return id;
  }

  async publishBatch(channel: string, events: ReadonlyArray<EventInput>): Promise<string[]> {
    this.assertOpen();
    assertChannel(channel);
    if (!Array.isArray(events)) throw new InvalidOptionError('publishBatch.events', events, 'an array of { type, data }');
    const event = (i: number) => `publishBatch.events[${i}]`;
    return this.sendEvents(channel, events, { event, partitionKey: (i) => `${event(i)}.partitionKey` });
  }

  /** Checks and sends `events`; a bad one is refused naming its field by `paths` (the call the caller made). */
  private async sendEvents(
    channel: string,
    events: ReadonlyArray<EventInput>,
    paths: { event(i: number): string; partitionKey(i: number): string },
  ): Promise<string[]> {
    const envelopes = events.map((e, i) => {
      checkEventInput(e, paths.event(i));
      return createEnvelope(this.settings.serviceName, e.type, e.data, paths.event(i));
    });
    if (envelopes.length === 0) return [];
    const partitionKeys = events.map((e, i) => {
      const key = e.partitionKey;
      if (key !== undefined && (typeof key !== 'string' || key.length === 0 || key.length > 200)) {
        throw new InvalidOptionError(paths.partitionKey(i), key, 'a string of 1..200 characters');
      }
      return key;
    });
    await this.send(channel, envelopes, partitionKeys);
    return envelopes.map((e) => e.id);
  }

  async subscribe<T = unknown>(channelOrPattern: string, handler: EventHandler<T>, options?: EventSubscribeOptions): Promise<EventSubscription> {
    this.assertOpen();
    const pattern = assertSubscriptionKey(channelOrPattern);
    if (typeof handler !== 'function') throw new InvalidOptionError('subscribe.handler', handler, 'a function');
    const once = subscribeOnceOf(options, 'subscribe.options');
    const { entry, first } = this.registry.add(channelOrPattern, pattern, handler as EventHandler, once);
    if (first) {
      const joined = this.keyAdded(channelOrPattern, pattern);
      this.joining.set(channelOrPattern, joined);
      try {
        await joined;
      } catch (error) {
        if (this.registry.remove(entry)) await this.keyRemoved(channelOrPattern, pattern).catch(() => undefined);
        throw error;
      } finally {
        if (this.joining.get(channelOrPattern) === joined) this.joining.delete(channelOrPattern);
      }
    } else {
      try {
        await this.joining.get(channelOrPattern);
      } catch (error) {
        // the join this subscriber waited for failed: it is not subscribed either (left registered,
        // a later subscribe would have counted the key as joined and never joined it)
        if (this.registry.remove(entry)) await this.keyRemoved(channelOrPattern, pattern).catch(() => undefined);
        throw error;
      }
    }
    return {
      channel: channelOrPattern,
      isPattern: pattern,
      unsubscribe: async () => {
        if (this.registry.remove(entry) && !this.closed) await this.keyRemoved(channelOrPattern, pattern);
      },
    };
  }

  stats(): EventBusStats {
    return {
      total_published: this.counters.published,
      total_received: this.counters.received,
      channel_count: this.registry.size,
      handler_errors: this.counters.handlerErrors,
      dropped: this.pool.dropped,
      invalid_events: this.counters.invalid,
      outbox_size: this.outboxSize(),
      buffered: this.pool.buffered,
      running: this.pool.running,
    };
  }

  close(options?: EventBusCloseOptions): Promise<EventBusCloseReport> {
    return withDrainTimeout(options, 'close', 5000, (drainMs) => (this.closing ??= this.doClose(drainMs)));
  }

  /** Sends envelopes that were already validated (the transport part of publish); `partitionKeys[i]` is the key of `events[i]`. */
  protected abstract send(channel: string, events: EventEnvelope[], partitionKeys: Array<string | undefined>): Promise<void>;
  /** The first handler of a channel or pattern was added: start receiving it. */
  protected abstract keyAdded(key: string, isPattern: boolean): Promise<void>;
  /** The last handler of a channel or pattern went: stop receiving it. */
  protected abstract keyRemoved(key: string, isPattern: boolean): Promise<void>;
  /** Stop taking events from the transport (first step of close). */
  protected abstract stopReceiving(): Promise<void>;
  /** Release connections and report unsent events (last step of close; `timeoutMs` bounds a last flush). */
  protected abstract release(timeoutMs: number): Promise<UnsentEvent[]>;

  protected outboxSize(): number {
    return 0;
  }

  /**
   * Runs `entries` for one event through the pool. `after` gets the handler errors once all ran
   * (not called when the event was dropped). Resolves to false when dropped. `starting`, when
   * given, is told as the job starts whether any of `entries` is still subscribed (a `once` entry
   * taken for this event counts); it returns whether to run them: false skips the handlers and
   * `after`, and only the entries still subscribed run.
   */
  protected dispatch(
    entries: HandlerEntry[],
    event: EventEnvelope,
    context: EventContext,
    after?: (errors: unknown[]) => Promise<void> | void,
    policy?: BufferFullPolicy | 'hold',
    starting?: (live: boolean) => boolean,
  ): Promise<boolean> {
    return this.pool.submit(async () => {
      let run = entries;
      if (starting) {
        run = entries.filter((e) => e.active || e.once);
        if (!starting(run.length > 0)) return;
      }
      const errors = await this.runHandlers(run, event, context);
      if (after) {
        try {
          await after(errors);
        } catch (error) {
          this.logger.error(`after handling event ${event.id} on "${context.channel}": ${(error as Error).message}`);
        }
      }
    }, policy);
  }

  /** Runs every handler concurrently; a throw is isolated, counted and logged with the event id. */
  protected async runHandlers(entries: HandlerEntry[], event: EventEnvelope, context: EventContext): Promise<unknown[]> {
    // the handlers run in one CONSUMER span, child of the publisher's context when the event carries one (docs/tracing.md)
    const consumer =
      event.traceparent || tracerRegistered()
        ? startConsumerSpan(event.traceparent ? { traceparent: event.traceparent, tracestate: event.tracestate } : undefined, () => ({
            name: `process ${event.type}`,
            attributes: {
              'messaging.system': `meeting-${this.type}`,
              'messaging.operation.type': 'process',
              'messaging.operation.name': 'process',
              'messaging.destination.name': context.channel,
              'messaging.consumer.group.name': this.settings.serviceName,
              'messaging.message.id': event.id,
              'cloudevents.event_id': event.id,
              'cloudevents.event_type': event.type,
              'cloudevents.event_source': event.source,
            },
          }))
        : undefined;
    const results = await withConsumerSpan(consumer, () =>
      Promise.allSettled(
        entries.map(async (entry) => entry.handler(event, entry.isPattern ? { ...context, pattern: entry.key } : { ...context, pattern: undefined })),
      ),
    );
    if (consumer) {
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      endSpan(consumer.span, failed ? failed.reason : undefined);
    }
    const errors: unknown[] = [];
    for (const result of results) {
      if (result.status === 'fulfilled') continue;
      errors.push(result.reason);
      this.counters.handlerErrors++;
      const reason = result.reason instanceof Error ? result.reason.message : String(result.reason);
      this.logger.error(`handler for "${context.channel}" failed on event ${event.id} (type ${event.type}): ${reason}`);
    }
    return errors;
  }

  /** Unsubscribes keys whose last (`once`) handler was just taken. */
  protected releaseEmptied(keys: string[]): void {
    for (const key of keys) {
      if (this.closed) return;
      this.keyRemoved(key, this.isPatternKey(key)).catch((error) => this.logger.warn(`could not leave "${key}": ${(error as Error).message}`));
    }
  }

  protected isPatternKey(key: string): boolean {
    return /[*?[]/.test(key);
  }

  protected assertOpen(): void {
    if (this.closed) throw new EventBusClosedError(this.type);
  }

  private async doClose(drainTimeoutMs: number): Promise<EventBusCloseReport> {
    this.closed = true;
    await this.stopReceiving();
    const unfinished = await this.pool.close(drainTimeoutMs);
    this.registry.clear();
    const unsent = await this.release(drainTimeoutMs);
    if (unfinished > 0) this.logger.warn(`closed with ${unfinished} event(s) whose handlers had not finished`);
    return { unsent, unfinished };
  }
}
