/**
 * The published package as a user gets it: builds dist/libs/queue (`nx build queue`, which runs
 * libs/queue/scripts/build.js), packs it with `npm pack` (both under the dist lock of
 * ../support/built-projects.ts), installs the tarball into a scratch project under os.tmpdir()
 * that holds nothing of this repository (only registry packages: ioredis,
 * TypeScript's Node types and, for the second part, the Nest packages of the root package.json),
 * compiles the consumers of ./consumer there against the package's own type declarations and runs
 * them against a throwaway redis-server: in one project without any Nest package, in another with
 * Nest (QueueModule and an @OnTask handler). Needs the npm registry (or npm's cache: installs prefer it).
 */
import { execFile } from 'child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { promisify } from 'util';
import { RedisServerHandle, spawnRedis } from '../../src/testing';
import { DIST_LOCK_TIMEOUT_MS, withBuiltProjects } from '../support/built-projects';

const run = promisify(execFile);
const REPO = resolve(__dirname, '../../../..');
const ROOT_PACKAGE = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const TSC = join(REPO, 'node_modules/typescript/bin/tsc');

// Build, pack and two npm installs: about a minute on a quiet machine, several on a loaded one;
// before them, at most the wait for the dist lock.
jest.setTimeout(480_000 + DIST_LOCK_TIMEOUT_MS);

/** The version the repository itself uses, so the scratch project tests what the services run. */
const pinned = (name: string) => `${name}@${ROOT_PACKAGE.dependencies[name] ?? ROOT_PACKAGE.devDependencies[name]}`;

async function npm(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/**
 * Compiles `file` of the scratch project with strict settings. `checkDeclarations` also checks every
 * .d.ts (the package's must not refer to modules the project lacks, such as @nestjs/* without Nest).
 */
async function compile(dir: string, file: string, checkDeclarations: boolean): Promise<void> {
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'node16',
        moduleResolution: 'node16',
        strict: true,
        esModuleInterop: true,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        skipLibCheck: !checkDeclarations,
        types: ['node'],
        outDir: 'out',
      },
      files: [file],
    }),
  );
  await run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: dir }).catch((error: { stdout?: string }) => {
    throw new Error(`tsc failed in the scratch project:\n${error.stdout}`);
  });
}

/** Runs a compiled consumer; returns the `result` of its JSON line and all it printed. */
async function consume(dir: string, file: string, redisUrl: string): Promise<{ result: Record<string, unknown>; output: string }> {
  const { stdout, stderr } = await run(process.execPath, [join('out', file)], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, REDIS_URL: redisUrl, NO_COLOR: '1' },
    timeout: 60_000,
  }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(`${file} failed: ${error.message}\n${error.stdout}\n${error.stderr}`);
  });
  const line = stdout.split('\n').find((l) => l.startsWith('{"result":'));
  if (!line) throw new Error(`${file} printed no result:\n${stdout}\n${stderr}`);
  return { result: (JSON.parse(line) as { result: Record<string, unknown> }).result, output: `${stdout}\n${stderr}` };
}

/** A scratch project with the tarball and `packages` from the registry, and the consumers of ./consumer. */
async function scratchProject(parent: string, name: string, tarball: string, packages: string[]): Promise<string> {
  const dir = join(parent, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `scratch-${name}`, version: '1.0.0', private: true }));
  for (const file of readdirSync(join(__dirname, 'consumer'))) copyFileSync(join(__dirname, 'consumer', file), join(dir, file));
  await npm(dir, ['install', '--prefer-offline', tarball, ...packages.map(pinned)]);
  return dir;
}

describe('the packed @meeting/queue in a project outside the repository', () => {
  let server: RedisServerHandle;
  let scratch: string;
  let tarball: string;
  let plainApp: string;
  let nestApp: string;

  beforeAll(async () => {
    server = await spawnRedis();
    scratch = mkdtempSync(join(tmpdir(), 'meeting-queue-pack-'));
    // Through Nx like the service builds (it runs libs/queue/scripts/build.js): read from Nx's cache
    // when CI has just built it. Built and packed under the dist lock: no other spec's build rewrites
    // dist/ until the tarball is made.
    const packed = await withBuiltProjects(['queue'], (dist) => npm(scratch, ['pack', dist.queue, '--pack-destination', scratch]));
    tarball = join(scratch, packed.trim().split('\n').pop()!);
    // Two projects, installed at once: one without any Nest package, one with the peers the nest
    // entry needs at the versions the services use.
    [plainApp, nestApp] = await Promise.all([
      scratchProject(scratch, 'plain', tarball, ['ioredis', '@types/node']),
      scratchProject(scratch, 'nest', tarball, [
        'ioredis',
        '@types/node',
        '@nestjs/common',
        '@nestjs/core',
        '@nestjs/platform-express',
        '@nestjs/microservices',
        '@nestjs/terminus',
        'reflect-metadata',
        'rxjs',
      ]),
    ]);
  });

  afterAll(async () => {
    await server?.cleanup();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('ships compiled code, type declarations, the Lua scripts and the exports map, and nothing of the tests', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball]);
    const files = stdout
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, ''));
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'index.js',
        'index.d.ts',
        'nest/index.js',
        'nest/index.d.ts',
        'testing/index.js',
        'testing/index.d.ts',
        'queue/redis/lua/publish.lua',
        'queue/redis/lua/fetch.lua',
      ]),
    );
    expect(files.filter((f) => f.endsWith('.lua')).length).toBeGreaterThan(20);
    expect(files.filter((f) => /\.spec\.|\/testing\/.*-kit|test-helpers/.test(f))).toEqual([]);
  });

  it('without Nest installed: a queue and a QueueManager publish and process messages', async () => {
    // The optional peers are not pulled in: no @nestjs package in the project.
    await expect(run(process.execPath, ['-e', "require.resolve('@nestjs/common')"], { cwd: plainApp })).rejects.toThrow();
    await compile(plainApp, 'plain.ts', true);
    const plain = await consume(plainApp, 'plain.js', server.url);
    expect(plain.result).toEqual({ queueResult: 42, status: 'completed', managerResult: 'HELLO', internalsHidden: true, nestLoaded: false });
    // The default console logger (text outside production), each line tagged with its component.
    expect(plain.output).toMatch(/ LOG \[QueueManager\] connected to Redis/);
  });

  it('with Nest: QueueModule runs an @OnTask handler, /health/ready answers, the logs go through Nest', async () => {
    await compile(nestApp, 'nest.ts', false);
    const nest = await consume(nestApp, 'nest.js', server.url);
    expect(nest.result).toEqual({ dispatched: 'NEST', seen: 'NEST:1', readyStatus: 200 });
    // The library's lines in Nest's format: "[Nest] <pid>  - <date>     LOG [QueueManager] ...".
    expect(nest.output).toMatch(/\[Nest\] \d+ .*LOG \[QueueManager\] connected to Redis/);
  });
});
