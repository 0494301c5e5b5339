import { readFileSync } from 'fs';
import { join, resolve } from 'path';
import { configJsonSchema } from './config-json-schema';

/*
 * docs/configuration.md, "Keys and defaults", against the schema: every key of the schema is in
 * the table with its default, and every key the table names is read.
 */

const DOC = join(resolve(__dirname, '../../../..'), 'docs', 'configuration.md');

type Json = { [key: string]: unknown };
/** A key of the schema: its path, its default, whether it holds further keys (a section or a map). */
type Key = { path: string; fallback: unknown; section: boolean };

const isJson = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function holdsKeys(node: Json): boolean {
  return isJson(node.properties) || isJson(node.additionalProperties) || (Array.isArray(node.anyOf) && node.anyOf.some((o) => isJson(o) && holdsKeys(o)));
}

/** Every key of the JSON Schema, map entries as `<name>`, with its default. */
function schemaKeys(node: Json, base = ''): Key[] {
  const keys: Key[] = [];
  if (isJson(node.properties)) {
    for (const [name, child] of Object.entries(node.properties)) {
      const path = base ? `${base}.${name}` : name;
      const json = isJson(child) ? child : {};
      keys.push({ path, fallback: json.default, section: holdsKeys(json) }, ...schemaKeys(json, path));
    }
  }
  if (isJson(node.additionalProperties)) {
    const path = `${base}.<name>`;
    keys.push({ path, fallback: undefined, section: holdsKeys(node.additionalProperties) }, ...schemaKeys(node.additionalProperties, path));
  }
  for (const option of Array.isArray(node.anyOf) ? node.anyOf : []) if (isJson(option)) keys.push(...schemaKeys(option, base));
  return keys;
}

/** A row of the table: the keys it names (full paths, `<...>` for any map entry) and its text. */
type Row = { keys: string[]; defaults: string[]; text: string };

function tableRows(): Row[] {
  const doc = readFileSync(DOC, 'utf8');
  const table = doc.slice(doc.indexOf('## Keys and defaults'), doc.indexOf('\n## ', doc.indexOf('## Keys and defaults') + 1));
  return table
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => {
      const [, keyColumn, defaultColumn, meaning] = line.split('|').map((cell) => cell.trim());
      const names = [...keyColumn.matchAll(/`([^`]+)`/g)].map((m) => m[1].replace(/<[^>]+>/g, '<name>'));
      const parent = names[0].split('.').slice(0, -1).join('.');
      // `redis.host` / `port` / `db`: later bare names are siblings of the first
      const keys = names.map((name, i) => (i > 0 && !name.includes('.') ? `${parent}.${name}` : name));
      return { keys, defaults: defaultColumn.split(/ \/ |, (?=\d)/), text: `${defaultColumn} ${meaning}` };
    });
}

const shown = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/** The row documenting `key`, and whether it gives the default. */
function documented(key: Key, rows: Row[]): string | undefined {
  const leaf = key.path.split('.').pop() ?? '';
  // an entry of a map of values (`channel_partitions.<name>`) is documented with its map
  if (leaf === '<name>' && !key.section) return documented({ path: key.path.slice(0, -'.<name>'.length), fallback: undefined, section: false }, rows);
  // a section is documented by the rows of its keys
  if (key.section && rows.some((row) => row.keys.some((k) => k.startsWith(`${key.path}.`)))) return undefined;
  for (const row of rows) {
    const exact = row.keys.indexOf(key.path);
    if (exact >= 0) {
      if (key.fallback === undefined || typeof key.fallback === 'object') return undefined;
      const wanted = shown(key.fallback);
      const cell = row.keys.length === row.defaults.length ? row.defaults[exact] : row.defaults.join(' / ');
      return cell.includes(wanted) ? undefined : `${key.path}: default ${wanted} not in "${cell}"`;
    }
    // `event_bus.stream.*`, `message_queue.retry_backoff`: the row names the key below it
    const section = row.keys.map((k) => k.replace(/\.\*$/, '')).find((k) => key.path.startsWith(`${k}.`));
    const below = section && key.path.slice(section.length + 1).split('.')[0];
    if (below && new RegExp(`\\b${below}\\b`).test(row.text)) {
      if (below !== leaf || key.fallback === undefined || typeof key.fallback === 'object') return undefined;
      const wanted = shown(key.fallback);
      return new RegExp(`\\b${leaf}:? \\{?${wanted.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(row.text)
        ? undefined
        : `${key.path}: default ${wanted} not given as "${leaf}: ${wanted}" in its row`;
    }
  }
  return `${key.path}: not in the table`;
}

describe('docs/configuration.md, "Keys and defaults"', () => {
  const keys = schemaKeys(configJsonSchema());
  const rows = tableRows();

  it('names every key of the schema with its default', () => {
    expect(keys.length).toBeGreaterThan(50);
    expect(keys.map((key) => documented(key, rows)).filter(Boolean)).toEqual([]);
  });

  it('names only keys that the schema has', () => {
    const known = new Set(keys.map((key) => key.path));
    const named = rows.flatMap((row) => row.keys.map((k) => k.replace(/\.\*$/, '')));
    expect(named.filter((k) => !known.has(k))).toEqual([]);
  });
});
