import { readdirSync, readFileSync, statSync } from 'fs';
import { join, relative } from 'path';
import * as ts from 'typescript';
import type { LuaHeaderEntry } from '../../src/testing/lua-header';

/** One key (or, spread, a run of keys) of a key array the TypeScript side passes to a script. */
export interface KeyRef {
  /** The property or method that gives it (`msgs` of `k.msgs`, `tiers` of `...k.tiers`, `reply` of `k.reply(id)`). */
  name: string;
  /** Spread (`...k.tiers`): several keys. */
  spread: boolean;
  /** Added by `keys.push(...)` after the array was made (an optional or variable key). */
  pushed: boolean;
}

/** A call of a script (`lua.run`, `lua.queue`, `lua.explain`, `writes.run`) with the keys it passes. */
export interface ScriptCall {
  /** Source file, relative to `src`. */
  file: string;
  line: number;
  script: string;
  /** The keys, or the reason they could not be read from the code. */
  keys: KeyRef[] | string;
}

const CALLS = new Set(['run', 'queue', 'explain']);

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [path] : [];
  });
}

/**
 * The script calls in the `.ts` files (specs left out) under `src/<area>` whose script name is one of `scripts`,
 * with their key arrays read from the code: array literals of property accesses (`k.msgs`,
 * `...k.tiers`), calls of methods that return such a literal (`...k.groupKeys()`,
 * `this.fetchKeys()`), calls of other methods (`k.reply(id)`: one key), and a local variable holding
 * one of these, with what later `variable.push(...)` calls of the same function add. Methods are
 * looked up in the area's files only.
 */
export function scriptCalls(src: string, area: string, scripts: readonly string[]): ScriptCall[] {
  const files = tsFiles(join(src, area)).map((f) => ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.Latest, true));
  const calls: ScriptCall[] = [];
  for (const file of files) {
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && CALLS.has(node.expression.name.text)) {
        const at = node.arguments.findIndex((a) => ts.isStringLiteral(a) && scripts.includes(a.text));
        if (at >= 0 && node.arguments[at + 1]) {
          const keys = resolveKeys(node.arguments[at + 1], files);
          const line = file.getLineAndCharacterOfPosition(node.getStart()).line + 1;
          calls.push({ file: relative(src, file.fileName), line, script: (node.arguments[at] as ts.StringLiteral).text, keys });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return calls;
}

function resolveKeys(expr: ts.Expression, files: ts.SourceFile[]): KeyRef[] | string {
  try {
    return keysOf(expr, files, false);
  } catch (error) {
    return (error as Error).message;
  }
}

function keysOf(expr: ts.Expression, files: ts.SourceFile[], spread: boolean): KeyRef[] {
  if (ts.isArrayLiteralExpression(expr)) {
    return expr.elements.flatMap((e) => (ts.isSpreadElement(e) ? keysOf(e.expression, files, true) : keysOf(e, files, false)));
  }
  if (ts.isPropertyAccessExpression(expr)) return [{ name: expr.name.text, spread, pushed: false }];
  if (ts.isCallExpression(expr) && ts.isPropertyAccessExpression(expr.expression)) {
    const returned = returnedArray(expr.expression.name.text, files);
    return returned ? keysOf(returned, files, false) : [{ name: expr.expression.name.text, spread, pushed: false }];
  }
  if (ts.isIdentifier(expr)) return variableKeys(expr, files);
  throw new Error(`cannot read the keys from \`${expr.getText()}\``);
}

/** The array literal a method of that name returns (`return [...]`), in any of the files. */
function returnedArray(method: string, files: ts.SourceFile[]): ts.ArrayLiteralExpression | undefined {
  for (const file of files) {
    let found: ts.ArrayLiteralExpression | undefined;
    const visit = (node: ts.Node): void => {
      if (found) return;
      if (ts.isMethodDeclaration(node) && node.name.getText() === method && node.body) {
        const ret = node.body.statements.find(ts.isReturnStatement);
        if (ret?.expression && ts.isArrayLiteralExpression(ret.expression)) found = ret.expression;
        return;
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
    if (found) return found;
  }
  return undefined;
}

/** A local variable's keys: its initializer, then what `name.push(...)` adds in the same function. */
function variableKeys(id: ts.Identifier, files: ts.SourceFile[]): KeyRef[] {
  let scope: ts.Node | undefined = id.parent;
  while (scope && !ts.isFunctionLike(scope)) scope = scope.parent;
  if (!scope) throw new Error(`\`${id.text}\` is not a local variable`);
  let init: ts.Expression | undefined;
  const pushed: ts.Expression[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === id.text && node.initializer) init ??= node.initializer;
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === 'push' &&
      node.expression.expression.getText() === id.text
    )
      pushed.push(...node.arguments);
    ts.forEachChild(node, visit);
  };
  visit(scope);
  if (!init) throw new Error(`no initializer of \`${id.text}\` found in its function`);
  return [...keysOf(init, files, false), ...pushed.flatMap((p) => keysOf(p, files, false).map((k) => ({ ...k, pushed: true })))];
}

/**
 * What is wrong between the keys a call passes and the script header's KEYS lines, in order: each
 * key must fall on the line that names it among its first two words (`msgs`, `tier lists` for
 * `tiers`), a spread (`...k.tiers`) on a range line, keys pushed later also on an open range; lines
 * left over must be open ranges or say `(optional`.
 */
export function keyOrderProblems(refs: KeyRef[], entries: LuaHeaderEntry[]): string[] {
  const keys = entries.filter((e) => e.name === 'KEYS');
  const problems: string[] = [];
  let at = 0;
  for (const [i, ref] of refs.entries()) {
    const entry = keys[at];
    const what = `key ${i + 1} (${ref.spread ? '...' : ''}${ref.name})`;
    if (!entry) {
      problems.push(`${what} has no KEYS line left in the header`);
      break;
    }
    const line = `KEYS[${entry.from}${entry.to === entry.from ? '' : `..${entry.to ?? ''}`}] ${entry.text}`;
    if (!namesKey(entry.text, ref.name)) problems.push(`${what} falls on "${line}"`);
    else if (ref.spread && entry.to === entry.from) problems.push(`${what} is several keys but falls on the single "${line}"`);
    if (entry.to !== null || !ref.pushed) at += 1;
  }
  for (const entry of keys.slice(at)) {
    if (entry.to !== null && !/\(optional/.test(entry.text))
      problems.push(`header declares KEYS[${entry.from}] ${entry.text} but the call passes no key for it`);
  }
  return problems;
}

function namesKey(text: string, name: string): boolean {
  const words = text
    .toLowerCase()
    .split(/[^a-z0-9-]+/)
    .filter((w) => w !== '')
    .slice(0, 2);
  const key = name.toLowerCase();
  return words.some((w) => w === key || `${w}s` === key || w === `${key}s`);
}
