import { z } from 'zod';
import { InvalidOptionError, QueueConfigError } from '../errors';

/**
 * Validators shared by the YAML configuration schema (`config/config-schema.ts`) and the options
 * of the factories (`createQueue`, `createEventBus`, `createScheduler`, `createDispatcher`): each
 * fact (a name pattern, a bound, the words that say what is expected) is written here once.
 * Every field carries its expectation as its zod error, so an issue's message is the text of
 * {@link QueueConfigError}'s `expected`.
 */

/** Queue names, also the `{name}` hash tag of a queue's keys. */
export const QUEUE_NAME_PATTERN = /^[A-Za-z0-9_.:-]{1,100}$/;
export const QUEUE_NAME_EXPECTED = 'a queue name of 1..100 characters from [A-Za-z0-9_.:-]';
/** Task types; they never contain `|` (the message codec relies on it). */
export const TASK_TYPE_PATTERN = /^[A-Za-z0-9_.:/-]{1,128}$/;
export const TASK_TYPE_EXPECTED = 'a task type of 1..128 characters from [A-Za-z0-9_.:/-]';

/** Fair-sharing groups (a meeting id); never `|`, `^` or `~` (the message codec and groups.lua rely on it). */
export const GROUP_PATTERN = /^[A-Za-z0-9_.:/@-]{1,128}$/;
export const GROUP_EXPECTED = 'a group of 1..128 characters from [A-Za-z0-9_.:/@-]';

const says = (expected: string) => ({ error: () => expected });

/** What an integer field accepts, in words. */
export function intExpectation(min: number, max?: number): string {
  if (max !== undefined) return `an integer in [${min}, ${max}]`;
  return min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : `an integer >= ${min}`;
}

/** An integer in `[min, max]` (no upper bound when `max` is absent). */
export function intField(min: number, max?: number): z.ZodNumber {
  const e = says(intExpectation(min, max));
  const field = z.number(e).int(e).min(min, e);
  return max === undefined ? field : field.max(max, e);
}

/**
 * The longest delay a Node timer takes: 2^31 - 1 ms, about 24.8 days. A longer one fires after
 * 1 ms (Node only warns), so a handler timeout, lease or wait configured longer would end at once.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** A duration in ms that a timer waits: an integer in `[min, MAX_TIMER_MS]`. */
export function timerMsField(min: number): z.ZodNumber {
  return intField(min, MAX_TIMER_MS);
}

/** A finite number in `[min, max]`, or `(min, ...)` with `exclusiveMin`. */
export function numberField(min: number, max?: number, exclusiveMin = false): z.ZodNumber {
  const expected =
    exclusiveMin && max === undefined && min === 0
      ? 'a positive number'
      : max !== undefined
        ? `a number in ${exclusiveMin ? '(' : '['}${min}, ${max}]`
        : `a number ${exclusiveMin ? '>' : '>='} ${min}`;
  const e = says(expected);
  const field = exclusiveMin ? z.number(e).gt(min, e) : z.number(e).min(min, e);
  return max === undefined ? field : field.max(max, e);
}

export function boolField(): z.ZodBoolean {
  return z.boolean(says('true or false'));
}

/** A string, matching `pattern` when given; `expected` says what it is (default `a string`). */
export function stringField(pattern?: RegExp, expected = 'a string'): z.ZodString {
  const e = says(expected);
  return pattern ? z.string(e).regex(pattern, e) : z.string(e);
}

/** One of `values` (`one of "a", "b"`). */
export function enumField<const T extends readonly [string, ...string[]]>(values: T): z.ZodEnum<{ [K in T[number]]: K }> {
  return z.enum(values, says(`one of ${values.map((v) => JSON.stringify(v)).join(', ')}`));
}

export const queueNameField = (): z.ZodString => stringField(QUEUE_NAME_PATTERN, QUEUE_NAME_EXPECTED);
export const taskTypeField = (): z.ZodString => stringField(TASK_TYPE_PATTERN, TASK_TYPE_EXPECTED);

/** Exponential backoff of failed attempts (the queue's `backoff`, YAML `message_queue.retry_backoff`). */
export const backoffFields = {
  base: () => intField(0),
  factor: () => numberField(1, 100),
  max: () => intField(0),
  jitter: () => numberField(0, 1),
};

export type OptionError = new (path: string, found: unknown, expected: string) => QueueConfigError;

/**
 * Checks one option against a field (absent takes the field's default, if it has one) and returns
 * the parsed value. Throws `error` (default {@link QueueConfigError}) with the option's path, the
 * value found and the field's expectation.
 */
export function checkOption<T extends z.ZodType>(field: T, value: unknown, path: string, error: OptionError = QueueConfigError): z.output<T> {
  const result = field.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  let found = value;
  for (const key of issue.path) found = found !== null && typeof found === 'object' ? (found as Record<PropertyKey, unknown>)[key] : undefined;
  throw new error(joinPath(path, issue.path), found, issueExpectation(issue));
}

/** {@link checkOption} for the options under `prefix`: `at('key', field, value)` checks `<prefix>.key`. */
export function optionsAt(prefix: string): <T extends z.ZodType>(key: string, field: T, value: unknown) => z.output<T> {
  return (key, field, value) => checkOption(field, value, `${prefix}.${key}`);
}

/** The expectation an issue of one of these fields carries (a record key's own issue for a bad key). */
export function issueExpectation(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_key' && issue.issues.length > 0) return issue.issues[0].message;
  return issue.message;
}

/** `a.b[2].c` from a base path and an issue path. */
export function joinPath(base: string, path: ReadonlyArray<PropertyKey>): string {
  let out = base;
  for (const key of path) out = typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key);
  return out;
}

/**
 * The task-type check of `publish`, `process`, `dispatch`, `schedule` and handler registration.
 * Throws {@link InvalidOptionError} at `path` (hot path: a plain test, no zod).
 */
export function checkTaskType(type: unknown, path: string): string {
  if (typeof type !== 'string' || !TASK_TYPE_PATTERN.test(type)) throw new InvalidOptionError(path, type, TASK_TYPE_EXPECTED);
  return type;
}

/** The queue-name check of options (plain test, no zod). Throws `error` at `path`. */
export function checkQueueName(name: unknown, path: string, error: OptionError = QueueConfigError): string {
  if (typeof name !== 'string' || !QUEUE_NAME_PATTERN.test(name)) throw new error(path, name, QUEUE_NAME_EXPECTED);
  return name;
}

/**
 * One `true` per key of `T`, the optional ones too: a literal of this type that misses a key of
 * `T`, or names one `T` does not have, does not compile. So a key list written as one stays in step
 * with its interface (adding an option without listing it fails `tsc`).
 */
export type KeyList<T> = { readonly [K in keyof T]-?: true };

/**
 * The keys of an options interface `T`, from a {@link KeyList} of it:
 * `knownKeys<QueueOptions>({ name: true, concurrency: true, ... })`. For {@link checkKnownKeys}.
 */
export function knownKeys<T>(keys: KeyList<T>): readonly string[] {
  return Object.freeze(Object.keys(keys));
}

/**
 * Refuses an own key of an options object that is not in `known` (a misspelt option would
 * otherwise be ignored and its default used): throws `error` (default {@link QueueConfigError}) at
 * `<path>.<key>`, listing the known options. A value that is not a plain object (absent, an array, ...)
 * is left to the checks of its fields.
 */
export function checkKnownKeys(value: unknown, known: readonly string[], path: string, error: OptionError = QueueConfigError): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw new error(`${path}.${key}`, key, `a known option (${known.join(', ')})`);
  }
}

/**
 * The drain time of a `close`/`shutdown` call's options (`{ drainTimeoutMs }`), `fallbackMs` when
 * absent: an integer of ms a timer can wait (a longer one would fire after 1 ms and abort the
 * handlers at once). Throws `InvalidOptionError` at `<path>.drainTimeoutMs` (or `<path>.<key>` for
 * another key, or `path` for options that are not an object).
 */
export function drainTimeoutOf(options: unknown, path: string, fallbackMs: number): number {
  if (options === undefined) return fallbackMs;
  if (options === null || typeof options !== 'object') throw new InvalidOptionError(path, options, 'an object { drainTimeoutMs }');
  checkKnownKeys(options, DRAIN_KEYS, path, InvalidOptionError);
  return checkOption(
    timerMsField(0).default(fallbackMs),
    (options as { drainTimeoutMs?: unknown }).drainTimeoutMs,
    `${path}.drainTimeoutMs`,
    InvalidOptionError,
  );
}
const DRAIN_KEYS = ['drainTimeoutMs'];

/**
 * `close(drainMs)` with the drain time of `options` ({@link drainTimeoutOf}), or a promise rejected
 * with its InvalidOptionError: a close/shutdown refuses a bad drain time without closing anything.
 */
export function withDrainTimeout<T>(options: unknown, path: string, fallbackMs: number, close: (drainMs: number) => Promise<T>): Promise<T> {
  let drainMs: number;
  try {
    drainMs = drainTimeoutOf(options, path, fallbackMs);
  } catch (error) {
    return Promise.reject(error);
  }
  return close(drainMs);
}

/**
 * The options object of a call (`{}` when absent): refused at `objectPath` (default `path`) when it
 * is not a plain object, at `<path>.<key>` for a key not in `known` (a misspelt option would be
 * ignored). Throws InvalidOptionError.
 */
export function callOptions(options: unknown, known: readonly string[], path: string, objectPath = path): Readonly<Record<string, unknown>> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidOptionError(objectPath, options, `an options object { ${known.join(', ')} }`);
  }
  checkKnownKeys(options, known, path, InvalidOptionError);
  return options as Readonly<Record<string, unknown>>;
}
