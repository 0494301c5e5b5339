import { maskRedisUrl } from '../redis/redis-connection';
import { existsSync, readFileSync } from 'fs';
import { load, YAMLException } from 'js-yaml';
import { isAbsolute, join, relative, resolve } from 'path';
import { QueueConfigError } from '../errors';
import { checkKnownKeys, knownKeys } from '../util/fields';
import { ConfigFileError, ConfigValidationError } from './config-errors';
import { validateConfig } from './validate-config';
import type { QueueAppConfig } from './config.types';
import { EnvValue, interpolate } from './interpolate';
import { redisUrlProblem } from '../redis/redis-url';
import { markResolved } from './resolved-config';

export interface LoadConfigOptions {
  /** Folder of `config.yaml` and `<NODE_ENV>.yaml` (default: `CONFIG_DIR`, else `./config` under the working directory). */
  dir?: string;
  /** Environment for `${VAR}`, `NODE_ENV`, `CONFIG_FILE` and `REDIS_URL` (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Overlay file instead of `config/<NODE_ENV>.yaml` (default: `CONFIG_FILE` from the environment). Must exist. */
  file?: string;
  /** Merged last, after the files (tests, command-line flags). Interpolated like the files. */
  overrides?: Record<string, unknown>;
}

/** Options of {@link parseConfig}. */
export interface ParseConfigOptions {
  /** Environment for `${VAR}` and `REDIS_URL` (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Files the configuration was read from, in merge order (named by the error). */
  sources?: string[];
}

const LOAD_OPTION_KEYS = knownKeys<LoadConfigOptions>({ dir: true, env: true, file: true, overrides: true });
const PARSE_OPTION_KEYS = knownKeys<ParseConfigOptions>({ env: true, sources: true });
/** The path a problem of the whole tree (not a mapping) is reported at. */
const CONFIG_ROOT_PATH = '(root)';

/** Checks an options object of `call` against its known keys; throws QueueConfigError at `call` or `<call>.<key>`. */
function checkOptionsObject(options: unknown, known: readonly string[], call: string): Record<string, unknown> {
  if (options === undefined) return {};
  if (!isMapping(options)) throw new QueueConfigError(call, options, `an options object { ${known.join(', ')} }`);
  checkKnownKeys(options, known, call);
  return options;
}

function checkPathOption(value: unknown, path: string): void {
  if (value !== undefined && (typeof value !== 'string' || value.length === 0)) throw new QueueConfigError(path, value, 'a non-empty path');
}

/** An environment: a mapping of variable names to strings (as `process.env`). */
function checkEnvOption(env: unknown, path: string): void {
  if (env === undefined) return;
  if (!isMapping(env)) throw new QueueConfigError(path, env, 'a mapping of variable names to strings (like process.env)');
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && typeof value !== 'string') throw new QueueConfigError(`${path}.${name}`, value, 'a string');
  }
}

/** The options of {@link loadConfig}, checked: unknown keys and values of the wrong type are refused at `loadConfig.<key>`. */
function checkLoadOptions(options: unknown): LoadConfigOptions {
  const checked = checkOptionsObject(options, LOAD_OPTION_KEYS, 'loadConfig');
  checkPathOption(checked.dir, 'loadConfig.dir');
  checkPathOption(checked.file, 'loadConfig.file');
  checkEnvOption(checked.env, 'loadConfig.env');
  if (checked.overrides !== undefined && !isMapping(checked.overrides)) {
    throw new QueueConfigError('loadConfig.overrides', checked.overrides, 'a mapping in YAML shape ({ service_name: ..., redis: { ... } })');
  }
  return checked;
}

/** The options of {@link parseConfig}, checked at `parseConfig.<key>`. */
function checkParseOptions(options: unknown): ParseConfigOptions {
  const checked = checkOptionsObject(options, PARSE_OPTION_KEYS, 'parseConfig');
  checkEnvOption(checked.env, 'parseConfig.env');
  const sources = checked.sources;
  if (sources !== undefined && !(Array.isArray(sources) && sources.every((file) => typeof file === 'string'))) {
    throw new QueueConfigError('parseConfig.sources', sources, 'an array of file names');
  }
  return checked;
}

/**
 * Loads the configuration: `config.yaml` (required; the defaults), then the overlay
 * (`CONFIG_FILE`, else `<NODE_ENV>.yaml` when that file exists) deep-merged over it (mappings
 * merge, lists and scalars are replaced), then `overrides`; interpolates `${VAR}` /
 * `${VAR:-default}`; `REDIS_URL`, when set, replaces the Redis address (host/port/db, Sentinel
 * and Cluster settings are dropped); validates and fills defaults.
 * @throws ConfigFileError when a file is missing or not valid YAML (line and column, no content)
 * @throws ConfigValidationError listing every problem (key path, value found, expectation), secrets masked
 * @throws QueueConfigError for options it cannot use, at `loadConfig.<key>` (an unknown key such as
 *         `directory`, a `dir` that is not a path, `overrides` that are not a mapping)
 */
export function loadConfig(given?: LoadConfigOptions): QueueAppConfig {
  const options = checkLoadOptions(given);
  const env = options.env ?? process.env;
  // an empty CONFIG_DIR (`CONFIG_DIR=`) is unset, as an empty CONFIG_FILE or NODE_ENV: not the working directory
  const dir = resolve(options.dir ?? (env.CONFIG_DIR || join(process.cwd(), 'config')));
  const sources: string[] = [];
  const read = (file: string) => {
    sources.push(displayPath(file));
    return readYamlFile(file);
  };
  let merged = read(join(dir, 'config.yaml'));
  const overlay = options.file ?? env.CONFIG_FILE;
  if (overlay) {
    merged = deepMerge(merged, read(isAbsolute(overlay) ? overlay : resolve(overlay)));
  } else if (env.NODE_ENV) {
    if (!/^[A-Za-z0-9_-]+$/.test(env.NODE_ENV))
      throw new ConfigValidationError([new QueueConfigError('NODE_ENV', env.NODE_ENV, 'an environment name from [A-Za-z0-9_-]')]);
    const file = join(dir, `${env.NODE_ENV}.yaml`);
    if (existsSync(file)) merged = deepMerge(merged, read(file));
  }
  if (options.overrides) merged = deepMerge(merged, options.overrides);
  return parseConfig(merged, { env, sources });
}

/**
 * Validates a configuration object in YAML shape (any subset: defaults fill the rest),
 * interpolating `${VAR}` from `env` and applying `REDIS_URL`.
 * @throws ConfigValidationError listing every problem (a `raw` that is not a mapping at `(root)`)
 * @throws QueueConfigError for options it cannot use, at `parseConfig.<key>`
 */
export function parseConfig(raw: unknown, given?: ParseConfigOptions): QueueAppConfig {
  const options = checkParseOptions(given);
  if (raw !== undefined && raw !== null && !isMapping(raw)) {
    throw new ConfigValidationError(
      [new QueueConfigError(CONFIG_ROOT_PATH, raw, 'a mapping of configuration sections (service_name, redis, ...)')],
      options.sources,
    );
  }
  const env = options.env ?? process.env;
  const problems: QueueConfigError[] = [];
  let tree = interpolate(raw ?? {}, env, '', problems);
  if (env.REDIS_URL) tree = withRedisUrl(tree, env.REDIS_URL, problems);
  const config = validateConfig(tree, problems);
  if (problems.length > 0) throw new ConfigValidationError(problems, options.sources);
  return markResolved(config);
}

/** Reads one YAML file into a mapping (an empty file is an empty mapping). */
export function readYamlFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigFileError(
      displayPath(file),
      code === 'ENOENT' ? 'not found (set CONFIG_DIR or CONFIG_FILE, or run from the folder that holds config/)' : `cannot be read (${code})`,
    );
  }
  let parsed: unknown;
  try {
    parsed = load(text, { filename: file });
  } catch (error) {
    if (error instanceof YAMLException) {
      // The reason and position only: js-yaml's message quotes the offending line, which may hold a secret.
      throw new ConfigFileError(displayPath(file), `invalid YAML at line ${error.mark.line + 1}, column ${error.mark.column + 1}: ${error.reason}`);
    }
    throw error;
  }
  if (parsed === undefined || parsed === null) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigFileError(displayPath(file), 'expected a mapping at the top level');
  return parsed as Record<string, unknown>;
}

/** Deep merge: mappings merge key by key, anything else in `over` replaces what is in `base`. */
export function deepMerge(base: unknown, over: unknown): Record<string, unknown> {
  if (!isMapping(base)) base = {};
  if (!isMapping(over)) return base as Record<string, unknown>;
  const below = base as Record<string, unknown>;
  // own keys only, defined (not assigned): a `__proto__:` key stays a key, reported as unknown
  const merged = Object.entries(over).map(([key, value]) => {
    const under = Object.hasOwn(below, key) ? below[key] : undefined;
    return [key, isMapping(value) && isMapping(under) ? deepMerge(under, value) : value];
  });
  return { ...below, ...Object.fromEntries(merged) };
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof EnvValue);
}

function withRedisUrl(tree: unknown, url: string, problems: QueueConfigError[]): unknown {
  const expected = redisUrlProblem(url);
  if (expected !== undefined) {
    problems.push(new QueueConfigError('REDIS_URL', maskRedisUrl(url), expected));
    return tree;
  }
  const root = isMapping(tree) ? tree : {};
  const redis = isMapping(root.redis) ? { ...root.redis } : {};
  for (const key of ['host', 'port', 'db', 'sentinels', 'sentinel_name', 'cluster_nodes']) delete redis[key];
  return { ...root, redis: { ...redis, url } };
}

function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}
