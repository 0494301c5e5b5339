import { deferred } from '../testing';
import { HandlerGate, QueueDrainingError } from './handler-gate';

describe('HandlerGate', () => {
  it('runs handlers while open; close waits for the running ones and resolves true', async () => {
    const gate = new HandlerGate();
    const release = deferred();
    const running = gate.event('Mod › Handlers.onMeeting', async () => {
      await release.promise;
      return 'done';
    });
    let closed = false;
    const closing = gate.close(60_000).then((finished) => {
      closed = true;
      return finished;
    });
    await Promise.resolve();
    expect(closed).toBe(false);
    release.resolve();
    await expect(running).resolves.toBe('done');
    await expect(closing).resolves.toBe(true);
    expect(gate.closedSince).toEqual(expect.any(Number));
  });

  it('after close: an event does not run and is refused with QueueDrainingError naming the handler', async () => {
    const gate = new HandlerGate();
    await gate.close(1000);
    const run = jest.fn();
    await expect(gate.event('Mod › Handlers.onMeeting', run)).rejects.toMatchObject({
      name: 'QueueDrainingError',
      code: 'QUEUE_DRAINING',
      handler: 'Mod › Handlers.onMeeting',
    });
    await expect(gate.event('x', run)).rejects.toBeInstanceOf(QueueDrainingError);
    expect(run).not.toHaveBeenCalled();
  });

  it('close resolves false when a handler is still running after the timeout', async () => {
    const gate = new HandlerGate();
    const never = deferred();
    void gate.event('slow', () => never.promise);
    await expect(gate.close(1)).resolves.toBe(false);
    never.resolve();
  });
});
