/**
 * The launcher's check of REDIS_URL before it starts anything (issue 14, "Launcher"): one line on
 * stderr, nothing on stdout, no stack trace, exit 3, no service started; its log settings checked
 * the same way (exit 2); and its own log lines JSON, like the services', when stdout is not a
 * terminal. (The overlay checks are unit-tested in config-files.spec.ts: each launch here compiles
 * the platform twice under ts-node.)
 */
import { ChildProcess, spawn } from 'child_process';
import { createInterface } from 'readline';
import { resolve } from 'path';
import { freePort, waitFor } from '@meeting/queue/testing';

const ROOT = resolve(__dirname, '..', '..', '..');

jest.setTimeout(60_000);

/** The launcher from the sources, stdout and stderr piped (not a terminal). */
function spawnLauncher(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/platform/src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, REDIS_URL: '', CONFIG_FILE: '', PLATFORM_BASE_PORT: '4801', NO_COLOR: '1', LOG_FORMAT: '', LOG_LEVEL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function launch(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawnLauncher(env);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    child.once('error', fail);
    child.once('exit', (code) => done({ code, stdout, stderr }));
  });
}

describe('platform launcher: checks before starting (e2e)', () => {
  it('an unreachable REDIS_URL: one line naming the masked URL and the cause, exit 3, no service started', async () => {
    const port = await freePort();
    const { code, stdout, stderr } = await launch({ REDIS_URL: `redis://admin:s3cret@127.0.0.1:${port}/0` });
    expect(code).toBe(3);
    expect(stdout).toBe('');
    const lines = stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^platform: Redis at redis://admin:\\*+@127\\.0\\.0\\.1:${port}/0 \\(REDIS_URL\\) is not reachable: .*ECONNREFUSED`));
    expect(stderr).not.toContain('s3cret');
  });

  it('a LOG_LEVEL that is not a level: one line naming it, exit 2, no service started', async () => {
    const { code, stdout, stderr } = await launch({ LOG_LEVEL: 'loud' });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^platform: LOG_LEVEL: expected one of verbose, .*got "loud"$/)]);
  });

  it("its own lines are JSON like the services' when stdout is not a terminal: the embedded redis-server, the services it starts", async () => {
    const base = await freePort();
    const child = spawnLauncher({ PLATFORM_BASE_PORT: String(base), NO_COLOR: '', NODE_ENV: 'production' });
    const exited = new Promise((done) => child.once('exit', done));
    const own: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.includes('| ')) own.push(line); // the services' lines are prefixed with their name
    });
    try {
      await waitFor(() => own.some((l) => l.includes('starting ai-service')), 'the launcher starting the services', 90_000);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    const embedded = own.find((l) => l.includes('embedded redis-server'));
    const starting = own.find((l) => l.includes('starting ai-service'));
    for (const line of [embedded, starting]) expect(() => JSON.parse(line ?? '')).not.toThrow();
    expect(JSON.parse(embedded!)).toMatchObject({
      level: 'log',
      service: 'platform',
      context: 'EmbeddedRedis',
      message: expect.stringMatching(/^REDIS_URL is not set: started an embedded redis-server at redis:\/\/127\.0\.0\.1:\d+/),
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(JSON.parse(starting!)).toMatchObject({ level: 'log', service: 'platform', context: 'Platform' });
    expect(own.join('\n')).not.toContain('\u001b[');
  }, 150_000);
});
