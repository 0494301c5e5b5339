/**
 * The dist lock of built-projects.ts: two processes that each "build" (delete and slowly rewrite a
 * folder) and copy it, many times at once, never see each other's half-built folder and never
 * overlap; a lock left by a dead process is taken over, one held by a live process is waited for.
 */
import { ChildProcess, spawn } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { createInterface } from 'readline';
import { withBuiltProjects, withDistLock } from './built-projects';
import { waitFor } from './wait';

const ROOT = resolve(__dirname, '../../../..');
const ROUNDS = 4;
const FILES = 20;

/** A child process under ts-node: on "go" it builds and copies ROUNDS times through withBuiltProjects, one JSON line per round. */
const CHILD = `
const fs = require('fs');
const path = require('path');
const { withBuiltProjects } = require(${JSON.stringify(join(__dirname, 'built-projects'))});
const { lockFile, dist, rounds, files } = JSON.parse(process.env.LOCK_CHILD);
const pause = () => new Promise((resolve) => setTimeout(resolve, 2));
let from = 0;
async function build() {
  from = Date.now();
  fs.rmSync(dist, { recursive: true, force: true });
  fs.mkdirSync(dist, { recursive: true });
  const id = process.pid + '-' + Math.random();
  for (let i = 0; i < files; i++) {
    fs.writeFileSync(path.join(dist, 'f' + i), id);
    await pause();
  }
}
async function copy() {
  const copy = dist + '-copy-' + process.pid;
  fs.rmSync(copy, { recursive: true, force: true });
  try {
    await pause();
    fs.cpSync(dist, copy, { recursive: true });
    const names = fs.readdirSync(copy);
    return { files: names.length, builds: new Set(names.map((n) => fs.readFileSync(path.join(copy, n), 'utf8'))).size, from, to: Date.now() };
  } catch (error) {
    return { error: error.message, from, to: Date.now() };
  }
}
process.stdin.once('data', async () => {
  for (let round = 0; round < rounds; round++) {
    const result = await withBuiltProjects(['queue'], copy, { lockFile, pollMs: 5, build });
    process.stdout.write(JSON.stringify(result) + '\\n');
  }
  process.exit(0);
});
process.stdout.write('ready\\n');
`;

interface Round {
  files?: number;
  builds?: number;
  error?: string;
  from: number;
  to: number;
}

describe('withBuiltProjects / withDistLock', () => {
  let scratch: string;
  let lockFile: string;
  const children: ChildProcess[] = [];

  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'dist-lock-'));
    lockFile = join(scratch, 'dist-build.lock');
  });
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(scratch, { recursive: true, force: true });
  });

  it('two processes building and copying at once: every copy is one whole build, and the critical sections never overlap', async () => {
    const dist = join(scratch, 'dist');
    const rounds: Round[][] = [[], []];
    const ready = [false, false];
    const exits: Promise<number | null>[] = [];
    for (const n of [0, 1]) {
      const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', CHILD], {
        cwd: ROOT,
        env: { ...process.env, LOCK_CHILD: JSON.stringify({ lockFile, dist, rounds: ROUNDS, files: FILES }) },
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      children.push(child);
      exits.push(new Promise((done) => child.once('exit', (code) => done(code))));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line === 'ready') ready[n] = true;
        else rounds[n].push(JSON.parse(line) as Round);
      });
    }
    // both start together: without the lock their builds and copies interleave
    await waitFor(() => ready.every(Boolean) || children.some((c) => c.exitCode !== null), 'both children ready', 90_000, 20);
    for (const child of children) child.stdin!.write('go\n');
    expect(await Promise.all(exits)).toEqual([0, 0]);

    for (const mine of rounds) expect(mine).toEqual(Array(ROUNDS).fill(expect.objectContaining({ files: FILES, builds: 1 })));
    for (const a of rounds[0]) for (const b of rounds[1]) expect([a, b, a.to <= b.from || b.to <= a.from]).toEqual([a, b, true]);
    expect(existsSync(lockFile)).toBe(false);
  }, 120_000);

  it('a lock whose owner is dead (and a takeover guard it left) is taken over', async () => {
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((done) => dead.once('exit', done));
    writeFileSync(lockFile, JSON.stringify({ pid: dead.pid, token: 'killed', label: 'a killed Jest worker', since: new Date().toISOString() }));
    writeFileSync(`${lockFile}.takeover`, String(dead.pid));
    expect(await withDistLock(async () => readFileSync(lockFile, 'utf8'), { lockFile, timeoutMs: 20_000, pollMs: 10 })).toContain(`"pid":${process.pid}`);
    expect(existsSync(lockFile)).toBe(false);
  });

  it('a lock held by a live process is waited for, and the error names its holder', async () => {
    writeFileSync(lockFile, JSON.stringify({ pid: process.pid, token: 'live', label: 'a live holder', since: '2026-01-01T00:00:00.000Z' }));
    await expect(withDistLock(async () => 'ran', { lockFile, timeoutMs: 300, pollMs: 10 })).rejects.toThrow(
      new RegExp(`timed out after 300 ms waiting for the dist lock .*, held by pid ${process.pid} \\(a live holder\\) since 2026-01-01`),
    );
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toMatchObject({ token: 'live' });
  });

  it('hands dist/<projectRoot> of each project to the caller and releases the lock when the build fails', async () => {
    const build = async () => undefined;
    expect(await withBuiltProjects(['queue', 'ai-service'], async (dist) => dist, { lockFile, build })).toEqual({
      queue: join(ROOT, 'dist/libs/queue'),
      'ai-service': join(ROOT, 'dist/apps/ai-service'),
    });
    await expect(withBuiltProjects(['nope'], async () => 'ran', { lockFile, build })).rejects.toThrow('no Nx project "nope" under apps/ or libs/');
    const broken = async () => {
      throw new Error('tsc failed');
    };
    await expect(withBuiltProjects(['queue'], async () => 'ran', { lockFile, build: broken })).rejects.toThrow('tsc failed');
    expect(existsSync(lockFile)).toBe(false);
  });
});
