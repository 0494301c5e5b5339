/**
 * A service built by `nx build` runs from its dist folder alone: copied outside the repository,
 * with production dependencies only (npm ci --omit=dev from the lockfile the build wrote), from an
 * unrelated working directory, against a throwaway Redis; it answers 200 on /health/ready and
 * drains and stops on SIGTERM. Needs the npm registry (or npm's cache) for the install. The build
 * and the copy run under the dist lock (libs/queue/test/support/built-projects.ts).
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import { get } from 'http';
import { tmpdir } from 'os';
import { join } from 'path';
import { freePort, RedisServerHandle, spawnRedis, waitFor } from '@meeting/queue/testing';
import { DIST_LOCK_TIMEOUT_MS, withBuiltProjects } from '../../../libs/queue/test/support/built-projects';

const SERVICE = 'ai-service';

// the build, npm ci and the start, after at most the wait for the dist lock
jest.setTimeout(420_000 + DIST_LOCK_TIMEOUT_MS);

function status(port: number, path: string): Promise<number> {
  return new Promise((done) => {
    const req = get({ host: '127.0.0.1', port, path, timeout: 2000 }, (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => done(0));
  });
}

describe('a service built to dist/ runs with production dependencies only (e2e)', () => {
  let scratch: string;
  let server: RedisServerHandle;
  let service: ChildProcess | undefined;
  const output: string[] = [];

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'mq-dist-'));
    server = await spawnRedis();
  });

  afterAll(async () => {
    if (service && service.exitCode === null && service.signalCode === null) service.kill('SIGKILL');
    await server?.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });

  it(`nx build ${SERVICE}, npm ci --omit=dev in a scratch copy, node main.js answers /health/ready`, async () => {
    const app = join(scratch, SERVICE);
    // build and copy under the dist lock: another spec's build rewrites dist/ only once the copy is whole
    await withBuiltProjects([SERVICE], async (dist) => cpSync(dist[SERVICE], app, { recursive: true }));

    const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
    expect(manifest.devDependencies).toBeUndefined();
    expect(Object.keys(manifest.dependencies)).toEqual(expect.arrayContaining(['@nestjs/core', 'ioredis']));
    execFileSync('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: app, stdio: 'pipe' });
    for (const dev of ['typescript', 'ts-node', 'tsconfig-paths', 'jest', 'nx'])
      expect([dev, existsSync(join(app, 'node_modules', dev))]).toEqual([dev, false]);

    const port = await freePort();
    const cwd = mkdtempSync(join(scratch, 'cwd-'));
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, REDIS_URL: server.url, PORT: String(port), NO_COLOR: '1' };
    service = spawn(process.execPath, [join(app, 'main.js')], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [service.stdout!, service.stderr!]) stream.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const exited = new Promise<string>((done) => service!.once('close', (code, signal) => done(signal ?? `code ${code}`)));

    await waitFor(async () => service!.exitCode !== null || (await status(port, '/health/ready')) === 200, `${SERVICE} ready on :${port}`, 60_000, 250).catch(
      (error: Error) => {
        throw new Error(`${error.message}\n${output.join('')}`);
      },
    );
    expect([service.exitCode, output.join('')]).toEqual([null, expect.stringContaining(`${SERVICE} listening on http://localhost:${port}`)]);
    expect(await status(port, '/health/ready')).toBe(200);

    // Nest's shutdown hooks drain, close, then re-raise the signal.
    service.kill('SIGTERM');
    expect(await exited).toMatch(/^(SIGTERM|code 0)$/);
    // stdout is not a terminal: JSON log lines (ServiceLogger)
    expect(output.join('')).toMatch(/"context":"QueueManager","message":"shut down"/);
  });
});
