import { QueueConfigError } from '../errors';
import { EnvValue } from './interpolate';

/**
 * A small declarative schema for the YAML configuration: every node knows its type, its bounds,
 * its default and how to describe what it expects. {@link validateAgainst} walks a value, fills
 * defaults and collects EVERY problem (it never stops at the first one).
 */
export type Schema =
  | { kind: 'object'; fields: Record<string, Schema>; optional?: boolean }
  | { kind: 'map'; values: Schema; keyPattern: RegExp; keyExpected: string }
  | { kind: 'array'; items: Schema }
  | { kind: 'int'; min: number; max?: number; default?: number }
  | { kind: 'number'; min: number; max?: number; exclusiveMin?: boolean; default?: number }
  | { kind: 'bool'; default?: boolean }
  | { kind: 'string'; pattern?: RegExp; expected?: string; default?: string; mask?: (value: unknown) => unknown }
  | { kind: 'enum'; values: readonly string[]; default?: string };

/** Builders for {@link Schema} nodes. A node without `default` is optional (absent stays absent). */
export const s = {
  object: (fields: Record<string, Schema>): Schema => ({ kind: 'object', fields }),
  map: (values: Schema, keyPattern: RegExp, keyExpected: string): Schema => ({ kind: 'map', values, keyPattern, keyExpected }),
  array: (items: Schema): Schema => ({ kind: 'array', items }),
  int: (min: number, def?: number, max?: number): Schema => ({ kind: 'int', min, max, default: def }),
  number: (min: number, def?: number, max?: number, exclusiveMin = false): Schema => ({ kind: 'number', min, max, default: def, exclusiveMin }),
  bool: (def?: boolean): Schema => ({ kind: 'bool', default: def }),
  string: (def?: string, pattern?: RegExp, expected?: string): Schema => ({ kind: 'string', default: def, pattern, expected }),
  secret: (mask: (value: unknown) => unknown = () => '***', pattern?: RegExp, expected?: string): Schema => ({ kind: 'string', mask, pattern, expected }),
  enum: (values: readonly string[], def?: string): Schema => ({ kind: 'enum', values, default: def }),
};

/** What a node accepts, in words (`a positive integer`, `one of "redis", "memory"`, ...). */
export function expectation(schema: Schema): string {
  switch (schema.kind) {
    case 'object':
      return 'a mapping';
    case 'map':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'int':
      if (schema.max !== undefined) return `an integer in [${schema.min}, ${schema.max}]`;
      return schema.min === 1 ? 'a positive integer' : schema.min === 0 ? 'a non-negative integer' : `an integer >= ${schema.min}`;
    case 'number':
      if (schema.exclusiveMin && schema.max === undefined && schema.min === 0) return 'a positive number';
      return schema.max !== undefined ? `a number in [${schema.min}, ${schema.max}]` : `a number >= ${schema.min}`;
    case 'bool':
      return 'true or false';
    case 'string':
      return schema.expected ?? 'a string';
    case 'enum':
      return `one of ${schema.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates `value` against `schema`, returns it with defaults filled in, and pushes one
 * {@link QueueConfigError} per problem onto `problems` (unknown keys included). Secret values are
 * masked in the errors. `null` counts as absent.
 */
export function validateAgainst(schema: Schema, value: unknown, path: string, problems: QueueConfigError[]): unknown {
  if (value instanceof EnvValue) value = schema.kind === 'string' || schema.kind === 'enum' ? value.raw : value.parsed;
  const absent = value === undefined || value === null;
  const fail = (found: unknown, expected = expectation(schema)) => {
    const shown = schema.kind === 'string' && schema.mask ? schema.mask(found) : found;
    problems.push(new QueueConfigError(path, shown, expected));
    return undefined;
  };
  switch (schema.kind) {
    case 'object': {
      if (absent) value = {};
      if (!isPlainObject(value)) return fail(value);
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(schema.fields)) {
        const resolved = validateAgainst(child, value[key], join(path, key), problems);
        if (resolved !== undefined) out[key] = resolved;
      }
      for (const key of Object.keys(value)) {
        if (key in schema.fields) continue;
        const known = Object.keys(schema.fields);
        const near = closest(key, known);
        // Values of unknown keys that look secret or came from the environment are not shown.
        const found = looksSecret(key) || (near && looksSecret(near)) || value[key] instanceof EnvValue ? '***' : value[key];
        problems.push(new QueueConfigError(join(path, key), found,
          `no such key${near ? ` (did you mean "${near}"?)` : ''}; known keys${path ? ` of ${path}` : ''}: ${known.join(', ')}`));
      }
      return out;
    }
    case 'map': {
      if (absent) return {};
      if (!isPlainObject(value)) return fail(value);
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(value)) {
        if (!schema.keyPattern.test(key)) {
          problems.push(new QueueConfigError(join(path, key), key, schema.keyExpected));
          continue;
        }
        out[key] = validateAgainst(schema.values, child, join(path, key), problems);
      }
      return out;
    }
    case 'array': {
      if (absent) return [];
      if (!Array.isArray(value)) return fail(value);
      return value.map((item, i) => validateAgainst(schema.items, item, `${path}[${i}]`, problems));
    }
    case 'int':
      if (absent) return schema.default;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < schema.min || (schema.max !== undefined && value > schema.max)) return fail(value);
      return value;
    case 'number': {
      if (absent) return schema.default;
      const low = schema.exclusiveMin ? (value as number) <= schema.min : (value as number) < schema.min;
      if (typeof value !== 'number' || !Number.isFinite(value) || low || (schema.max !== undefined && value > schema.max)) return fail(value);
      return value;
    }
    case 'bool':
      if (absent) return schema.default;
      if (typeof value !== 'boolean') return fail(value);
      return value;
    case 'string':
      // An empty string (typically `${VAR:-}`) counts as absent.
      if (absent || value === '') return schema.default;
      if (typeof value !== 'string' || (schema.pattern && !schema.pattern.test(value))) return fail(value);
      return value;
    case 'enum':
      if (absent) return schema.default;
      if (typeof value !== 'string' || !schema.values.includes(value)) return fail(value);
      return value;
  }
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** Keys whose values are never shown, even when the key itself is unknown (a misspelt `pasword`). */
export function looksSecret(key: string): boolean {
  return /pas+w|pwd|secret|token|credential|auth|url|key$/i.test(key) && !/prefix/i.test(key);
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = distance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}
