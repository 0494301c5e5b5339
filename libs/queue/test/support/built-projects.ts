/**
 * `nx build` and what a test then does with dist/, one test process at a time.
 *
 * Jest runs spec files in several worker processes, and several specs build a project and then copy
 * or start its output. Without the Nx daemon (CI), `nx build` on a cache hit still deletes and
 * rewrites the project's files in dist/, so one spec's build can pull files from under another
 * spec's copy (ENOENT, a half-written file). {@link withBuiltProjects} builds and hands dist/ to the
 * caller while this checkout's dist lock is held: a file `tmp/dist-build.lock` made by exclusive
 * create, naming its owner's pid. One lock for all of dist/ (not one per project): a build may
 * write more than its own folder (a `dependsOn: ["^build"]` target builds its libraries too).
 *
 * Lives in libs/queue/test/support: the library's specs import it relatively and tools/soak (in no
 * Nx project) does too. apps/platform's dist-build spec imports it across projects, allowed by name
 * in eslint.config.mjs (the module boundaries' one exception for it).
 */
import { execFile } from 'child_process';
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'fs';
import { dirname, join, resolve } from 'path';
import { promisify } from 'util';
import { waitFor } from '../../src/testing/wait';
import { uniqueId } from '../../src/util/unique-id';

const ROOT = resolve(__dirname, '../../../..');
const run = promisify(execFile);

/** The dist lock of this checkout (tmp/ is git-ignored). */
export const DIST_LOCK = join(ROOT, 'tmp', 'dist-build.lock');

/** How long {@link withDistLock} waits for the lock by default: a holder builds (a cache miss takes a minute or two on a busy machine) and copies or starts. */
export const DIST_LOCK_TIMEOUT_MS = 300_000;

export interface DistLockOptions {
  /** The lock file (default {@link DIST_LOCK}; this helper's own spec uses a scratch one). */
  lockFile?: string;
  /** Longest wait for the lock (default {@link DIST_LOCK_TIMEOUT_MS}); then an error names the holder. */
  timeoutMs?: number;
  /** Pause between attempts while another process holds it (default 100 ms). */
  pollMs?: number;
  /** What the holder does, written into the lock for whoever waits (default the process's arguments). */
  label?: string;
}

export interface BuiltProjectsOptions extends DistLockOptions {
  /** Builds the projects (default: `nx build`, or `nx run-many -t build` for several). */
  build?: (projects: readonly string[]) => Promise<void>;
}

interface Owner {
  pid: number;
  token: string;
  label: string;
  /** When it took the lock (ISO time). */
  since: string;
}

/**
 * Builds `projects` (Nx project names), then runs `use` with the absolute path of each one's
 * dist/<projectRoot> folder, all while holding the dist lock, so no other test process's build
 * rewrites dist/ until `use` is done: copy the output, or start from it and wait until the
 * processes have loaded their code. Resolves with what `use` resolves with.
 * @throws Error when the lock is not had within the timeout (naming its holder) or the build fails (with its output)
 */
export async function withBuiltProjects<T>(
  projects: readonly string[],
  use: (dist: Record<string, string>) => Promise<T>,
  options: BuiltProjectsOptions = {},
): Promise<T> {
  const dist = Object.fromEntries(projects.map((project) => [project, distFolder(project)]));
  const build = options.build ?? nxBuild;
  return withDistLock(
    async () => {
      await build(projects);
      return use(dist);
    },
    { label: `build ${projects.join(', ')}`, ...options },
  );
}

/**
 * Runs `critical` while holding the dist lock: waits (polling) while a live process holds it, takes
 * over a lock whose owner is gone (a killed Jest worker), releases it when `critical` settles.
 * @throws Error when the lock is not had within `timeoutMs`, naming the holder
 */
export async function withDistLock<T>(critical: () => Promise<T>, options: DistLockOptions = {}): Promise<T> {
  const lock = options.lockFile ?? DIST_LOCK;
  const timeoutMs = options.timeoutMs ?? DIST_LOCK_TIMEOUT_MS;
  const owner: Owner = { pid: process.pid, token: uniqueId(), label: options.label ?? process.argv.slice(1).join(' '), since: '' };
  mkdirSync(dirname(lock), { recursive: true });
  await waitFor(
    () => tryLock(lock, owner) || (removeIfAbandoned(lock) && tryLock(lock, owner)),
    `the dist lock ${lock}`,
    timeoutMs,
    options.pollMs ?? 100,
  ).catch((error: Error) => {
    const holder = readOwner(lock);
    throw new Error(`${error.message}${holder ? `, held by pid ${holder.pid} (${holder.label}) since ${holder.since}` : ''}`);
  });
  try {
    return await critical();
  } finally {
    if (readOwner(lock)?.token === owner.token) rmSync(lock, { force: true });
  }
}

/** The lock file appears whole or not at all: the owner is written to a draft, then hard-linked (fails when the lock exists). */
function tryLock(lock: string, owner: Owner): boolean {
  const draft = `${lock}.${owner.token}`;
  writeFileSync(draft, JSON.stringify({ ...owner, since: new Date().toISOString() }));
  try {
    linkSync(draft, lock);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(draft, { force: true });
  }
}

/**
 * Removes the lock when its owner's process is gone; true when it did. Waiters that see the same
 * abandoned lock take turns through a guard file (exclusive create): the one holding it removes the
 * lock only if it is still the one it saw, so a lock just taken by another waiter is never removed.
 * A guard left by a process killed within those few instructions is removed the same way.
 */
function removeIfAbandoned(lock: string): boolean {
  const seen = readOwner(lock);
  if (!seen || alive(seen.pid)) return false;
  const guard = `${lock}.takeover`;
  try {
    writeFileSync(guard, String(process.pid), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const pid = Number(readText(guard));
    if (pid > 0 && !alive(pid)) rmSync(guard, { force: true });
    return false;
  }
  try {
    if (readOwner(lock)?.token !== seen.token) return false;
    unlinkSync(lock);
    return true;
  } finally {
    rmSync(guard, { force: true });
  }
}

function readOwner(lock: string): Owner | undefined {
  const text = readText(lock);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as Owner;
  } catch {
    return undefined;
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid exists (EPERM: it exists, owned by another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** dist/<projectRoot> of an application (apps/<name>) or a library (libs/<name>). */
function distFolder(project: string): string {
  for (const kind of ['apps', 'libs']) if (existsSync(join(ROOT, kind, project, 'project.json'))) return join(ROOT, 'dist', kind, project);
  throw new Error(`no Nx project "${project}" under apps/ or libs/`);
}

async function nxBuild(projects: readonly string[]): Promise<void> {
  const args = projects.length === 1 ? ['build', projects[0]] : ['run-many', '-t', 'build', '-p', projects.join(',')];
  await run(process.execPath, [join(ROOT, 'node_modules/nx/bin/nx.js'), ...args, '--output-style=static'], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
    timeout: 600_000,
  }).catch((error: { message: string; stdout?: string; stderr?: string }) => {
    throw new Error(`nx ${args.join(' ')} failed: ${error.message}\n${error.stdout ?? ''}\n${error.stderr ?? ''}`);
  });
}
