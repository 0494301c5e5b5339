/**
 * `nx build <project>` (run by the build target of every project.json):
 *
 *   node -r ts-node/register/transpile-only tools/build/build-project.ts <project>
 *
 * - An application (`apps/<name>`) becomes `dist/apps/<name>/`, a folder that runs on its own with
 *   `node dist/apps/<name>/main.js` and production dependencies only (see docs/building.md).
 * - A library (`libs/<name>`) becomes `dist/libs/<name>/`: JavaScript, declarations, its Lua scripts
 *   beside the compiled code and its package.json.
 *
 * tsc compiles (it keeps the NestJS decorator metadata; esbuild does not emit it).
 */
import { createProjectGraphAsync, ProjectGraph, readCachedProjectGraph, workspaceRoot } from '@nx/devkit';
import { createLockFile, createPackageJson } from '@nx/js';
import { execFileSync } from 'child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { join, relative } from 'path';
import { compiledLibraries, copyFiles, isAsset, isConfig, PathAliases, readPathAliases, rewriteAliases } from './dist-layout';

async function projectGraph(): Promise<ProjectGraph> {
  try {
    return readCachedProjectGraph();
  } catch {
    return createProjectGraphAsync({ exitOnError: true });
  }
}

/**
 * tsc emits the project; with BUILD_SKIP_TYPECHECK=1 (set by .ci/run once its one tsc over the whole
 * workspace passed) it emits without checking types again (`--noCheck`: the same JavaScript, in half the time).
 */
function tsc(args: string[]): void {
  const noCheck = process.env.BUILD_SKIP_TYPECHECK === '1' ? ['--noCheck'] : [];
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), ...args, ...noCheck], { cwd: workspaceRoot, stdio: 'inherit' });
}

/**
 * dist/apps/<name>/ mirrors the repository (apps/<name>/src, libs/<lib>/src, config/), so every
 * path the code computes from its own location (`__dirname`: Lua scripts, configuration) is the
 * same as from the sources.
 */
function buildApplication(name: string, root: string, graph: ProjectGraph, aliases: PathAliases): void {
  const out = join(workspaceRoot, 'dist', root);
  rmSync(out, { recursive: true, force: true });
  tsc(['-p', join(root, 'tsconfig.app.json'), '--outDir', out, '--rootDir', '.']);
  const rewritten = rewriteAliases(out, aliases);
  for (const lib of compiledLibraries(out)) copyFiles(join(workspaceRoot, lib), join(out, lib), isAsset);
  copyFiles(join(workspaceRoot, 'config'), join(out, 'config'), isConfig);
  copyFiles(join(workspaceRoot, root), join(out, root), (file) => isConfig(file) && !file.includes('/'));
  writeFileSync(join(out, 'main.js'), `'use strict';\n// Entry point of ${name} (built by tools/build/build-project.ts).\nrequire('./${root}/src/main.js');\n`);
  const packageJson = createPackageJson(name, graph, { root: workspaceRoot, isProduction: true });
  const manifest = { ...packageJson, name: `@meeting/${name}`, version: readRootVersion(), private: true, main: 'main.js', scripts: { start: 'node main.js' } };
  writeFileSync(join(out, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(out, 'package-lock.json'), createLockFile(manifest, graph, 'npm'));
  process.stdout.write(`${name}: ${relative(workspaceRoot, out)}/main.js (${rewritten} import(s) of ${Object.keys(aliases).join(', ')} made relative)\n`);
}

/** dist/libs/<name>/ (or the library's own scripts/build.js): compiled from libs/<name>/src with declarations, Lua scripts beside the code, package.json. */
function buildLibrary(name: string, root: string): void {
  // A library with its own build script (the publishable @meeting/queue: exports checks) builds itself.
  const own = join(workspaceRoot, root, 'scripts', 'build.js');
  if (existsSync(own)) {
    execFileSync(process.execPath, [own], { cwd: workspaceRoot, stdio: 'inherit' });
    return;
  }
  const out = join(workspaceRoot, 'dist', root);
  rmSync(out, { recursive: true, force: true });
  tsc(['-p', join(root, 'tsconfig.lib.json'), '--outDir', out, '--rootDir', join(root, 'src')]);
  copyFiles(join(workspaceRoot, root, 'src'), out, isAsset);
  const manifest = join(workspaceRoot, root, 'package.json');
  if (existsSync(manifest)) writeFileSync(join(out, 'package.json'), readFileSync(manifest));
  process.stdout.write(`${name}: ${relative(workspaceRoot, out)}\n`);
}

function readRootVersion(): string {
  return (JSON.parse(readFileSync(join(workspaceRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

async function main(): Promise<void> {
  const name = process.argv[2];
  const graph = await projectGraph();
  const project = graph.nodes[name];
  if (!project) throw new Error(`unknown project "${name}" (projects: ${Object.keys(graph.nodes).join(', ')})`);
  if (project.type === 'lib') buildLibrary(name, project.data.root);
  else buildApplication(name, project.data.root, graph, readPathAliases(join(workspaceRoot, 'tsconfig.base.json')));
}

main().catch((error: unknown) => {
  process.stderr.write(`build failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
