import { mkdirSync, mkdtempSync, writeFileSync } from 'fs';
import { load } from 'js-yaml';
import { tmpdir } from 'os';
import { join } from 'path';
import { loadConfig, parseConfig } from '.';
import { problemsOf } from './testing/config-test-kit';

describe('configuration edge cases', () => {
  it('reports a __proto__ key as unknown at every level instead of dropping it', () => {
    for (const yaml of ['__proto__:\n  x: 1\n', 'message_queue:\n  __proto__:\n    workers: 99\n', 'redis:\n  __proto__: 5\n']) {
      const error = problemsOf(() => parseConfig(load(yaml), { env: {} }));
      expect(error.problems.map((p) => p.path)).toEqual([expect.stringMatching(/^(\w+\.)?__proto__$/)]);
      expect(error.message).toContain('expected no such key');
    }
    const fromJson = problemsOf(() => parseConfig(JSON.parse('{"retention": {"__proto__": {"completed_count": 5}}}'), { env: {} }));
    expect(fromJson.problems.map((p) => p.path)).toEqual(['retention.__proto__']);
  });

  it('keeps a __proto__ key of an overlay when merging it over config.yaml (reported, not dropped)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mq-config-keys-'));
    writeFileSync(join(dir, 'config.yaml'), 'message_queue:\n  workers: 2\n');
    writeFileSync(join(dir, 'staging.yaml'), 'message_queue:\n  __proto__:\n    max_retries: 9\n');
    const error = problemsOf(() => loadConfig({ dir, env: { NODE_ENV: 'staging' } }));
    expect(error.problems.map((p) => p.path)).toEqual(['message_queue.__proto__']);
    expect(error.sources).toEqual([expect.stringContaining('config.yaml'), expect.stringContaining('staging.yaml')]);
  });

  it('takes any redis.db the server may have (databases beyond 16 are a server setting), refusing negative ones', () => {
    expect(parseConfig({ redis: { db: 20 } }, { env: {} }).redis.db).toBe(20);
    expect(problemsOf(() => parseConfig({ redis: { db: -1 } }, { env: {} })).problems.map((p) => p.path)).toEqual(['redis.db']);
  });

  it('takes an empty CONFIG_DIR as unset: ./config under the working directory, not the working directory itself', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'mq-config-cwd-'));
    writeFileSync(join(cwd, 'config.yaml'), 'service_name: wrong-folder\n');
    mkdirSync(join(cwd, 'config'));
    writeFileSync(join(cwd, 'config', 'config.yaml'), 'service_name: from-config-folder\n');
    const spy = jest.spyOn(process, 'cwd').mockReturnValue(cwd);
    try {
      expect(loadConfig({ env: { CONFIG_DIR: '' } }).service_name).toBe('from-config-folder');
    } finally {
      spy.mockRestore();
    }
  });
});
