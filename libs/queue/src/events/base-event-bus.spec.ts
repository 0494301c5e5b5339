import { deferred } from '../testing/wait';
import { LocalEventBus } from './local/local-event-bus';

/** A bus whose first transport join fails (after `gate`), as a refused SUBSCRIBE would. */
class FirstJoinFails extends LocalEventBus {
  joins = 0;
  readonly gate = deferred();

  protected override async keyAdded(): Promise<void> {
    this.joins++;
    if (this.joins === 1) {
      await this.gate.promise;
      throw new Error('join refused');
    }
  }
}

describe('subscribe while the join of the same key fails', () => {
  it('every waiting subscriber fails with it and leaves nothing registered; the next subscribe joins again', async () => {
    const bus = new FirstJoinFails({ serviceName: 't', bufferSize: 10, workers: 1, bufferFullPolicy: 'wait' });
    const first = bus.subscribe('ch', () => undefined);
    const second = bus.subscribe('ch', () => undefined);
    bus.gate.resolve();
    await expect(first).rejects.toThrow('join refused');
    await expect(second).rejects.toThrow('join refused');
    expect(bus.stats().channel_count).toBe(0);
    await bus.subscribe('ch', () => undefined);
    expect(bus.joins).toBe(2);
    expect(bus.stats().channel_count).toBe(1);
    await bus.close({ drainTimeoutMs: 100 });
  });
});
