#!/usr/bin/env node
/**
 * `mq`, the operators' command line (apps/mq; docs/cli.md). Runs the TypeScript sources: each
 * file is transpiled once (TypeScript's transpileModule, no type check, like ts-node's
 * transpile-only) and cached by content under the system temp folder, so later runs start fast;
 * the workspace's path aliases come from tsconfig-paths.
 */
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.join(__dirname, '..', '..', '..');
const tsconfig = require(path.join(root, 'tsconfig.base.json'));
require('tsconfig-paths').register({ baseUrl: root, paths: tsconfig.compilerOptions.paths });

const cacheDir = path.join(os.tmpdir(), `mq-ts-cache-${process.getuid ? process.getuid() : 'u'}`);
let ts;
require.extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const key = crypto.createHash('sha1').update(filename).update('\0').update(source).digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  let code;
  try {
    code = fs.readFileSync(cached, 'utf8');
  } catch {
    ts ??= require('typescript');
    code = ts.transpileModule(source, {
      fileName: filename,
      compilerOptions: {
        ...ts.convertCompilerOptionsFromJson(tsconfig.compilerOptions, root).options,
        sourceMap: false,
        inlineSourceMap: true,
        declaration: false,
      },
    }).outputText;
    try {
      fs.mkdirSync(cacheDir, { recursive: true });
      const tmp = `${cached}.${process.pid}`;
      fs.writeFileSync(tmp, code);
      fs.renameSync(tmp, cached);
    } catch {
      // no cache (read-only temp): still runs
    }
  }
  module._compile(code, filename);
};

require('../src/main.ts').run();
