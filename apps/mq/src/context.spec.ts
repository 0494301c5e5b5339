/**
 * The global flags that choose what `mq` operates: a flag given empty (`-r "$UNSET"`) or bad is a
 * usage error naming the flag (exit 2), never taken as absent (which would operate another Redis,
 * another prefix, or a dashboard without its admin token) nor blamed on a configuration file.
 */
import { join } from 'path';
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
