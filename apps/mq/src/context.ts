import { existsSync } from 'fs';
import { join, resolve } from 'path';
import { createInterface } from 'readline';
import {
  AdminConnectionError,
  ConfigFileError,
  ConfigValidationError,
  isConnectionError,
  loadConfig,
  parseConfig,
  QueueAdmin,
  QueueAppConfig,
  readYamlFile,
  RedisPermanentError,
} from '@meeting/queue';
import { CliError, EXIT, notFound, usage } from './cli-errors';

/** Options every command takes (declared on the root program). */
export interface GlobalOptions {
  config?: string;
  redisUrl?: string;
  prefix?: string;
  timeout: string;
  json?: boolean;
  yes?: boolean;
}

/**
 * The configuration the services would read: `config/config.yaml` under CONFIG_DIR (or the working
 * directory) with the overlay `--config` / CONFIG_FILE; without a config folder, the `--config`
 * file alone, else the defaults. `--redis-url` wins over REDIS_URL, which wins over the files.
 */
export function readConfig(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env): QueueAppConfig {
  const runEnv = { ...env, ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}) };
  const overrides = options.prefix ? { redis: { key_prefix: options.prefix } } : undefined;
  const dir = resolve(env.CONFIG_DIR ?? join(process.cwd(), 'config'));
  const file = options.config ?? env.CONFIG_FILE;
  try {
    if (existsSync(join(dir, 'config.yaml'))) return loadConfig({ dir, env: runEnv, file, overrides });
    const raw = file ? readYamlFile(resolve(file)) : {};
    return parseConfig(overrides ? { ...raw, redis: { ...((raw.redis as object) ?? {}), ...overrides.redis } } : raw, { env: runEnv });
  } catch (error) {
    if (error instanceof ConfigFileError || error instanceof ConfigValidationError) throw usage(error.message);
    throw error;
  }
}

/** Outage lines of the connection: a one-shot command reports a lost Redis itself (one line, exit 3). */
const QUIET_OUTAGES = { log: () => undefined, warn: () => undefined };

/**
 * Connects (bounded by `--timeout`), runs `action`, closes. Redis errors become exit 3. A long-running
 * command (`dashboard`) passes `logOutages` so an outage and its end are logged.
 */
export async function withAdmin<T>(options: GlobalOptions, action: (admin: QueueAdmin) => Promise<T>, logOutages = false): Promise<T> {
  const config = readConfig(options);
  const timeoutMs = Number(options.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw usage(`--timeout: expected milliseconds (an integer >= 1), got ${options.timeout}`);
  let admin: QueueAdmin;
  try {
    admin = await QueueAdmin.fromConfig(config, timeoutMs, logOutages ? undefined : QUIET_OUTAGES);
  } catch (error) {
    // unreachable, or refused for good (wrong password, ACL, certificate): one line, exit 3
    if (error instanceof AdminConnectionError || error instanceof RedisPermanentError) throw new CliError(error.message, EXIT.unreachable);
    throw error;
  }
  try {
    return await action(admin);
  } catch (error) {
    if (lostConnection(error)) throw new CliError(`Redis ${admin.description}: ${(error as Error).message}`, EXIT.unreachable);
    throw error;
  } finally {
    await admin.close();
  }
}

const SOCKET_TROUBLE = /ECONN|ETIMEDOUT|EPIPE|ENOTFOUND|EHOSTUNREACH|Connection is closed|Stream isn't writeable/i;

/** Redis went away during the command (not a refusal or bad input of ours). */
function lostConnection(error: unknown): boolean {
  if (error instanceof CliError || !isConnectionError(error)) return false;
  return (error as Error).name === 'ReplyError' || SOCKET_TROUBLE.test((error as Error).message);
}

/** Refuses an unknown queue (a typo must not create or touch anything). */
export async function assertQueue(admin: QueueAdmin, name: string): Promise<void> {
  if (!(await admin.exists(name))) throw notFound(`queue "${name}" under prefix "${admin.prefix}"`);
}

/** Prints JSON (stable shape) or the human rendering. */
export function output(options: GlobalOptions, data: unknown, human: () => string): void {
  process.stdout.write(options.json ? `${JSON.stringify(data, null, 2)}\n` : `${human()}\n`);
}

/**
 * Asks before a destructive action: on a terminal a y/N question, elsewhere `--yes` is required.
 * @throws CliError (exit 1) when refused
 */
export async function confirm(options: GlobalOptions, question: string): Promise<void> {
  if (options.yes) return;
  if (!process.stdin.isTTY) throw new CliError(`refused: ${question} needs --yes when not run on a terminal`, EXIT.notFound);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await new Promise<string>((r) => rl.question(`${question} [y/N] `, r));
  rl.close();
  if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('refused: not confirmed', EXIT.notFound);
}

export function parseIntOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw usage(`${name}: expected an integer in [${min}, ${max}], got ${value}`);
  return n;
}

/** `--since`: an ISO date, ms since the epoch, or a duration back from now (`30s`, `15m`, `2h`, `7d`). */
export function parseSince(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const rel = /^(\d+)(s|m|h|d)$/.exec(value);
  if (rel) return now - Number(rel[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 's' | 'm' | 'h' | 'd'];
  if (/^\d+$/.test(value)) return Number(value);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw usage(`--since: expected an ISO date, epoch ms or a duration like 15m, 2h, 7d; got ${value}`);
  return t;
}
