import { z } from 'zod';
import { QueueConfigError } from '../errors';
import { issueExpectation, joinPath } from '../util/fields';
import { EnvValue } from './interpolate';

/**
 * The glue between the zod schema of the configuration (`config-schema.ts`) and its error
 * messages: {@link prepareInput} readies a parsed YAML tree for zod, {@link collectProblems} turns
 * zod's issues into one {@link QueueConfigError} per problem (key path, value found with secrets
 * masked, expectation; unknown keys with a suggestion).
 */

/** Fields whose values are never shown: the value found is passed through `mask`. */
export const masked = z.registry<{ mask: (value: unknown) => unknown }>();

type Node = z.core.$ZodType;

/** The schema under optional/default/prefault wrappers. */
function unwrap(schema: Node): Node {
  let s = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodNullable) s = s.unwrap();
  return s;
}

/** The schema of the value at `path` below `schema` (undefined where the path leaves the schema). */
function schemaAt(schema: Node, path: ReadonlyArray<PropertyKey>): Node | undefined {
  let s: Node | undefined = schema;
  for (const key of path) {
    let inner: Node | undefined = s && unwrap(s);
    if (inner instanceof z.ZodUnion) inner = mappingOf(inner);
    if (inner instanceof z.ZodObject) s = (inner.shape as Record<string, Node>)[String(key)];
    else if (inner instanceof z.ZodRecord) s = inner.valueType as Node;
    else if (inner instanceof z.ZodArray) s = inner.element as Node;
    else return undefined;
  }
  return s && unwrap(s);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof EnvValue);
}

/**
 * Readies a parsed (and interpolated) YAML tree for the schema: a `${VAR}` value ({@link EnvValue})
 * becomes its text on string keys and its YAML scalar elsewhere, `null` and (on string keys) `""`
 * count as absent. Keys the schema does not know are kept as they are (reported by the schema).
 */
export function prepareInput(schema: Node, value: unknown): unknown {
  const s = unwrap(schema);
  if (value instanceof EnvValue) value = s instanceof z.ZodString || s instanceof z.ZodEnum ? value.raw : value.parsed;
  if (value === null) return undefined;
  if (value === '' && s instanceof z.ZodString) return undefined;
  // `true` or a mapping (redis.tls): a mapping is readied by the union's mapping option
  const mapping = s instanceof z.ZodUnion && isPlainObject(value) ? objectOption(s) : undefined;
  if (mapping) return prepareInput(mapping, value);
  if (s instanceof z.ZodObject && isPlainObject(value)) {
    const shape = s.shape as Record<string, Node>;
    // own keys, defined with fromEntries: a `__proto__:` key is kept (and reported as unknown)
    const entries = Object.entries(value).map(([key, child]) => [key, Object.hasOwn(shape, key) ? prepareInput(shape[key], child) : child] as const);
    return Object.fromEntries(entries.filter(([, prepared]) => prepared !== undefined));
  }
  if (s instanceof z.ZodRecord && isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, prepareInput(s.valueType as Node, child)]));
  }
  if (s instanceof z.ZodArray && Array.isArray(value)) return value.map((item) => prepareInput(s.element as Node, item));
  return value;
}

/** The mapping option of a union (`true` or a mapping), if it has one. */
function objectOption(union: z.ZodUnion): Node | undefined {
  return (union.options as Node[]).find((option) => unwrap(option) instanceof z.ZodObject);
}

/** The unwrapped mapping option of a union, if it has one. */
function mappingOf(union: z.ZodUnion): Node | undefined {
  const option = objectOption(union);
  return option && unwrap(option);
}

/** The issues of a union's mapping option when the value is a mapping (its keys are then reported one by one). */
function mappingIssues(schema: Node, input: unknown, issue: z.core.$ZodIssue): z.core.$ZodIssue[] | undefined {
  if (issue.code !== 'invalid_union' || !isPlainObject(valueAt(input, issue.path))) return undefined;
  const union = schemaAt(schema, issue.path);
  if (!(union instanceof z.ZodUnion)) return undefined;
  const index = (union.options as Node[]).findIndex((option) => unwrap(option) instanceof z.ZodObject);
  const inner = index >= 0 ? issue.errors[index] : undefined;
  return inner?.length ? inner.map((i) => ({ ...i, path: [...issue.path, ...i.path] })) : undefined;
}

function valueAt(value: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let v = value;
  for (const key of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key] : undefined;
  return v;
}

/**
 * One {@link QueueConfigError} per problem in `issues` (the first issue of a key wins), in the
 * order zod found them: wrong values with their expectation (masked where the field is secret),
 * bad map keys, and every unknown key with the keys it could have meant.
 */
export function collectProblems(schema: Node, input: unknown, issues: readonly z.core.$ZodIssue[]): QueueConfigError[] {
  const problems: QueueConfigError[] = [];
  const seen = new Set<string>();
  const add = (problem: QueueConfigError) => {
    if (seen.has(problem.path)) return;
    seen.add(problem.path);
    problems.push(problem);
  };
  for (const issue of issues.flatMap((i) => mappingIssues(schema, input, i) ?? [i])) {
    const path = joinPath('', issue.path);
    if (issue.code === 'unrecognized_keys') {
      let parent = schemaAt(schema, issue.path);
      if (parent instanceof z.ZodUnion) parent = mappingOf(parent);
      const known = parent instanceof z.ZodObject ? Object.keys(parent.shape) : [];
      const container = valueAt(input, issue.path) as Record<string, unknown>;
      for (const key of issue.keys) {
        const near = closest(key, known);
        // Values of unknown keys that look secret or came from the environment are not shown.
        const found = looksSecret(key) || (near && looksSecret(near)) || container[key] instanceof EnvValue ? '***' : container[key];
        add(
          new QueueConfigError(
            joinPath(path, [key]),
            found,
            `no such key${near ? ` (did you mean "${near}"?)` : ''}; known keys${path ? ` of ${path}` : ''}: ${known.join(', ')}`,
          ),
        );
      }
    } else if (issue.code === 'invalid_key') {
      add(new QueueConfigError(path, issue.path[issue.path.length - 1], issueExpectation(issue)));
    } else {
      const field = schemaAt(schema, issue.path);
      const mask = field && masked.get(field)?.mask;
      const found = valueAt(input, issue.path);
      add(new QueueConfigError(path, mask ? mask(found) : found, issueExpectation(issue)));
    }
  }
  return problems;
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
