import { ChildProcess, execFileSync, spawn } from 'child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import { homedir, tmpdir } from 'os';
import { join } from 'path';
import { freePort, RedisServerHandle, spawnRedis, waitFor } from '../../src/testing';
import { withBuiltProjects } from '../support/built-projects';

const ROOT = join(__dirname, '..', '..', '..', '..');

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** The stages of a Dockerfile: instructions with continuation lines joined, comments dropped. */
function parseDockerfile(text: string): { preamble: Instruction[]; stages: Stage[] } {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const preamble: Instruction[] = [];
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, op, args] = /^(\S+)\s+(.*)$/.exec(line)!;
    const instruction = { op: op.toUpperCase(), args: args.replace(/\s+/g, ' ') };
    if (instruction.op === 'FROM') {
      const m = /^(\S+)(?: AS (\S+))?$/i.exec(instruction.args)!;
      stages.push({ from: m[1], name: m[2], instructions: [] });
    } else if (stages.length === 0) preamble.push(instruction);
    else stages[stages.length - 1].instructions.push(instruction);
  }
  return { preamble, stages };
}

const dockerfile = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const [build, final] = dockerfile.stages;
const ops = (stage: Stage, op: string) => stage.instructions.filter((i) => i.op === op).map((i) => i.args);

describe('Dockerfile structure', () => {
  test('two stages on a slim Node 20 base: build runs the Nx build, the final stage installs production dependencies only', () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    expect(dockerfile.preamble).toEqual([{ op: 'ARG', args: 'NODE_IMAGE=node:20-bookworm-slim' }]);
    for (const s of dockerfile.stages) expect(s.from).toBe('${NODE_IMAGE}');
    expect(ops(build, 'RUN').join('\n')).toContain('npx nx build "${SERVICE}"');
    expect(ops(final, 'RUN')).toEqual(['test -n "${PORT}" && npm ci --omit=dev --no-audit --no-fund && npm cache clean --force']);
  });

  test('the final stage copies only the built service folder: no sources, no workspace, no dev dependencies', () => {
    expect(ops(final, 'COPY')).toEqual(['--from=build /workspace/dist/apps/${SERVICE}/ ./']);
    expect(ops(final, 'ADD')).toEqual([]);
    expect(ops(final, 'RUN').join(' ')).not.toMatch(/nx|tsc|ts-node|npm (install|i)\b/);
  });

  test('runs as a non-root user, with a HEALTHCHECK on /health and node as PID 1 (SIGTERM drains)', () => {
    const users = ops(final, 'USER');
    expect(users).toEqual(['node']);
    const userAt = final.instructions.findIndex((i) => i.op === 'USER');
    expect(final.instructions.slice(userAt).some((i) => i.op === 'RUN' || i.op === 'COPY')).toBe(false);
    const [health] = ops(final, 'HEALTHCHECK');
    expect(health).toMatch(/^--interval=\S+ --timeout=\S+ --start-period=\S+ --retries=\d+ CMD \[/);
    expect(health).toContain("'/health'");
    expect(ops(final, 'CMD')).toEqual(['["node", "main.js"]']); // exec form: no shell between the signal and node
    expect(ops(final, 'ENTRYPOINT')).toEqual([]);
    expect(ops(final, 'STOPSIGNAL')).toEqual(['SIGTERM']);
    // The services turn SIGTERM into a drain (closeOnSignals; the logs test sends it to a real process).
    expect(readFileSync(join(ROOT, 'libs', 'queue', 'src', 'nest', 'run-service.ts'), 'utf8')).toContain('closeOnSignals(app, logger)');
  });

  test('.dockerignore keeps node_modules, dist and .git out of the build context', () => {
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim());
    expect(ignore).toEqual(expect.arrayContaining(['.git', '**/node_modules', 'dist', '.nx']));
  });
});

// The final stage's steps, outside Docker: needs the Nx build of a service (tools/build, branch nx).
const hasBuild = existsSync(join(ROOT, 'tools', 'build'));
const outside = hasBuild ? describe : describe.skip;
if (!hasBuild) console.warn('dockerfile.spec: "same steps outside Docker" skipped: tools/build (the Nx service build) is absent on this branch');

outside('Dockerfile final stage, the same steps outside Docker (media-service)', () => {
  const SERVICE = 'media-service';
  let scratch: string;
  let redis: RedisServerHandle;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'image-'));
    redis = await spawnRedis();
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await redis?.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('build, copy what the final stage copies, npm ci --omit=dev, start: /health/ready 200, HEALTHCHECK passes, SIGTERM drains', async () => {
    const port = await freePort();
    const args: Record<string, string> = { SERVICE, PORT: String(port) };
    const expand = (s: string) => s.replace(/\$\{(\w+)\}/g, (_m, k: string) => args[k] ?? '');
    // COPY --from=build /workspace/<path> ./  → <repository>/<path> into the scratch folder, built
    // and copied under the dist lock (no other spec's `nx build` rewrites dist/ meanwhile).
    const [copy] = ops(final, 'COPY');
    const [, from] = /^--from=build \/workspace\/(\S+) \.\/$/.exec(expand(copy))!;
    await withBuiltProjects([SERVICE], async () => cpSync(join(ROOT, from), scratch, { recursive: true }));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: scratch,
      npm_config_cache: seedNpmCache(join(scratch, '.npm-cache')),
      npm_config_prefer_offline: 'true',
      npm_config_update_notifier: 'false',
    };
    for (const e of ops(final, 'ENV')) for (const m of e.matchAll(/(\w+)=(\S+)/g)) env[m[1]] = expand(m[2]);
    for (const run of ops(final, 'RUN')) execFileSync('sh', ['-c', run], { cwd: scratch, env: { ...env, ...args }, stdio: 'pipe', timeout: 240_000 });
    for (const dev of ['typescript', 'ts-node', 'jest', 'nx', '@nx/js']) expect(existsSync(join(scratch, 'node_modules', dev))).toBe(false);
    expect(existsSync(join(scratch, 'node_modules', '@nestjs', 'core'))).toBe(true);

    const [cmd] = ops(final, 'CMD');
    const argv = JSON.parse(cmd) as string[];
    child = spawn(argv[0], argv.slice(1), { cwd: scratch, env: { ...env, REDIS_URL: redis.url }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    await waitFor(
      async () => {
        if (child!.exitCode !== null) throw new Error(`the service exited ${child!.exitCode}:\n${output}`);
        const res = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => null);
        return res?.status === 200;
      },
      '/health/ready 200',
      60_000,
    );
    // The image's HEALTHCHECK command, as Docker would run it inside the container.
    const health = JSON.parse(/CMD (\[.*\])$/.exec(ops(final, 'HEALTHCHECK')[0])![1]) as string[];
    execFileSync(health[0], health.slice(1), { env, stdio: 'pipe', timeout: 10_000 });
    const exited = new Promise<[number | null, string | null]>((resolve) => child!.once('close', (code, signal) => resolve([code, signal])));
    child.kill('SIGTERM');
    // SIGTERM closes the application (the queue drains), then the process exits 0.
    expect(await exited).toEqual([0, null]);
    expect(output).toMatch(/draining queue handlers/);
    expect(output).toMatch(/shutting the queue manager down \(SIGTERM\)/);
    expect(output).toMatch(/shut down/);
  }, 900_000); // 600 s for the steps, after at most the wait for the dist lock (DIST_LOCK_TIMEOUT_MS, 300 s)
});

/**
 * A private npm cache for the image's `npm ci` (its RUN ends with `npm cache clean --force`, which
 * must not empty the workspace's cache), seeded from the cache the workspace's own `npm ci` filled:
 * content files hard-linked (content-addressed, never written again), the index copied. With
 * prefer-offline the install then needs no registry (a slow registry once stalled it for 240 s).
 * Without a workspace cache, or across file systems, it stays empty and npm downloads.
 */
function seedNpmCache(dir: string): string {
  const from = join(process.env.npm_config_cache ?? join(homedir(), '.npm'), '_cacache');
  const to = join(dir, '_cacache');
  mkdirSync(to, { recursive: true });
  if (!existsSync(join(from, 'content-v2')) || !existsSync(join(from, 'index-v5'))) return dir;
  try {
    execFileSync('cp', ['-al', join(from, 'content-v2'), to], { stdio: 'pipe' });
    cpSync(join(from, 'index-v5'), join(to, 'index-v5'), { recursive: true });
  } catch {
    rmSync(to, { recursive: true, force: true });
    mkdirSync(to, { recursive: true });
  }
  return dir;
}
