import { createEventBus } from '../create-event-bus';
import { Gate, waitFor } from '../testing/event-test-helpers';
import type { LocalEventBus } from './local-event-bus';

interface ModelEvents {
  model_loaded: { name: string; sizeMb: number };
  model_unloaded: { name: string };
  'meeting.started': { meetingId: string };
}

describe('LocalEventBus', () => {
  let bus: LocalEventBus<ModelEvents>;

  beforeEach(() => {
    bus = createEventBus<ModelEvents>({ type: 'local', serviceName: 'ai-service', workers: 2 });
  });

  afterEach(async () => {
    await bus.close({ drainTimeoutMs: 200 });
  });

  it('is typed by its event map: emit and handlers are checked at compile time', async () => {
    const names: string[] = [];
    bus.on('model_loaded', (e) => void names.push(`${e.data.name}:${e.data.sizeMb}`));
    await bus.emit('model_loaded', { name: 'whisper', sizeMb: 140 });
    // @ts-expect-error payload of the wrong shape
    expect(() => bus.on('model_loaded', (e) => e.data.missing.length)).not.toThrow();
    // @ts-expect-error unknown event type
    await expect(bus.emit('model_exploded', { name: 'x' })).resolves.toBe(true);
    // @ts-expect-error payload does not match the type
    await bus.emit('model_unloaded', { sizeMb: 1 });
    await waitFor(() => names.length === 1, 'typed handler called');
    expect(names).toEqual(['whisper:140']);
  });

  it('on refuses an unknown option or a once that is not a boolean, naming it; once runs a handler once', async () => {
    const handler = () => undefined;
    expect(() => bus.on('model_loaded', handler, { onec: true } as never)).toThrow(
      expect.objectContaining({ path: 'on.options.onec', code: 'INVALID_OPTION' }),
    );
    expect(() => bus.on('model_loaded', handler, { once: 'yes' } as never)).toThrow(expect.objectContaining({ path: 'on.options.once' }));
    expect(() => bus.on('model_loaded', handler, null as never)).toThrow(expect.objectContaining({ path: 'on.options' }));
    expect(bus.stats().event_type_count).toBe(0);
    const names: string[] = [];
    bus.once('model_loaded', (e) => void names.push(e.data.name));
    await bus.emitAndWait('model_loaded', { name: 'a', sizeMb: 1 });
    await bus.emitAndWait('model_loaded', { name: 'b', sizeMb: 1 });
    expect(names).toEqual(['a']);
  });

  it('wildcard subscriptions receive every matching type', async () => {
    const seen: string[] = [];
    bus.on('model_*', (e) => {
      // a wildcard handler gets the union of the payloads
      const data: ModelEvents[keyof ModelEvents] = e.data;
      seen.push(`${e.type}:${'name' in data ? data.name : ''}`);
    });
    await bus.emit('model_loaded', { name: 'a', sizeMb: 1 });
    await bus.emit('meeting.started', { meetingId: 'm' });
    await bus.emit('model_unloaded', { name: 'a' });
    await waitFor(() => seen.length === 2, 'two model events');
    expect(seen.sort()).toEqual(['model_loaded:a', 'model_unloaded:a']);
  });

  it('emitAndWait resolves when all handlers finished, with their errors', async () => {
    const gate = new Gate();
    let finished = false;
    bus.on('model_loaded', async () => {
      await gate.promise;
      finished = true;
    });
    bus.on('model_loaded', () => {
      throw new Error('GPU out of memory');
    });
    const result = bus.emitAndWait('model_loaded', { name: 'big', sizeMb: 9000 });
    let settled = false;
    void result.then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    gate.open();
    const { handlers, errors, dropped } = await result;
    expect(finished).toBe(true);
    expect({ handlers, dropped }).toEqual({ handlers: 2, dropped: false });
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('GPU out of memory');
    expect(await bus.emitAndWait('model_unloaded', { name: 'nobody listens' })).toMatchObject({ handlers: 0, errors: [] });
  });

  it('once runs a handler for the first event only; off removes a handler', async () => {
    const once: string[] = [];
    const always: string[] = [];
    bus.once('model_unloaded', (e) => void once.push(e.data.name));
    const off = bus.on('model_unloaded', (e) => void always.push(e.data.name));
    await bus.emitAndWait('model_unloaded', { name: 'a' });
    await bus.emitAndWait('model_unloaded', { name: 'b' });
    off();
    await bus.emitAndWait('model_unloaded', { name: 'c' });
    expect(once).toEqual(['a']);
    expect(always).toEqual(['a', 'b']);
  });

  it('keeps the seed stats: total_emitted, total_processed, event_type_count', async () => {
    bus.on('model_loaded', () => undefined);
    bus.on('model_*', () => undefined);
    await bus.emitAndWait('model_loaded', { name: 'a', sizeMb: 1 });
    await bus.emit('model_unloaded', { name: 'a' });
    await bus.emit('meeting.started', { meetingId: 'no handler' });
    await waitFor(() => bus.stats().total_processed === 2, 'two processed');
    expect(bus.stats()).toMatchObject({ total_emitted: 3, total_published: 3, total_received: 2, total_processed: 2, event_type_count: 2 });
  });
});
