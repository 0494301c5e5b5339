import { InvalidOptionError } from '../errors';

/** `JSON.parse(json)`, or `fallback` when the text is not JSON (stored records written by older versions, damaged entries). */
export function parseJsonOr<T, F = undefined>(json: string, fallback: F): T | F {
  try {
    return JSON.parse(json) as T;
  } catch {
    return fallback;
  }
}

/** Where an error names a value: the path, or a function that builds it (called only when the value is refused). */
export type ValuePath = string | (() => string);

/**
 * What JSON would silently change, or cannot write, at one place inside a value: `at` is the keys
 * and indexes from the value down to the place; then what would have been accepted, or (a circular
 * reference) the keys down to the enclosing object it refers back to.
 */
type JsonProblem = { at: Array<string | number>; found: unknown } & ({ expected: string } | { cycleTo: Array<string | number> });

/** How deep the fast check follows a value; a deeper one (a cycle is endlessly deep) gets the careful walk, which tells a cycle apart. */
const FAST_DEPTH = 64;
const SERIALISABLE = 'a JSON-serialisable value';
const BIGINT = `${SERIALISABLE} (JSON cannot write a BigInt)`;
const hasOwn = Object.prototype.hasOwnProperty;

/** Objects built by a caller that checked their contents ({@link markJsonChecked}): {@link stringifyPayload} does not walk them again. */
const checkedValues = new WeakSet<object>();

/**
 * The JSON text of a payload (`undefined` is `null`), refusing what JSON would silently change or
 * cannot write (see {@link checkJsonValue}). Accepted as JSON takes it: a `Date` or anything with
 * `toJSON` (its own JSON), a class instance or a Buffer, `undefined` properties (dropped).
 * Builds no path unless the value is refused.
 * @throws InvalidOptionError naming the place: `path`, then `.key` and `[index]` down to it
 *   (`publish.payload.stats.avg`, `publishBatch[3].payload.items[2]`).
 */
export function stringifyPayload(value: unknown, path: ValuePath): string {
  const v = value === undefined ? null : value;
  if (typeof v !== 'object' || v === null || !checkedValues.has(v)) checkJsonValue(v, path);
  let json: string | undefined;
  try {
    json = JSON.stringify(v);
  } catch (error) {
    throw new InvalidOptionError(pathText(path), value, `${SERIALISABLE} (${firstLine(error)})`);
  }
  if (json === undefined) throw new InvalidOptionError(pathText(path), value, SERIALISABLE);
  return json;
}

/**
 * Checks that JSON writes `value` as given, without writing it: refuses a number that is not
 * finite (JSON writes `null`), a `Map`, `Set`, `WeakMap` or `WeakSet` (JSON writes `{}`), a
 * BigInt, a circular reference, and a function or symbol as the whole value. Objects with `toJSON`
 * (a `Date`, a Buffer) are not looked into. A fast walk; the path is only built for an error.
 * @throws InvalidOptionError naming the place, as {@link stringifyPayload}.
 */
export function checkJsonValue(value: unknown, path: ValuePath): void {
  if (typeof value === 'function' || typeof value === 'symbol') throw new InvalidOptionError(pathText(path), value, SERIALISABLE);
  let problem: JsonProblem | undefined;
  try {
    if (isClean(value, 0)) return;
    problem = findProblem(value, [], []);
  } catch (error) {
    // a getter that throws, or a value nested deeper than the stack goes (JSON.stringify refuses both too)
    throw new InvalidOptionError(pathText(path), value, `${SERIALISABLE} (${firstLine(error)})`);
  }
  // none: the fast walk only stopped at its depth, or at an array or plain object with its own toJSON
  if (problem) throw refusedAt(problem, pathText(path));
}

/**
 * Records that the caller checked `value` with {@link checkJsonValue} (its parts that came from
 * elsewhere): {@link stringifyPayload} then writes it without walking it again. Only for an object
 * the caller built and hands on at once (a dispatcher's task envelope), never for a caller's value.
 */
export function markJsonChecked<T extends object>(value: T): T {
  checkedValues.add(value);
  return value;
}

/** Whether JSON writes `value` as given, to {@link FAST_DEPTH} levels; false for a problem or a deeper value. Allocates nothing. */
function isClean(value: unknown, depth: number): boolean {
  if (typeof value === 'string') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value === 'bigint') return hasToJson(value);
  if (typeof value !== 'object' || value === null) return true;
  if (depth === FAST_DEPTH) return false;
  // toJSON is only looked up on other objects: an array or plain object with one (rare) may get a
  // false here, which the careful walk corrects (it sees toJSON everywhere), never a wrong true
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isClean(value[i], depth + 1)) return false;
    return true;
  }
  const record = value as Record<string, unknown>;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype) {
    // no own-key test: an inherited enumerable key (a polluted Object.prototype) can only give a false
    for (const key in record) if (!isClean(record[key], depth + 1)) return false;
    return true;
  }
  if (proto !== null) {
    if (hasToJson(value)) return true;
    if (objectRefusal(value) !== undefined) return false;
  }
  for (const key in record) if (hasOwn.call(record, key) && !isClean(record[key], depth + 1)) return false;
  return true;
}

/**
 * The first problem inside `value` (depth first, as JSON writes it), or undefined. `at` is the
 * path walked so far and `above` the objects it went through (a cycle refers back to one of them;
 * `onPath` holds the same objects, so the test is not a scan of `above` at every level).
 */
function findProblem(value: unknown, at: Array<string | number>, above: object[], onPath = new Set<object>()): JsonProblem | undefined {
  if (typeof value === 'object' && value !== null && onPath.has(value)) {
    return { at: [...at], found: value, cycleTo: at.slice(0, above.indexOf(value)) };
  }
  const expected = refusal(value);
  if (expected !== undefined) return { at: [...at], found: value, expected };
  if (typeof value !== 'object' || value === null || hasToJson(value)) return undefined;
  above.push(value);
  onPath.add(value);
  const record = value as Record<string | number, unknown>;
  const keys: Array<string | number> = Array.isArray(value) ? Array.from({ length: value.length }, (_v, i) => i) : Object.keys(record);
  for (const key of keys) {
    at.push(key);
    const problem = findProblem(record[key], at, above, onPath);
    at.pop();
    if (problem) return problem;
  }
  above.pop();
  onPath.delete(value);
  return undefined;
}

/** What is wrong with `value` itself (not inside it), or undefined. */
function refusal(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : nonFinite(value);
  if (typeof value === 'bigint') return hasToJson(value) ? undefined : BIGINT;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || hasToJson(value)) return undefined;
  return objectRefusal(value);
}

/** Why JSON cannot keep an object that is not a plain object or array, or undefined when it can (a class instance: its own fields). */
function objectRefusal(value: object): string | undefined {
  if (value instanceof Map) return 'a plain object or array (JSON writes a Map as {})';
  if (value instanceof Set) return 'a plain object or array (JSON writes a Set as {})';
  if (value instanceof WeakMap) return 'a plain object or array (JSON writes a WeakMap as {})';
  if (value instanceof WeakSet) return 'a plain object or array (JSON writes a WeakSet as {})';
  if (value instanceof Number && !Number.isFinite(value.valueOf())) return nonFinite(value.valueOf());
  if (value instanceof BigInt) return BIGINT;
  return undefined;
}

function nonFinite(value: number): string {
  return `a finite number (JSON writes ${String(value)} as null)`;
}

/** The error for `problem` inside the value at `base`. */
function refusedAt(problem: JsonProblem, base: string): InvalidOptionError {
  const expected = 'cycleTo' in problem ? `${SERIALISABLE} (a circular reference back to ${base}${pathSuffix(problem.cycleTo)})` : problem.expected;
  return new InvalidOptionError(base + pathSuffix(problem.at), problem.found, expected);
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}

function hasToJson(value: object | bigint): boolean {
  return typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

function pathText(path: ValuePath): string {
  return typeof path === 'string' ? path : path();
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `.key` for each key (`["odd key"]` when it is not an identifier) and `[i]` for each index. */
function pathSuffix(at: ReadonlyArray<string | number>): string {
  let out = '';
  for (const key of at) out += typeof key === 'number' ? `[${key}]` : IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
  return out;
}
