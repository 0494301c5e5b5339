/**
 * The launcher's check of REDIS_URL before it starts anything (issue 14, "Launcher"): one line on
 * stderr, nothing on stdout, no stack trace, exit 3, no service started. (The overlay checks are
 * unit-tested in config-files.spec.ts: each launch here compiles the platform twice under ts-node.)
 */
import { spawn } from 'child_process';
import { resolve } from 'path';
import { freePort } from '@meeting/queue/testing';

const ROOT = resolve(__dirname, '..', '..', '..');

jest.setTimeout(60_000);

function launch(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/platform/src/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, REDIS_URL: '', CONFIG_FILE: '', PLATFORM_BASE_PORT: '4801', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
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
});
