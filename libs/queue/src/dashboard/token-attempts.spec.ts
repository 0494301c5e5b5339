/** Failed admin-token attempts per address (TokenAttemptLimiter), on an injected clock: no waiting. */
import { InvalidOptionError } from '../errors/queue-errors';
import { checkTokenAttempts, clientOf, TOKEN_ATTEMPT_DEFAULTS, TokenAttemptLimiter } from './token-attempts';

/** A limiter with the default limits (or `limits`), its audit lines and a clock moved by hand. */
function limiter(limits = TOKEN_ATTEMPT_DEFAULTS) {
  const clock = { now: 1_800_000_000_000 };
  const audit: string[] = [];
  const attempts = new TokenAttemptLimiter(
    { ...limits },
    (line) => void audit.push(line),
    () => clock.now,
  );
  const fail = (address: string, times: number) => {
    for (let i = 0; i < times; i++) attempts.failed(address);
  };
  return { attempts, audit, clock, fail };
}

describe('TokenAttemptLimiter', () => {
  it('blocks an address after 10 wrong tokens within 60 s, for 60 s; another address is not blocked; start and end audited once', () => {
    const { attempts, audit, clock, fail } = limiter();
    fail('10.0.0.1', 9);
    expect(attempts.blockedFor('10.0.0.1')).toBe(0);
    fail('10.0.0.1', 1);
    expect(attempts.blockedFor('10.0.0.1')).toBe(60_000);
    expect(attempts.blockedFor('10.0.0.2')).toBe(0);
    expect(audit).toEqual(['dashboard: blocked admin token attempts from 10.0.0.1 for 60 s (10 wrong tokens within 60 s)']);

    clock.now += 59_000;
    fail('10.0.0.1', 5); // while blocked the handler answers 429 before any check; counted as nothing
    expect(attempts.blockedFor('10.0.0.1')).toBe(1_000);
    clock.now += 1_000;
    expect(attempts.blockedFor('10.0.0.1')).toBe(0);
    attempts.sweep();
    expect(audit).toEqual([
      'dashboard: blocked admin token attempts from 10.0.0.1 for 60 s (10 wrong tokens within 60 s)',
      `dashboard: admin token attempts from 10.0.0.1 allowed again (block ended at ${new Date(clock.now).toISOString()})`,
    ]);
    // a fresh count after the block
    fail('10.0.0.1', 9);
    expect(attempts.blockedFor('10.0.0.1')).toBe(0);
  });

  it('counts only the failures of the last 60 s (a sliding window)', () => {
    const { attempts, clock, fail } = limiter();
    fail('10.0.0.1', 9);
    clock.now += 60_000;
    fail('10.0.0.1', 9);
    expect(attempts.blockedFor('10.0.0.1')).toBe(0);
    clock.now += 1;
    fail('10.0.0.1', 1);
    expect(attempts.blockedFor('10.0.0.1')).toBe(60_000);
  });

  it('tracks at most maxAddresses addresses: a new one drops the one that failed least recently, its block with it (audited)', () => {
    const { attempts, audit, fail } = limiter({ max: 2, windowMs: 60_000, maxAddresses: 3 });
    fail('a', 2); // blocked
    fail('b', 1);
    fail('c', 1);
    fail('b', 1); // b is now the most recent (and blocked)
    fail('d', 1); // over 3: a goes
    expect(attempts.blockedFor('a')).toBe(0);
    expect(attempts.blockedFor('b')).toBe(60_000);
    fail('e', 1); // c goes, its one failure forgotten
    fail('c', 1);
    expect(attempts.blockedFor('c')).toBe(0);
    expect(audit).toContain('dashboard: admin token attempts from a allowed again (block dropped: over 3 addresses tracked)');
  });
});

describe('checkTokenAttempts', () => {
  it('takes the defaults (10 within 60 s, 10 000 addresses) and partial options', () => {
    expect(checkTokenAttempts(undefined, 'dashboard.tokenAttempts')).toEqual({ max: 10, windowMs: 60_000, maxAddresses: 10_000 });
    expect(checkTokenAttempts({ max: 3 }, 'dashboard.tokenAttempts')).toEqual({ max: 3, windowMs: 60_000, maxAddresses: 10_000 });
  });

  it.each([
    ['dashboard.tokenAttempts', 5],
    ['dashboard.tokenAttempts.max', { max: 0 }],
    ['dashboard.tokenAttempts.windowMs', { windowMs: 1.5 }],
    ['dashboard.tokenAttempts.maxAddresses', { maxAddresses: -1 }],
    ['dashboard.tokenAttempts.maxTries', { maxTries: 3 }],
  ])('refuses %s', (path, value) => {
    expect(() => checkTokenAttempts(value, 'dashboard.tokenAttempts')).toThrow(expect.objectContaining({ path, name: InvalidOptionError.name }));
  });
});

describe('clientOf: what an address counts for', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['unknown', 'unknown'],
  ])('%s -> %s', (address, client) => {
    expect(clientOf(address)).toBe(client);
  });

  it('addresses of one IPv6 /64 share a block; another /64 and the IPv4-mapped form of an IPv4 address count as theirs', () => {
    const { attempts, audit, fail } = limiter();
    for (let i = 1; i <= 10; i++) fail(`2001:db8:1:2::${i.toString(16)}`, 1);
    expect(attempts.blockedFor('2001:db8:1:2:ffff::9')).toBe(60_000);
    expect(attempts.blockedFor('2001:db8:1:3::1')).toBe(0);
    expect(audit).toEqual(['dashboard: blocked admin token attempts from 2001:db8:1:2::/64 for 60 s (10 wrong tokens within 60 s)']);
    fail('::ffff:10.0.0.7', 10);
    expect(attempts.blockedFor('10.0.0.7')).toBe(60_000);
  });
});
