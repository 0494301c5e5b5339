import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
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

  constructor(
    private readonly dir: string,
    names: readonly Name[],
    /** Prefix of the command names on the client, so libraries do not clash. */
    private readonly prefix: string,
  ) {
    for (const name of names) this.sources.set(name, this.read(join(dir, `${name}.lua`)));
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

  /** Runs a command: KEYS then ARGV. */
  run<T = unknown>(client: RedisClient, name: Name, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<T> {
    const fn = (client as unknown as Record<string, (...a: unknown[]) => Promise<T>>)[this.commandName(name)];
    return fn.call(client, keys.length, ...keys, ...args);
  }

  /** Adds a command to a pipeline (the client that made the pipeline must have `install`ed them). */
  queue(pipeline: unknown, name: Name, keys: readonly string[], args: ReadonlyArray<string | number>): void {
    const fn = (pipeline as Record<string, (...a: unknown[]) => unknown>)[this.commandName(name)];
    fn.call(pipeline, keys.length, ...keys, ...args);
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
