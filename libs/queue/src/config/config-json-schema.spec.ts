import { readdirSync, readFileSync } from 'fs';
import { join, resolve } from 'path';
import { configJsonSchema, configJsonSchemaText } from './config-json-schema';

const ROOT = resolve(__dirname, '../../../..');
const FILE = join(ROOT, 'config', 'config.schema.json');

type Json = { [key: string]: unknown };
const at = (node: unknown, ...keys: string[]): Json => keys.reduce((n, k) => (n as Json)[k], node) as Json;

describe('config/config.schema.json', () => {
  it('is current (generated from the zod schema)', () => {
    const current = readFileSync(FILE, 'utf8');
    // On failure: run npm run config:schema and commit config/config.schema.json.
    if (current !== configJsonSchemaText()) throw new Error(`${FILE} is not current: run npm run config:schema`);
  });

  it('describes every key with its default, flags unknown keys and accepts ${VAR} placeholders', () => {
    const schema = configJsonSchema();
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.additionalProperties).toBe(false);
    const mq = at(schema, 'properties', 'message_queue');
    expect(mq.additionalProperties).toBe(false);
    const workers = at(mq, 'properties', 'workers');
    expect(workers.default).toBe(4);
    expect(workers.anyOf).toEqual([{ type: 'integer', minimum: 1, maximum: 10_000 }, { $ref: '#/definitions/placeholder' }]);
    expect(at(mq, 'properties', 'type').anyOf).toContainEqual({ type: 'string', enum: ['redis', 'memory'] });
    expect(at(mq, 'properties', 'queues', 'propertyNames').pattern).toBe('^[A-Za-z0-9_.:-]{1,100}$');
    expect(at(schema, 'properties', 'redis', 'properties', 'password').anyOf).toBeUndefined(); // a plain string: any text
    const placeholder = new RegExp(String(at(schema, 'definitions', 'placeholder').pattern));
    expect(placeholder.test('${REDIS_PORT:-6379}')).toBe(true);
    expect(placeholder.test('6379')).toBe(false);
  });

  it('is named by every YAML configuration in the repository (editor hint)', () => {
    const files = [
      ...readdirSync(join(ROOT, 'config'))
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => join(ROOT, 'config', f)),
      ...readdirSync(join(ROOT, 'apps'))
        .map((app) => join(ROOT, 'apps', app, 'config.yaml'))
        .filter((f) => {
          try {
            readFileSync(f);
            return true;
          } catch {
            return false;
          }
        }),
    ];
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const file of files) {
      const first = readFileSync(file, 'utf8').split('\n')[0];
      expect({ file, first }).toEqual({
        file,
        first: expect.stringMatching(/^# yaml-language-server: \$schema=(\.\.\/\.\.\/config\/|\.\/)config\.schema\.json$/),
      });
    }
  });
});
