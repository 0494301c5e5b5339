/** File helpers of tools/build/build-project.ts: the tsconfig path aliases, asset copies. */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import { dirname, join, relative, sep } from 'path';
import * as ts from 'typescript';

/** Import alias (`@meeting/queue`) → module path relative to the workspace without extension (`libs/queue/src/index`). */
export type PathAliases = Record<string, string>;

/** Scripts loaded at run time from beside the compiled code (`lua/*.lua`, `lua/includes/*.lua`). */
export const isAsset = (file: string): boolean => file.endsWith('.lua') || /[\\/]assets[\\/]/.test(file);

/** YAML configuration (config/*.yaml, a service's overlay). */
export const isConfig = (file: string): boolean => /\.ya?ml$/.test(file);

/** The exact (non-wildcard) `paths` of a tsconfig file. */
export function readPathAliases(tsconfigFile: string): PathAliases {
  const { config, error } = ts.readConfigFile(tsconfigFile, ts.sys.readFile);
  if (error) throw new Error(`${tsconfigFile}: ${ts.flattenDiagnosticMessageText(error.messageText, '\n')}`);
  const paths = (config as { compilerOptions?: { paths?: Record<string, string[]> } }).compilerOptions?.paths ?? {};
  const aliases: PathAliases = {};
  for (const [alias, [target]] of Object.entries(paths)) {
    if (!alias.includes('*') && target) aliases[alias] = target.replace(/\.ts$/, '');
  }
  return aliases;
}

/** Every file under `dir` (paths relative to it, `/`-separated). */
export function listFiles(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const name = `${prefix}${entry.name}`;
    if (entry.isDirectory()) return listFiles(join(dir, entry.name), `${name}/`);
    return entry.isFile() ? [name] : [];
  });
}

/** Copies the files of `from` that `keep` accepts to the same relative paths under `to`. */
export function copyFiles(from: string, to: string, keep: (file: string) => boolean): number {
  const files = listFiles(from).filter(keep);
  for (const file of files) {
    mkdirSync(dirname(join(to, file)), { recursive: true });
    copyFileSync(join(from, file), join(to, file));
  }
  return files.length;
}

/** The libraries (`libs/<name>`) whose sources were compiled into `out`. */
export function compiledLibraries(out: string): string[] {
  const libs = join(out, 'libs');
  return existsSync(libs) ? readdirSync(libs).map((name) => `libs/${name}`) : [];
}

/**
 * Rewrites `require("<alias>")` in the compiled JavaScript under `out` to a relative path of the
 * compiled module, so the output runs without tsconfig paths. Returns how many were rewritten.
 */
export function rewriteAliases(out: string, aliases: PathAliases): number {
  let count = 0;
  for (const file of listFiles(out).filter((name) => name.endsWith('.js'))) {
    const path = join(out, file);
    const text = readFileSync(path, 'utf8');
    const next = text.replace(/require\("([^"]+)"\)/g, (call, specifier: string) => {
      const target = aliases[specifier];
      if (target === undefined) return call;
      count++;
      const rel = relative(dirname(path), join(out, target)).split(sep).join('/');
      return `require("${rel.startsWith('.') ? rel : `./${rel}`}")`;
    });
    if (next !== text) writeFileSync(path, next);
  }
  return count;
}
