import Redis, { Cluster } from 'ioredis';
import { OUTAGE_GOES_ON_MS, RedisOutageLog } from './outage-log';
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

  it("a Cluster's node errors (reported by key, maybe put on a newer connection of that key) are back when a connection of that key, or the cluster, is ready", () => {
    const logger = capture();
    const log = new RedisOutageLog('cluster a:1', logger);
    const cluster = log.watch(new Cluster([{ host: '127.0.0.1', port: 6390 }], { lazyConnect: true }));
    const newest = new Redis({ lazyConnect: true, host: '127.0.0.1', port: 6391 });
    cluster.emit('+node', newest);
    // an older connection of 6391 failed; ioredis reports the key, the log knows the newest connection
    cluster.emit('node error', new Error('connect ECONNREFUSED 127.0.0.1:6391'), '127.0.0.1:6391');
    cluster.emit('node error', new Error('connect ECONNREFUSED 127.0.0.1:6392'), '127.0.0.1:6392');
    expect(logger.lines).toEqual(['warn Redis cluster a:1 unreachable: connect ECONNREFUSED 127.0.0.1:6391']);
    // 6392 is back when a connection of it is ready
    const other = new Redis({ lazyConnect: true, host: '127.0.0.1', port: 6392 });
    cluster.emit('+node', other);
    other.emit('ready');
    expect(log.isDown).toBe(true);
    // the newest 6391 connection was ready all along (no event): the cluster being ready ends the outage
    cluster.emit('ready');
    expect(logger.lines[1]).toMatch(/^log Redis cluster a:1 back after \d+ ms \(1 further connection error not logged\)$/);
    expect(log.isDown).toBe(false);
    for (const c of [newest, other, cluster]) c.disconnect();
  });

  it("holds no ended node connection of a Cluster's outage (a long outage replaces many)", () => {
    const log = new RedisOutageLog('cluster a:1', capture());
    const cluster = log.watch(new Cluster([{ host: '127.0.0.1', port: 6390 }], { lazyConnect: true }));
    const replaced = Array.from({ length: 50 }, () => new Redis({ lazyConnect: true, host: '127.0.0.1', port: 6391 }));
    for (const node of replaced) {
      cluster.emit('+node', node);
      cluster.emit('node error', new Error('connect ECONNREFUSED 127.0.0.1:6391'), '127.0.0.1:6391');
      node.emit('end');
    }
    const internals = log as unknown as { down: Set<object>; nodeFailures: WeakMap<Cluster, Map<string, Set<object>>> };
    expect(internals.down.size).toBe(0);
    // what the log keeps for 6391: none of the 50 ended connections
    expect(internals.nodeFailures.get(cluster)?.get('127.0.0.1:6391')?.size).toBe(0);
    cluster.disconnect();
  });

  describe('failed connections replaced by new ones (a Cluster replaces its node connections)', () => {
    let clock = 1_000_000;
    beforeEach(() => jest.spyOn(Date, 'now').mockImplementation(() => clock));
    afterEach(() => jest.restoreAllMocks());
    const refused = () => new Error('WRONGPASS invalid username-password pair or user is disabled.');

    it('a replacement failing soon after the last failing connection ended continues the same outage: one refusal line, one back line timed from its start', () => {
      const logger = capture();
      const log = new RedisOutageLog('cluster a:1', logger);
      const [first, second, third] = [log.watch(idle()), log.watch(idle()), log.watch(idle())];
      first.emit('error', refused());
      clock += 100;
      first.emit('end');
      clock += 100;
      second.emit('error', refused());
      second.emit('end');
      clock += OUTAGE_GOES_ON_MS;
      third.emit('error', new Error('connect ECONNREFUSED a:1'));
      clock += 200;
      third.emit('ready');
      expect(logger.lines).toEqual([
        expect.stringMatching(/^warn Redis cluster a:1 refused the credentials \(WRONGPASS/),
        `log Redis cluster a:1 back after ${OUTAGE_GOES_ON_MS + 400} ms (2 further connection errors not logged)`,
      ]);
      expect(log).toMatchObject({ outages: 1, isDown: false });
    });

    it('a connection ready soon after the failing ones ended ends the outage with the back line', () => {
      const logger = capture();
      const log = new RedisOutageLog('x', logger);
      const [failing, replacement] = [log.watch(idle()), log.watch(idle())];
      failing.emit('error', new Error('down'));
      clock += 50;
      failing.emit('end');
      clock += 50;
      replacement.emit('ready');
      expect(logger.lines).toEqual(['warn Redis x unreachable: down', 'log Redis x back after 100 ms']);
      // that ended the outage: a later ready says nothing, a later failure is a new outage
      replacement.emit('ready');
      replacement.emit('error', new Error('down again'));
      expect(logger.lines.slice(2)).toEqual(['warn Redis x unreachable: down again']);
      expect(log.outages).toBe(2);
    });

    it('a failure longer than OUTAGE_GOES_ON_MS after the last failing connection ended is a new outage (and a ready then says nothing)', () => {
      const logger = capture();
      const log = new RedisOutageLog('x', logger);
      const [failing, other] = [log.watch(idle()), log.watch(idle())];
      failing.emit('error', new Error('down'));
      failing.emit('end');
      clock += OUTAGE_GOES_ON_MS + 1;
      other.emit('ready');
      expect(logger.lines).toEqual(['warn Redis x unreachable: down']);
      other.emit('error', new Error('down again'));
      expect(logger.lines.slice(1)).toEqual(['warn Redis x unreachable: down again']);
      expect(log.outages).toBe(2);
    });
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
