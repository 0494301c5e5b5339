import { EventEmitter } from 'events';
import { laterStreamId, LostReadTracker } from './lost-read';
import type { RedisClient } from './redis-connection';

describe('LostReadTracker', () => {
  test('a read-back is due only once the watched connection is ready again after a drop, with something received', () => {
    const tracker = new LostReadTracker();
    const connection = new EventEmitter();
    tracker.watch(connection as unknown as RedisClient);
    connection.emit('ready');
    expect(tracker.readBackFrom).toBeUndefined();
    // ready again, nothing received yet: the group's own pending read covers a first read lost
    connection.emit('ready');
    expect(tracker.readBackFrom).toBeUndefined();
    tracker.received('5-0');
    tracker.received('12-3');
    tracker.received('12-1');
    connection.emit('ready');
    expect(tracker.readBackFrom).toBe('12-3');
    // what the read sent again (or a claim) brings meanwhile is not read back
    tracker.received('13-0');
    expect(tracker.receivedSinceDrop('13-0')).toBe(true);
    expect(tracker.receivedSinceDrop('12-5')).toBe(false);
    tracker.readBackTo('12-9');
    expect(tracker.readBackFrom).toBe('12-9');
    tracker.readBackDone();
    expect(tracker.readBackFrom).toBeUndefined();
    expect(tracker.receivedSinceDrop('13-0')).toBe(false);
    // the next drop reads back from the newest received
    connection.emit('ready');
    expect(tracker.readBackFrom).toBe('13-0');
  });

  test('laterStreamId compares the time part, then the sequence, numerically', () => {
    expect(laterStreamId('10-0', '9-5')).toBe(true);
    expect(laterStreamId('9-10', '9-9')).toBe(true);
    expect(laterStreamId('9-9', '9-10')).toBe(false);
    expect(laterStreamId('1-0', '')).toBe(true);
  });
});
