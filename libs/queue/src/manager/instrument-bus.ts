import type { EventBus, EventContext, EventEnvelope, EventHandler } from '../events/event-bus';
import type { QueueMetrics } from '../metrics/queue-metrics';

const SUBSCRIBE = new Set(['subscribe', 'on', 'once']);

/**
 * Wraps a bus (any of the three, typed methods of the local bus included) so that publishes and
 * handler deliveries are counted per channel in `metrics`. Everything else passes through.
 */
export function instrumentBus<B extends EventBus>(bus: B, metrics: QueueMetrics | undefined): B {
  if (!metrics) return bus;
  const name = bus.type;
  const count = (channel: string) => (handler: EventHandler) => (event: EventEnvelope, context: EventContext) => {
    metrics.eventReceived(name, context?.channel ?? channel);
    return handler(event, context);
  };
  return new Proxy(bus, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      if (key === 'publish' || key === 'emit' || key === 'emitAndWait') {
        return async (channel: string, ...rest: unknown[]) => {
          const result = await value.call(target, channel, ...rest);
          // emit resolves false when the event was dropped (counted by the bus itself).
          if (result !== false && !(result && typeof result === 'object' && (result as { dropped?: boolean }).dropped)) metrics.eventPublished(name, channel);
          return result;
        };
      }
      if (key === 'publishBatch') {
        return async (channel: string, events: unknown[]) => {
          const ids = await value.call(target, channel, events);
          if (ids.length > 0) metrics.eventPublished(name, channel, ids.length);
          return ids;
        };
      }
      if (typeof key === 'string' && SUBSCRIBE.has(key)) {
        return (channel: string, handler: EventHandler, ...rest: unknown[]) =>
          value.call(target, channel, typeof handler === 'function' ? count(channel)(handler) : handler, ...rest);
      }
      return value.bind(target);
    },
  });
}
