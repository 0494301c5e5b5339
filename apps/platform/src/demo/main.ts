/**
 * `npm run demo`: drives a whole meeting through the platform and prints a timeline (see
 * docs/services.md, "The demo"). Uses the running platform (`npm start`, ports from
 * PLATFORM_BASE_PORT, default 3001..3004) when its meeting-service answers; otherwise starts the
 * platform itself (`apps/platform/src/main.ts`, Redis as `npm start` resolves it) on free ports and
 * stops it afterwards. Exits 1 when a step fails.
 */
import 'reflect-metadata';
import { ChildProcess, spawn } from 'child_process';
import { createServer } from 'net';
import { resolve } from 'path';
import { platformServices } from '../services';
import { DemoTargets, runDemoScenario } from './demo-scenario';
import { formatQueueStats } from './queue-stats';

const ROOT = resolve(__dirname, '..', '..', '..', '..');
const START_TIMEOUT_MS = 120_000;

function targetsFor(env: NodeJS.ProcessEnv): DemoTargets {
  const [ai, meeting, media, signaling] = platformServices(env, false).map((s) => `http://127.0.0.1:${s.port}`);
  return { ai, meeting, media, signaling };
}

async function ready(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}

/** A base port with four free ports from it. */
async function freeBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    if ((await Promise.all([0, 1, 2, 3].map((i) => portFree(base + i)))).every(Boolean)) return base;
  }
  throw new Error('no four free consecutive ports found');
}

async function startPlatform(): Promise<{ targets: DemoTargets; child: ChildProcess; output: () => string }> {
  const base = await freeBase();
  // the demo is the platform's only client: no rate limit
  const env = { ...process.env, PLATFORM_BASE_PORT: String(base), LOG_FORMAT: 'text', RATE_LIMIT: 'off' };
  const targets = targetsFor(env);
  process.stdout.write(`starting the platform on ports ${base}..${base + 3} (its output is shown if the demo fails)\n`);
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/platform/src/main.ts'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the platform exited (code ${child.exitCode}) before it was up:\n${output}`);
    if (output.includes('in-memory backend'))
      throw new Error('the platform runs on the memory backend (no redis-server on PATH, no REDIS_URL): the demo needs Redis');
    if ((await Promise.all(Object.values(targets).map(ready))).every(Boolean)) return { targets, child, output: () => output };
    if (Date.now() > deadline) throw new Error(`the platform was not up within ${START_TIMEOUT_MS} ms:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function stopPlatform(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await exited;
}

async function main(): Promise<number> {
  let targets = targetsFor(process.env);
  let started: Awaited<ReturnType<typeof startPlatform>> | undefined;
  if (await ready(targets.meeting)) {
    process.stdout.write(`using the running platform (meeting-service ${targets.meeting})\n`);
  } else {
    started = await startPlatform();
    targets = started.targets;
  }
  const began = Date.now();
  try {
    process.stdout.write('\n    at      took  step\n');
    const outcome = await runDemoScenario(targets, (line) => process.stdout.write(`${line}\n`));
    process.stdout.write(`\nmeeting ${outcome.meetingId} done in ${Date.now() - began} ms; queues at the end:\n`);
    process.stdout.write(`${formatQueueStats(outcome.queueStats).join('\n')}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    if (started) process.stderr.write(`\nplatform output:\n${started.output()}\n`);
    return 1;
  } finally {
    if (started) await stopPlatform(started.child);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
