import Redis from 'ioredis';
import { RedisOutageLog } from './outage-log';
import { createRedisClient, duplicateClient } from './redis-connection';

/** Connections that never connect (lazyConnect): the test plays their events. */
function idle(): Redis {
  return new Redis({ lazyConnect: true, host: '127.0.0.1', port: 6390, db: 2 });
}

function capture(): { lines: string[]; log(m: string): void; warn(m: string): void } {
  const lines: string[] = [];
  return { lines, log: (m) => void lines.push(`log ${m}`), warn: (m) => void lines.push(`warn ${m}`) };
}

describe('RedisOutageLog', () => {
  it('logs an outage of a group once when the first connection fails and once when the last failed one is ready again', () => {
    const logger = capture();
    const log = new RedisOutageLog('redis://:***@db:6379', logger);
    const [a, b] = [log.watch(idle()), log.watch(idle())];
    a.emit('error', new Error('connect ECONNREFUSED db:6379'));
    b.emit('error', new Error('connect ECONNREFUSED db:6379'));
    a.emit('error', new Error('connect ECONNREFUSED db:6379'));
    expect(logger.lines).toEqual(['warn Redis redis://:***@db:6379 unreachable: connect ECONNREFUSED db:6379']);
    expect(log.isDown).toBe(true);
    a.emit('ready');
    expect(logger.lines).toHaveLength(1);
    b.emit('ready');
    expect(logger.lines[1]).toMatch(/^log Redis redis:\/\/:\*\*\*@db:6379 back after \d+ ms \(2 further connection errors not logged\)$/);
    expect(log).toMatchObject({ outages: 1, suppressedErrors: 2, isDown: false });
    // a ready connection that never failed logs nothing; a second outage is logged again
    a.emit('ready');
    b.emit('error', new Error('read ECONNRESET'));
    b.emit('ready');
    expect(logger.lines.slice(2)).toEqual([
      'warn Redis redis://:***@db:6379 unreachable: read ECONNRESET',
      expect.stringMatching(/^log .* back after \d+ ms$/),
    ]);
    expect(log.outages).toBe(2);
  });

  it('a failed connection closed on purpose no longer holds the outage open', () => {
    const logger = capture();
    const log = new RedisOutageLog('x', logger);
    const [a, b] = [log.watch(idle()), log.watch(idle())];
    a.emit('error', new Error('down'));
    b.emit('error', new Error('down'));
    b.emit('end');
    a.emit('ready');
    expect(logger.lines).toEqual(['warn Redis x unreachable: down', expect.stringMatching(/^log Redis x back after/)]);
  });

  it('createRedisClient and duplicateClient put a client and its duplicates in one group, with a masked URL', () => {
    const logger = capture();
    const client = createRedisClient({ url: 'redis://user:pw@127.0.0.1:1/1', logger });
    const dup = duplicateClient(client);
    const log = RedisOutageLog.of(client)!;
    expect(log.description).toBe('redis://user:***@127.0.0.1:1/1');
    expect(RedisOutageLog.of(dup)).toBe(log);
    // the outage log's listener and the one that stops a client on a permanent error (permanent-errors.ts)
    expect(dup.listenerCount('error')).toBe(2);
    client.disconnect();
    dup.disconnect();
  });

  it("connections duplicated from a caller's client get a group described from its options; the caller's client is left alone", () => {
    const own = new Redis({ lazyConnect: true, host: '127.0.0.1', port: 6390, db: 3, password: 'pw' });
    const dup = duplicateClient(own);
    expect(own.listenerCount('error')).toBe(0);
    expect(dup.listenerCount('error')).toBe(2);
    expect(RedisOutageLog.of(dup)!.description).toBe('redis://127.0.0.1:6390/3');
    expect(RedisOutageLog.of(duplicateClient(own))).toBe(RedisOutageLog.of(dup));
    dup.disconnect();
  });
});
