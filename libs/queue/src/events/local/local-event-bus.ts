import { assertSubscriptionKey, createEnvelope } from '../cloud-event';
import { BaseEventBus, BaseBusSettings, subscribeOnceOf } from '../base-event-bus';
import type { EventBusStats, EventEnvelope, EventHandler, EventSubscribeOptions, UnsentEvent } from '../event-bus';
import { InvalidOptionError } from '../../errors';

/** Event type names of an event map (`{ model_loaded: { name: string }, ... }`). */
export type EventKey<E> = Extract<keyof E, string>;

/** A glob pattern (contains `*`), for wildcard subscriptions on the local bus. */
export type WildcardPattern = `${string}*${string}`;

/** Stats of the local bus: the common ones plus the seed's LocalEventBus names. */
export interface LocalEventBusStats extends EventBusStats {
  /** Events emitted (same as total_published). */
  total_emitted: number;
  /** Events whose handlers all finished (successfully or not). */
  total_processed: number;
  /** Event types (and patterns) with at least one handler. */
  event_type_count: number;
}

/** What `emitAndWait` resolves to. */
export interface EmitResult {
  id: string;
  /** Handlers that ran. */
  handlers: number;
  /** What the handlers threw, one per failed handler (empty when all succeeded). */
  errors: unknown[];
  /** True when the event was not handled: the bus was closing, or `bufferSize` producers were already waiting for buffer space. */
  dropped: boolean;
}

/**
 * In-process event bus for the components of one service (`event_bus.type: local`). Typed: with
 * an event map `E` (event type -> payload), `emit`, `on` and `once` are checked at compile time.
 * The channel of an event is its type (`publish(channel, ...)` from {@link EventBus} also works).
 * Handlers run through the same bounded buffer and worker pool as the Redis buses.
 */
export class LocalEventBus<E extends object = Record<string, unknown>> extends BaseEventBus {
  readonly type = 'local' as const;
  private processed = 0;

  constructor(settings: BaseBusSettings) {
    super(settings, `EventBus:local:${settings.serviceName}`);
  }

  /**
   * Fire and forget through the buffer. Resolves true once the event is buffered or running, false
   * when it was dropped (buffer full under `drop`, or too many waiting producers under `wait`).
   * @throws InvalidOptionError for a bad type or non-JSON data, EventBusClosedError after close.
   */
  async emit<K extends EventKey<E>>(type: K, data: E[K]): Promise<boolean> {
    this.assertOpen();
    const event = createEnvelope(this.settings.serviceName, type, data, 'emit');
    return this.deliver(type, event);
  }

  /**
   * Emits and resolves when every handler finished, with their errors. It waits for buffer space as
   * the `wait` policy does: when `bufferSize` producers already wait, or the bus is closing, it
   * resolves at once with `dropped: true`.
   */
  async emitAndWait<K extends EventKey<E>>(type: K, data: E[K]): Promise<EmitResult> {
    this.assertOpen();
    const event = createEnvelope(this.settings.serviceName, type, data, 'emitAndWait');
    this.counters.published++;
    const { entries, emptied } = this.registry.takeForChannel(type);
    this.releaseEmptied(emptied);
    if (entries.length === 0) return { id: event.id, handlers: 0, errors: [], dropped: false };
    this.counters.received++;
    return new Promise<EmitResult>((resolve) => {
      this.dispatch(
        entries,
        event,
        { channel: type, deliveryCount: 1 },
        (errors) => {
          this.processed++;
          resolve({ id: event.id, handlers: entries.length, errors, dropped: false });
        },
        'wait',
      ).then((accepted) => {
        if (!accepted) resolve({ id: event.id, handlers: 0, errors: [], dropped: true });
      });
    });
  }

  /**
   * Registers a handler for one event type; returns the function that removes it.
   * @throws InvalidOptionError at `on.type`, `on.handler`, `on.options.once` (not a boolean) or `on.options.<key>` (an unknown option).
   */
  on<K extends EventKey<E>>(type: K, handler: EventHandler<E[K]>, options?: EventSubscribeOptions): () => void;
  /** Registers a handler for every event type matching a glob pattern (`model_*`). */
  on(pattern: WildcardPattern, handler: EventHandler<E[EventKey<E>]>, options?: EventSubscribeOptions): () => void;
  on(key: string, handler: EventHandler<never>, options?: EventSubscribeOptions): () => void {
    this.assertOpen();
    const pattern = assertSubscriptionKey(key, 'on.type');
    if (typeof handler !== 'function') throw new InvalidOptionError('on.handler', handler, 'a function');
    const once = subscribeOnceOf(options, 'on.options');
    const { entry } = this.registry.add(key, pattern, handler as EventHandler, once);
    return () => void this.registry.remove(entry);
  }

  /** Like `on`, removed after the first event. */
  once<K extends EventKey<E>>(type: K, handler: EventHandler<E[K]>): () => void;
  once(pattern: WildcardPattern, handler: EventHandler<E[EventKey<E>]>): () => void;
  once(key: string, handler: EventHandler<never>): () => void {
    return this.on(key as EventKey<E>, handler as EventHandler<E[EventKey<E>]>, { once: true });
  }

  override stats(): LocalEventBusStats {
    const base = super.stats();
    return { ...base, total_emitted: base.total_published, total_processed: this.processed, event_type_count: base.channel_count };
  }

  protected async send(channel: string, events: EventEnvelope[]): Promise<void> {
    for (const event of events) await this.deliver(channel, event);
  }

  protected async keyAdded(): Promise<void> {
    // nothing to join: the registry is the transport
  }

  protected async keyRemoved(): Promise<void> {
    // nothing to leave
  }

  protected async stopReceiving(): Promise<void> {
    // emit refuses after close; buffered events drain in the pool
  }

  protected async release(): Promise<UnsentEvent[]> {
    return [];
  }

  private async deliver(channel: string, event: EventEnvelope): Promise<boolean> {
    this.counters.published++;
    const { entries, emptied } = this.registry.takeForChannel(channel);
    this.releaseEmptied(emptied);
    if (entries.length === 0) return true;
    this.counters.received++;
    return this.dispatch(entries, event, { channel, deliveryCount: 1 }, () => void this.processed++);
  }
}
