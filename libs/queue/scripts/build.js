#!/usr/bin/env node
/**
 * Builds the publishable @meeting/queue into dist/libs/queue (run from anywhere):
 * 1. tsc -p libs/queue/tsconfig.lib.json: JavaScript (CommonJS) and .d.ts beside it, specs and
 *    test kits left out;
 * 2. copies every .lua file of src/ (and the dashboard's assets/) to the same relative place, so the
 *    Lua loaders find them next to the compiled code (`join(__dirname, 'lua')`);
 * 3. copies package.json;
 * 4. checks the result: every `exports` target exists, and every package the compiled code
 *    requires is a Node built-in or declared in dependencies/peerDependencies.
 * Then `npm pack dist/libs/queue` makes the tarball.
 */
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const { builtinModules } = require('module');
const path = require('path');

const libDir = path.resolve(__dirname, '..');
const srcDir = path.join(libDir, 'src');
const outDir = path.resolve(libDir, '../../dist/libs/queue');

function files(dir, test) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return files(full, test);
    return test(full) ? [full] : [];
  });
}

function build() {
  fs.rmSync(outDir, { recursive: true, force: true });
  // BUILD_SKIP_TYPECHECK=1: .ci/run has checked the whole workspace already (tsc --noCheck emits the same code)
  const noCheck = process.env.BUILD_SKIP_TYPECHECK === '1' ? ['--noCheck'] : [];
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(libDir, 'tsconfig.lib.json'), ...noCheck], { stdio: 'inherit' });
  // Lua scripts, and the dashboard's static files (read from beside the compiled handler).
  const lua = files(srcDir, (file) => file.endsWith('.lua') || /[\\/]assets[\\/]/.test(path.relative(srcDir, file)));
  for (const file of lua) {
    const target = path.join(outDir, path.relative(srcDir, file));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(file, target);
  }
  fs.copyFileSync(path.join(libDir, 'package.json'), path.join(outDir, 'package.json'));
  check();
  console.log(`built ${path.relative(process.cwd(), outDir) || '.'}: ${lua.length} Lua and asset files`);
}

function check() {
  const pkg = JSON.parse(fs.readFileSync(path.join(outDir, 'package.json'), 'utf8'));
  const problems = [];
  for (const [entry, target] of Object.entries(pkg.exports)) {
    for (const file of typeof target === 'string' ? [target] : Object.values(target)) {
      if (!fs.existsSync(path.join(outDir, file))) problems.push(`exports["${entry}"]: ${file} was not built`);
    }
  }
  const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);
  const builtins = new Set(builtinModules);
  for (const file of files(outDir, (name) => name.endsWith('.js'))) {
    const code = fs.readFileSync(file, 'utf8');
    for (const match of code.matchAll(/require\("([^"]+)"\)|import\("([^"]+)"\)/g)) {
      const spec = match[1] ?? match[2];
      if (spec.startsWith('.') || spec.startsWith('node:') || builtins.has(spec)) continue;
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      if (!declared.has(name)) problems.push(`${path.relative(outDir, file)} requires "${spec}", not declared in libs/queue/package.json`);
    }
  }
  if (problems.length > 0) throw new Error(`the built package is incomplete:\n  ${problems.join('\n  ')}`);
}

if (require.main === module) {
  try {
    build();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}

module.exports = { build, outDir };
