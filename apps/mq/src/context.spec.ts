/**
 * The global flags that choose what `mq` operates: a flag given empty (`-r "$UNSET"`) or bad is a
 * usage error naming the flag (exit 2), never taken as absent (which would operate another Redis,
 * another prefix, or a dashboard without its admin token) nor blamed on a configuration file.
 */
import Redis from 'ioredis';
import { join } from 'path';
import { ADMIN_TOKEN_MIN_LENGTH, createDashboardHandler, QueueAdmin } from '@meeting/queue';
import { CliError, EXIT } from './cli-errors';
import { readConfig } from './context';
import { main } from './main';

const ROOT = join(__dirname, '..', '..', '..');
/** Both ways `readConfig` reads: with the workspace's config/ folder, and without one. */
const ENVS: Array<[string, NodeJS.ProcessEnv]> = [
  ['with config/config.yaml', { CONFIG_DIR: join(ROOT, 'config') }],
  ['without a config folder', { CONFIG_DIR: join(ROOT, 'no-such-config-dir') }],
];

function usageError(run: () => unknown): CliError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    return error as CliError;
  }
  throw new Error('expected a usage error');
}

describe.each(ENVS)('readConfig (%s)', (_name, env) => {
  it('takes --prefix and --redis-url over the files', () => {
    const config = readConfig({ timeout: '3000', prefix: 'other', redisUrl: 'redis://127.0.0.1:1' }, env);
    expect(config.redis).toMatchObject({ key_prefix: 'other', url: 'redis://127.0.0.1:1' });
  });

  it.each([
    [{ redisUrl: '' }, '--redis-url: expected a redis:// or rediss:// URL, got ""'],
    [{ prefix: '' }, '--prefix: expected a key prefix (not empty), got ""'],
    [{ prefix: 'a b{' }, '--prefix: expected a key prefix of 1..64 characters from [A-Za-z0-9_.:-], got "a b{"'],
    [{ redisUrl: 'http://user:secret@host' }, '--redis-url: expected a redis:// or rediss:// URL, got "http://user:***@host"'],
    [{ redisUrl: 'redis+sentinel://host:26379' }, '--redis-url: expected a redis:// or rediss:// URL, got "redis+sentinel://host:26379"'],
  ])('refuses %p naming the flag (exit 2)', (flags, message) => {
    const error = usageError(() => readConfig({ timeout: '3000', ...flags }, env));
    expect(error).toMatchObject({ exitCode: EXIT.usage, message });
  });

  // what the client would take silently (6379, the default host, db 0) or throw as a bare "Invalid URL":
  // refused by the configuration (one check, libs/queue/src/config/redis-url.ts), named as the flag
  it.each([
    'redis://redis.invalid:',
    'redis://[::1]:',
    'redis://redis.invalid:0',
    'redis://redis.invalid:65536',
    'redis://redis.invalid:63x9',
    'redis://u:secret@:6380',
    'redis://redis.invalid/abc',
    'redis://redis.invalid:6380/1/2',
    'redis://redis.invalid:6380/-1',
    'redis://redis.invalid:6380?db=x',
  ])('refuses --redis-url %s', (url) => {
    const error = usageError(() => readConfig({ timeout: '3000', redisUrl: url }, env));
    expect(error.exitCode).toBe(EXIT.usage);
    expect(error.message).toMatch(/^--redis-url: expected a redis:\/\/ or rediss:\/\/ URL \(redis:\/\/\[user:password@\]host\[:port\]\[\/db\]/);
    expect(error.message).not.toContain('secret');
  });

  it('names REDIS_URL when the bad URL comes from the environment', () => {
    const error = usageError(() => readConfig({ timeout: '3000' }, { ...env, REDIS_URL: 'redis://redis.invalid:' }));
    expect(error.message).toMatch(/^invalid configuration.*\n.*REDIS_URL: expected a redis:\/\//s);
  });

  it.each([
    'redis://redis.invalid',
    'redis://redis.invalid/',
    'redis://u:p@ss@redis.invalid:6380/3',
    'rediss://:pw@redis.invalid:6380/0',
    'redis://[::1]:6380/15',
  ])('takes %s', (url) => {
    // kept as the client reads it (an @ in the password percent-encoded, so masking hides all of it)
    expect(readConfig({ timeout: '3000', redisUrl: url }, env).redis.url).toBe(url.replace('p@ss', 'p%40ss'));
  });
});

describe.each([
  [['scheduled', 'cancel', ''], 'mq: <id>: expected a schedule id (once:<queue>:<messageId>), got ""\n'],
  [['recurring', 'remove', ''], 'mq: <key>: expected a recurring key (or recurring:<key>), got ""\n'],
])('mq %p', (args, line) => {
  it('is a usage error (exit 2) naming the argument, before connecting, not "not found"', async () => {
    const written: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      // an unreachable Redis: a check made once connected would be exit 3
      expect(await main(['node', 'mq', '-r', 'redis://127.0.0.1:1', '--timeout', '200', ...args])).toBe(EXIT.usage);
    } finally {
      spy.mockRestore();
    }
    expect(written.join('')).toBe(line);
  });
});

describe('mq dashboard --admin-token ""', () => {
  it('is a usage error (exit 2) before connecting, not a read-only dashboard', async () => {
    const written: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      // an unreachable Redis: without the check this would be exit 3 (or, reachable, a dashboard serving read-only)
      const code = await main(['node', 'mq', '-r', 'redis://127.0.0.1:1', '--timeout', '200', 'dashboard', '--port', '0', '--admin-token', '']);
      expect(code).toBe(EXIT.usage);
    } finally {
      spy.mockRestore();
    }
    expect(written.join('')).toBe('mq: --admin-token: expected a token (not empty; leave the flag out for a read-only dashboard), got ""\n');
  });
});

describe('mq dashboard with a short admin token', () => {
  /** What `mq dashboard` prints and exits with, MQ_ADMIN_TOKEN set to `envToken` (unset: undefined). */
  async function dashboardWith(flags: string[], envToken: string | undefined): Promise<[number, string]> {
    const written: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const saved = process.env.MQ_ADMIN_TOKEN;
    if (envToken === undefined) delete process.env.MQ_ADMIN_TOKEN;
    else process.env.MQ_ADMIN_TOKEN = envToken;
    try {
      // an unreachable Redis: a check made once connected would be exit 3
      const code = await main(['node', 'mq', '-r', 'redis://127.0.0.1:1', '--timeout', '200', 'dashboard', '--port', '0', ...flags]);
      return [code, written.join('')];
    } finally {
      if (saved === undefined) delete process.env.MQ_ADMIN_TOKEN;
      else process.env.MQ_ADMIN_TOKEN = saved;
      spy.mockRestore();
    }
  }

  it('is a usage error (exit 2) before connecting, naming --admin-token or MQ_ADMIN_TOKEN and the minimum, never the token', async () => {
    expect(await dashboardWith(['--admin-token', 'tok'], undefined)).toEqual([
      EXIT.usage,
      'mq: --admin-token: expected a token of at least 16 characters, got 3 characters\n',
    ]);
    expect(await dashboardWith([], 'fifteen-chars-x')).toEqual([
      EXIT.usage,
      'mq: MQ_ADMIN_TOKEN: expected a token of at least 16 characters, got 15 characters\n',
    ]);
  });

  it('takes a token of 16 characters (then fails on the unreachable Redis: exit 3), and an empty MQ_ADMIN_TOKEN as none', async () => {
    expect((await dashboardWith(['--admin-token', 'sixteen-chars-xx'], undefined))[0]).toBe(EXIT.unreachable);
    expect((await dashboardWith([], ''))[0]).toBe(EXIT.unreachable);
  });

  it('--allowed-host: a name with a scheme or port is a usage error (exit 2) before connecting, naming the flag; good names go on to connect (exit 3)', async () => {
    expect(await dashboardWith(['--allowed-host', 'ops.example.com', '--allowed-host', 'https://x.example.com'], undefined)).toEqual([
      EXIT.usage,
      'mq: --allowed-host: expected a host name without port or scheme (dashboard.example.com; .example.com for it and its subdomains; an IP address), got "https://x.example.com"\n',
    ]);
    expect((await dashboardWith(['--allowed-host', 'ops.example.com:8080'], undefined))[0]).toBe(EXIT.usage);
    expect((await dashboardWith(['--allowed-host', 'ops.example.com', '--allowed-host', '.example.org'], undefined))[0]).toBe(EXIT.unreachable);
  });

  it('ADMIN_TOKEN_MIN_LENGTH is what the library asks: a 15-character token is refused by createDashboardHandler, a 16-character one taken', () => {
    const client = new Redis({ lazyConnect: true }); // never connected
    const admin = new QueueAdmin({ client });
    const handler = (adminToken: string) => () => createDashboardHandler({ admin, adminToken, audit: () => undefined });
    expect(handler('x'.repeat(ADMIN_TOKEN_MIN_LENGTH - 1))).toThrow(`at least ${ADMIN_TOKEN_MIN_LENGTH} characters`);
    expect(handler('x'.repeat(ADMIN_TOKEN_MIN_LENGTH))).not.toThrow();
    client.disconnect();
  });
});

describe('mq stats --count without --watch', () => {
  it('is a usage error (exit 2) before connecting, not one sample ignoring --count', async () => {
    const written: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const code = await main(['node', 'mq', '-r', 'redis://127.0.0.1:1', '--timeout', '200', 'stats', '--count', '3']);
      expect(code).toBe(EXIT.usage);
    } finally {
      spy.mockRestore();
    }
    expect(written.join('')).toBe('mq: --count: only with --watch (stats takes one sample without it), got 3\n');
  });
});
