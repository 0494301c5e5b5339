import type { HandlerContext, QueueMessage } from '../queue/queue.types';
import { dispatchContext } from './dispatch-context';

describe('dispatchContext', () => {
  const message = { id: 'm1', type: 't', payload: 1, priority: 'normal', attempt: 2, maxRetries: 3, timeoutMs: 1000, createdAt: 0 } as QueueMessage;

  function runContext() {
    const reads = { signal: 0, progress: 0 };
    const controller = new AbortController();
    const progress = jest.fn(async () => undefined);
    const extendLease = jest.fn(async () => undefined);
    const ctx: HandlerContext = {
      attempt: 2,
      get signal() {
        reads.signal++;
        return controller.signal;
      },
      get progress() {
        reads.progress++;
        return progress;
      },
      extendLease,
    };
    return { ctx, reads, controller, progress, extendLease };
  }

  test('reads the run context signal and progress only when the handler does; every field is an own enumerable property', async () => {
    const { ctx, reads, controller, progress, extendLease } = runContext();
    const context = dispatchContext(ctx, message, 'q:m1', 'meeting');
    expect(reads).toEqual({ signal: 0, progress: 0 });
    expect(context).toMatchObject({ attempt: 2, taskId: 'q:m1', origin: 'meeting', message });
    expect(context.signal).toBe(controller.signal);
    await context.progress(50);
    await context.extendLease(5000);
    expect(reads).toEqual({ signal: 1, progress: 1 });
    expect(progress).toHaveBeenCalledWith(50);
    expect(extendLease).toHaveBeenCalledWith(5000);
    expect(Object.keys(context).sort()).toEqual(['attempt', 'extendLease', 'message', 'origin', 'progress', 'signal', 'taskId']);
    const { signal, ...rest } = { ...context };
    expect(signal).toBe(controller.signal);
    expect(typeof rest.progress).toBe('function');
  });

  test('a progress given by the dispatcher (forwarding to the origin) replaces the run context one', async () => {
    const { ctx, reads, progress } = runContext();
    const forwarded = jest.fn(async () => undefined);
    const context = dispatchContext(ctx, message, 'q:m1', 'meeting', () => forwarded);
    await context.progress(7);
    expect(forwarded).toHaveBeenCalledWith(7);
    expect(progress).not.toHaveBeenCalled();
    expect(reads.progress).toBe(0);
  });
});
