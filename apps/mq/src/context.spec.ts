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
  ])('refuses %p naming the flag (exit 2)', (flags, message) => {
    const error = usageError(() => readConfig({ timeout: '3000', ...flags }, env));
    expect(error).toMatchObject({ exitCode: EXIT.usage, message });
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
