import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { RedisKeyTypeError, RedisOutOfMemoryError } from '../errors';
import type { RedisClient } from './redis-connection';

/** Includes every script may use (`now`, ...), beside this file: `redis/lua/includes/`. */
export const SHARED_LUA_INCLUDES = join(__dirname, 'lua', 'includes');

/**
 * Loads `.lua` command files and registers them on a client with ioredis `defineCommand`
 * (EVALSHA, falling back to EVAL once per connection). A line `-- @include "name"` is replaced,
 * once per script, by `name.lua` from the scripts' own `includes/` folder or from the shared
 * {@link SHARED_LUA_INCLUDES} (a name may exist in only one of the two).
 */
export class LuaCommands<Name extends string> {
  private readonly sources = new Map<Name, string>();
  /** Per script, the Redis type its header declares for each KEYS index (see {@link declaredKeyTypes}). */
  private readonly keyTypes = new Map<Name, KeyTypeRule[]>();

  constructor(
    private readonly dir: string,
    names: readonly Name[],
    /** Prefix of the command names on the client, so libraries do not clash. */
    private readonly prefix: string,
  ) {
    for (const name of names) {
      const source = this.read(join(dir, `${name}.lua`));
      this.sources.set(name, source);
      this.keyTypes.set(name, declaredKeyTypes(source));
    }
  }

  /** Defines every command on the client (idempotent). */
  install(client: RedisClient): void {
    for (const [name, lua] of this.sources) {
      const command = this.commandName(name);
      if (typeof (client as unknown as Record<string, unknown>)[command] !== 'function') {
        client.defineCommand(command, { lua });
      }
    }
  }

  /**
   * Runs a command: KEYS then ARGV. A WRONGTYPE failure becomes {@link RedisKeyTypeError} naming
   * the key, an OOM refusal {@link RedisOutOfMemoryError} (see {@link explain}).
   */
  run<T = unknown>(client: RedisClient, name: Name, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<T> {
    const fn = (client as unknown as Record<string, (...a: unknown[]) => Promise<T>>)[this.commandName(name)];
    return fn.call(client, commandArgs(keys, args)).catch((error: unknown) => this.explain(client, name, keys, error));
  }

  /**
   * Rethrows `error`; a WRONGTYPE reply is replaced by {@link RedisKeyTypeError} for the first key
   * whose type (TYPE) differs from what the script's header declares, an `OOM` reply (Redis at
   * maxmemory refused the script's first write, so nothing was applied) by
   * {@link RedisOutOfMemoryError}. Other errors, and a WRONGTYPE whose key cannot be found (it
   * changed meanwhile), are rethrown as they are.
   */
  async explain(client: RedisClient, name: Name, keys: readonly string[], error: unknown): Promise<never> {
    if (error instanceof Error && error.name === 'ReplyError' && error.message.startsWith('OOM '))
      throw new RedisOutOfMemoryError(`script ${this.prefix} ${name}`);
    if (!(error instanceof Error) || !error.message.includes('WRONGTYPE')) throw error;
    const rules = this.keyTypes.get(name) ?? [];
    const checks = keys.map((key, i) => ({ key, expected: expectedType(rules, i + 1) })).filter((c) => c.expected !== undefined);
    const found = await Promise.all(checks.map((c) => (client.type(c.key) as Promise<string>).catch(() => 'none')));
    const bad = checks.findIndex((c, i) => found[i] !== 'none' && found[i] !== c.expected);
    if (bad < 0) throw error;
    throw new RedisKeyTypeError(checks[bad].key, found[bad], checks[bad].expected!, `script ${this.prefix} ${name}`);
  }

  /** Adds a command to a pipeline (the client that made the pipeline must have `install`ed them). */
  queue(pipeline: unknown, name: Name, keys: readonly string[], args: ReadonlyArray<string | number>): void {
    const fn = (pipeline as Record<string, (...a: unknown[]) => unknown>)[this.commandName(name)];
    fn.call(pipeline, commandArgs(keys, args));
  }

  /** The scripts loaded. */
  names(): Name[] {
    return [...this.sources.keys()];
  }

  /** A script's text after its includes were resolved. */
  source(name: Name): string {
    return this.sources.get(name)!;
  }

  private commandName(name: string): string {
    return `${this.prefix}_${name.replace(/-/g, '_')}`;
  }

  private read(file: string, seen = new Set<string>()): string {
    const text = readFileSync(file, 'utf8');
    return text.replace(/^-- @include "([\w-]+)"$/gm, (_line, include: string) => {
      if (seen.has(include)) return '';
      seen.add(include);
      return this.read(this.includeFile(include), seen);
    });
  }

  private includeFile(name: string): string {
    const found = [join(this.dir, 'includes', `${name}.lua`), join(SHARED_LUA_INCLUDES, `${name}.lua`)].filter((f) => existsSync(f));
    if (found.length === 1) return found[0];
    throw new Error(
      found.length === 0
        ? `Lua include "${name}" not found in ${join(this.dir, 'includes')} or ${SHARED_LUA_INCLUDES}`
        : `Lua include "${name}" exists twice: ${found.join(' and ')} (keep one)`,
    );
  }
}

/**
 * A script's arguments as one array (the key count, KEYS, ARGV): ioredis flattens an array
 * argument into the command, so a batch's thousands of arguments are copied once here and once by
 * ioredis, not also spread onto the call stack and into each wrapper's own array.
 */
function commandArgs(keys: readonly string[], args: ReadonlyArray<string | number>): Array<string | number> {
  const all = new Array<string | number>(1 + keys.length + args.length);
  all[0] = keys.length;
  for (let i = 0; i < keys.length; i++) all[1 + i] = keys[i];
  for (let i = 0, at = 1 + keys.length; i < args.length; i++) all[at + i] = args[i];
  return all;
}

/** KEYS[from..to] (to null: open-ended) hold a Redis `type`. */
interface KeyTypeRule {
  from: number;
  to: number | null;
  type: string;
}

const TYPE_WORDS: Record<string, string> = {
  list: 'list',
  lists: 'list',
  hash: 'hash',
  zset: 'zset',
  set: 'set',
  stream: 'stream',
  string: 'string',
  strings: 'string',
};

/**
 * The key types a script header declares: on each `KEYS[n]` / `KEYS[a..b]` / `KEYS[a..]` line of the
 * opening comment, the first word naming a Redis type (`list`, `lists`, `hash`, `zset`, `set`,
 * `stream`, `string`). Lines without one declare nothing (their keys are not checked).
 */
export function declaredKeyTypes(source: string): KeyTypeRule[] {
  const header = source.slice(0, Math.max(0, source.indexOf(']]')));
  const rules: KeyTypeRule[] = [];
  for (const line of header.split('\n')) {
    const m = /^\s*KEYS\[(\d+)(?:\.\.(\d*))?\]\s+(.*)$/.exec(line);
    if (!m) continue;
    const word = m[3].split(/[^a-z]+/).find((w) => TYPE_WORDS[w] !== undefined);
    if (!word) continue;
    const from = Number(m[1]);
    rules.push({ from, to: m[2] === undefined ? from : m[2] === '' ? null : Number(m[2]), type: TYPE_WORDS[word] });
  }
  return rules;
}

function expectedType(rules: KeyTypeRule[], index: number): string | undefined {
  return rules.find((r) => index >= r.from && (r.to === null || index <= r.to))?.type;
}
