import { existsSync } from 'fs';
import { join, resolve } from 'path';
import { createInterface } from 'readline';
import {
  AdminConnectionError,
  ConfigFileError,
  ConfigValidationError,
  ConsoleQueueLogger,
  InvalidOptionError,
  isConnectionError,
  loadConfig,
  parseConfig,
  parseSince as parseSinceForms,
  QueueAdmin,
  QueueAppConfig,
  QUEUE_NAME_EXPECTED,
  QUEUE_NAME_PATTERN,
  readYamlFile,
  RedisOutageLogger,
  RedisPermanentError,
  SINCE_EXPECTED,
} from '@meeting/queue';
import { CliError, EXIT, notFound, usage } from './cli-errors';
import { watchConnection } from './redis-watchdog';

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
  refuseEmpty('--redis-url', options.redisUrl, 'a redis:// or rediss:// URL');
  refuseEmpty('--prefix', options.prefix, 'a key prefix (not empty)');
  const runEnv = { ...env, ...(options.redisUrl !== undefined ? { REDIS_URL: options.redisUrl } : {}) };
  const overrides = options.prefix !== undefined ? { redis: { key_prefix: options.prefix } } : undefined;
  const dir = resolve(env.CONFIG_DIR ?? join(process.cwd(), 'config'));
  const file = options.config ?? env.CONFIG_FILE;
  let config: QueueAppConfig;
  try {
    if (existsSync(join(dir, 'config.yaml'))) config = loadConfig({ dir, env: runEnv, file, overrides });
    else {
      const raw = file ? readYamlFile(resolve(file)) : {};
      config = parseConfig(overrides ? { ...raw, redis: { ...((raw.redis as object) ?? {}), ...overrides.redis } } : raw, { env: runEnv });
    }
  } catch (error) {
    if (error instanceof ConfigValidationError) throwIfFlagRejected(error, options);
    if (error instanceof ConfigFileError || error instanceof ConfigValidationError) throw usage(error.message);
    throw error;
  }
  return config;
}

/**
 * Refuses a flag given empty (`-r "$UNSET"`, `--prefix ""`): the configuration takes an empty
 * string as absent, so it would silently run against another Redis or prefix (or, for
 * `--admin-token`, without the token).
 * @throws CliError (usage, exit 2) naming the flag
 */
export function refuseEmpty(flag: string, value: string | undefined, expected: string): void {
  if (value === '') throw usage(`${flag}: expected ${expected}, got ""`);
}

/** The configuration path each flag sets: a value the configuration rejects there is the flag's (it wins over REDIS_URL and the files). */
const FLAG_PATHS = [
  { flag: '--redis-url', path: 'REDIS_URL', given: (o: GlobalOptions) => o.redisUrl !== undefined },
  { flag: '--prefix', path: 'redis.key_prefix', given: (o: GlobalOptions) => o.prefix !== undefined },
] as const;

/** A `--redis-url` or `--prefix` the configuration rejects is named as the flag, not as a file's key. */
function throwIfFlagRejected(error: ConfigValidationError, options: GlobalOptions): void {
  for (const { flag, path, given } of FLAG_PATHS) {
    const problem = given(options) ? error.problems.find((p) => p.path === path) : undefined;
    if (problem) throw usage(`${flag}${problem.message.slice(path.length)}`);
  }
}

/** Outage lines of the connection: a one-shot command reports a lost Redis itself (one line, exit 3). */
const QUIET_OUTAGES: RedisOutageLogger = { log: () => undefined, warn: () => undefined };

/**
 * Connects (bounded by `--timeout`), runs `action`, closes. Redis errors become exit 3, and so does a
 * Redis that stays unreachable for `--timeout` ms while the command runs (see watchConnection). A
 * long-running command (`dashboard`) passes `logOutages`: it is not ended by an outage, which is
 * logged (from the moment it is connected: failing to connect is the one line of exit 3).
 */
export async function withAdmin<T>(options: GlobalOptions, action: (admin: QueueAdmin) => Promise<T>, logOutages = false): Promise<T> {
  const config = readConfig(options);
  const timeoutMs = timeoutOf(options);
  const outages = logOutages ? outageLinesOnceConnected() : { logger: QUIET_OUTAGES, connected: () => undefined };
  const admin = await connect(config, timeoutMs, outages.logger);
  outages.connected();
  const watch = logOutages ? undefined : watchConnection(admin.client, admin.description, timeoutMs);
  try {
    return await (watch ? Promise.race([action(admin), watch.lost]) : action(admin));
  } catch (error) {
    if (error instanceof RedisPermanentError) throw new CliError(error.message, EXIT.unreachable);
    if (lostConnection(error)) throw new CliError(`Redis ${admin.description}: ${(error as Error).message}`, EXIT.unreachable);
    throw error;
  } finally {
    watch?.stop();
    await closeAdmin(admin, timeoutMs, watch?.fired() ?? false);
  }
}

/** `--timeout`, checked. */
function timeoutOf(options: GlobalOptions): number {
  const timeoutMs = Number(options.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw usage(`--timeout: expected milliseconds (an integer >= 1), got ${options.timeout}`);
  return timeoutMs;
}

async function connect(config: QueueAppConfig, timeoutMs: number, logger: RedisOutageLogger): Promise<QueueAdmin> {
  try {
    return await QueueAdmin.fromConfig(config, timeoutMs, logger);
  } catch (error) {
    // unreachable, or refused for good (wrong password, ACL, certificate): one line, exit 3
    if (error instanceof AdminConnectionError || error instanceof RedisPermanentError) throw new CliError(error.message, EXIT.unreachable);
    throw error;
  }
}

/** The console's outage lines (as the services log them), silent until `connected()`. */
function outageLinesOnceConnected(): { logger: RedisOutageLogger; connected: () => void } {
  const lines = new ConsoleQueueLogger().child('Redis');
  let connected = false;
  const logger: RedisOutageLogger = {
    log: (message) => void (connected && lines.log(message)),
    warn: (message) => void (connected && lines.warn(message)),
  };
  return { logger, connected: () => void (connected = true) };
}

/**
 * Closes the admin, within `--timeout`. Once Redis is given up, the connection is dropped and the
 * close is not awaited (its QUIT would wait for a reconnect that is not coming).
 */
async function closeAdmin(admin: QueueAdmin, timeoutMs: number, lost: boolean): Promise<void> {
  if (lost) {
    admin.client.disconnect();
    void admin.close().catch(() => undefined);
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  await Promise.race([admin.close().catch(() => undefined), late]);
  clearTimeout(timer);
}

const SOCKET_TROUBLE = /ECONN|ETIMEDOUT|EPIPE|ENOTFOUND|EHOSTUNREACH|Connection is closed|Stream isn't writeable/i;

/** Redis went away during the command (not a refusal or bad input of ours). */
function lostConnection(error: unknown): boolean {
  if (error instanceof CliError || !isConnectionError(error)) return false;
  return (error as Error).name === 'ReplyError' || SOCKET_TROUBLE.test((error as Error).message);
}

/** Refuses an unknown queue (a typo must not create or touch anything); a name no queue can have is a usage error. */
export async function assertQueue(admin: QueueAdmin, name: string): Promise<void> {
  if (!QUEUE_NAME_PATTERN.test(name)) throw usage(new InvalidOptionError('<queue>', name, QUEUE_NAME_EXPECTED).message);
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
  const at = parseSinceForms(value, now);
  if (at === undefined) throw usage(`--since: expected ${SINCE_EXPECTED}; got ${value}`);
  return at;
}
