import { spawn } from 'child_process';
import { join } from 'path';
import { freePort, RedisServerHandle, spawnRedis, waitFor } from '@meeting/queue/testing';

const ROOT = join(__dirname, '..', '..', '..');
const PASSWORD = 'Redis-pw-7f3c9e';

/** Runs the service's main.ts with stdout and stderr piped (not a terminal), until `until` resolves; then SIGTERM. */
async function runService(
  env: NodeJS.ProcessEnv,
  until: (port: number, exited: Promise<unknown>) => Promise<unknown>,
): Promise<{ output: string; code: number | null; signal: NodeJS.Signals | null }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/signaling-service/src/main.ts'], {
    // A plain environment (not Jest's): FORCE_COLOR asks for colours, which a pipe must not get.
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, FORCE_COLOR: '1', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  try {
    await until(port, exited);
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
  }
  const { code, signal } = await exited; // before reading output: the last lines arrive until then
  return { output, code, signal };
}

describe('signaling-service logs (a child process, stdout not a terminal)', () => {
  let redis: RedisServerHandle;
  beforeAll(async () => {
    redis = await spawnRedis({ password: PASSWORD });
  });
  afterAll(() => redis?.cleanup());

  it('writes JSON lines (time, level, service, context, message) without colour codes or the Redis password', async () => {
    const { output, code, signal } = await runService({ REDIS_URL: redis.url }, (port) =>
      waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => null))?.status === 200, '/health/ready 200', 60_000),
    );
    // SIGTERM closes the application (the queue drains); the process exits 0 with every line written.
    expect([code, signal]).toEqual([0, null]);
    expect(redis.url).toContain(PASSWORD);
    expect(output).not.toContain(PASSWORD);
    expect(output).not.toContain('\u001b[');
    const lines = output
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(expect.arrayContaining(['time', 'level', 'service', 'message']));
      expect(line.service).toBe('signaling-service');
    }
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'log', context: 'Bootstrap', message: expect.stringContaining('signaling-service listening on') }),
    );
    expect(lines).toContainEqual(expect.objectContaining({ context: 'QueueManager', message: expect.stringContaining('redis://:***@127.0.0.1') }));
    // first on close the handlers drain (before other modules' destroy hooks), last the manager shuts down
    expect(lines).toContainEqual(expect.objectContaining({ context: 'QueueModule', message: 'draining queue handlers: the workers stop taking tasks' }));
    expect(lines.slice(-2).map((l) => `${l.context}: ${l.message}`)).toEqual([
      'QueueModule: shutting the queue manager down (SIGTERM)',
      'QueueManager: shut down',
    ]);
    expect(lines).toContainEqual(expect.objectContaining({ context: 'Bootstrap', message: 'SIGTERM: closing' }));
  }, 120_000);

  it('LOG_LEVEL=warn keeps warnings and errors only; a start-up failure is logged without the password', async () => {
    const wrong = redis.url.replace(encodeURIComponent(PASSWORD), `${PASSWORD}-wrong`);
    const { output, code } = await runService({ REDIS_URL: wrong, LOG_LEVEL: 'warn' }, (_port, exited) => exited);
    expect(code).toBe(1);
    expect(output).not.toContain(PASSWORD);
    const lines = output
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { level: string; message: string });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.map((l) => l.level).every((l) => ['warn', 'error', 'fatal'].includes(l))).toBe(true);
    expect(lines).toContainEqual(
      // a wrong password is known at once and said as such (RedisAuthError), not "not reachable" after connect_timeout_ms
      expect.objectContaining({
        level: 'error',
        message: expect.stringMatching(
          /Redis redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ refused the credentials \(WRONGPASS .*\); check redis\.username and redis\.password/,
        ),
      }),
    );
  }, 120_000);
});
