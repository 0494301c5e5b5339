import { mkdtempSync, writeFileSync } from 'fs';
import { load } from 'js-yaml';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { QueueConfigError } from '../errors';
import { ConfigFileError, ConfigValidationError, loadConfig, maskConfig, parseConfig } from '.';
import { queueOptionsFromConfig } from '../manager/queue-options-from-config';
import { resolveQueueOptions } from '../queue/queue-options';
import { problemsOf } from './testing/config-test-kit';

const REPO_CONFIG = resolve(__dirname, '../../../../config');

/** The seed's YAML, exactly as the design note (and the digest) writes it. */
const SEED_YAML = `
message_queue:   { enabled: true, type: "redis", queue_name: "meeting_system", workers: 4,
                   visibility_timeout: 30, poll_interval: 100, max_retries: 3, enable_dead_letter_queue: true }
task_scheduler:  { enabled: true, buffer_size: 1000, workers: 8, enable_delayed_tasks: true }
event_bus:       { enabled: true, type: "redis_pubsub", buffer_size: 1000, workers: 4 }   # or "local"
task_dispatcher: { enabled: true, enable_routing: true, enable_callbacks: true }
`;

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mq-config-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('configuration', () => {
  it('rate limits per queue and per task type become queue options; bad ones are named', () => {
    const yaml = `
message_queue:
  queues:
    ai_tasks: { rate_limit: { max: 200, per_ms: 1000 }, rate_limits: { speech_recognition: { max: 50, per_ms: 1000 } } }
`;
    const options = resolveQueueOptions(queueOptionsFromConfig(parseConfig(load(yaml), { env: {} }), 'ai_tasks'));
    expect(options.rateLimit).toEqual({ max: 200, perMs: 1000 });
    expect(options.rateLimits).toEqual({ speech_recognition: { max: 50, perMs: 1000 } });
    const bad = problemsOf(() => parseConfig(load('message_queue: { queues: { q: { rate_limits: { t: { max: 0, per_ms: 1000 } } } } }'), { env: {} }));
    expect(bad.message).toContain('message_queue.queues.q.rate_limits.t.max');
  });

  it('loads the seed YAML as written, every seed key kept', () => {
    const config = parseConfig(load(SEED_YAML), { env: {} });
    expect(config.message_queue).toMatchObject({
      enabled: true,
      type: 'redis',
      queue_name: 'meeting_system',
      workers: 4,
      visibility_timeout: 30,
      poll_interval: 100,
      max_retries: 3,
      enable_dead_letter_queue: true,
    });
    expect(config.task_scheduler).toMatchObject({ enabled: true, buffer_size: 1000, workers: 8, enable_delayed_tasks: true });
    expect(config.event_bus).toMatchObject({ enabled: true, type: 'redis_pubsub', buffer_size: 1000, workers: 4 });
    expect(config.task_dispatcher).toMatchObject({ enabled: true, enable_routing: true, enable_callbacks: true, routes: {} });
    expect(parseConfig(load(SEED_YAML.replace('"redis_pubsub"', '"local"')), { env: {} }).event_bus.type).toBe('local');
  });

  it('loads the repository config/config.yaml with its defaults, and the test overlay for NODE_ENV=test', () => {
    const base = loadConfig({ dir: REPO_CONFIG, env: {} });
    expect(base.redis).toMatchObject({ host: '127.0.0.1', port: 6379, db: 0, tls: false, key_prefix: 'mq', pool: { size: 1 } });
    expect(base.redis.password).toBeUndefined();
    expect(base.health).toEqual({ max_pending: 1000, max_dead_letters: 100, ping_timeout_ms: 1000 });
    expect(base.service_name).toBe('meeting-service');
    const test = loadConfig({ dir: REPO_CONFIG, env: { NODE_ENV: 'test' } });
    expect(test.message_queue.type).toBe('memory');
    expect(test.message_queue.workers).toBe(4);
    expect(loadConfig({ dir: REPO_CONFIG, env: { NODE_ENV: 'staging' } }).message_queue.type).toBe('redis');
  });

  it('merges CONFIG_FILE over config.yaml (mappings merge, lists replace) and then the overrides', () => {
    const dir = dirWith({
      'config.yaml': 'redis: { cluster_nodes: [{ host: a, port: 1 }, { host: b, port: 2 }] }\nmessage_queue: { workers: 2, max_retries: 5 }\n',
      'production.yaml': 'message_queue: { workers: 9 }\n',
      'custom.yaml': 'redis: { cluster_nodes: [{ host: c, port: 3 }] }\nmessage_queue: { workers: 16 }\n',
    });
    const byEnv = loadConfig({ dir, env: { NODE_ENV: 'production' } });
    expect(byEnv.message_queue).toMatchObject({ workers: 9, max_retries: 5 });
    const byFile = loadConfig({
      dir,
      env: { NODE_ENV: 'production', CONFIG_FILE: join(dir, 'custom.yaml') },
      overrides: { message_queue: { max_retries: 0 } },
    });
    expect(byFile.message_queue).toMatchObject({ workers: 16, max_retries: 0 });
    expect(byFile.redis.cluster_nodes).toEqual([{ host: 'c', port: 3 }]);
  });

  it('interpolates ${VAR} and ${VAR:-default}, typed when the placeholder is the whole value', () => {
    const raw = {
      service_name: 'svc-${REGION}',
      redis: { host: '${REDIS_HOST:-localhost}', port: '${REDIS_PORT}', password: '${REDIS_PASSWORD}', tls: '${TLS:-false}', username: 'p$$x' },
      message_queue: { workers: '${WORKERS:-4}' },
    };
    const config = parseConfig(raw, { env: { REGION: 'eu', REDIS_PORT: '6380', REDIS_PASSWORD: '0123', WORKERS: '' } });
    expect(config.service_name).toBe('svc-eu');
    expect(config.redis).toMatchObject({ host: 'localhost', port: 6380, password: '0123', tls: false, username: 'p$x' });
    expect(config.message_queue.workers).toBe(4);
    const error = problemsOf(() => parseConfig({ redis: { port: '${NOPE}' } }, { env: {} }));
    expect(error.problems.map((p) => p.message)).toContain(
      'redis.port: expected environment variable NOPE to be set (or a default: ${NOPE:-value}), got "${NOPE}"',
    );
  });

  it('REDIS_URL replaces the Redis address', () => {
    const config = parseConfig(
      { redis: { host: 'h', port: 7000, db: 3, password: 'pw', sentinels: [{ host: 's', port: 1 }], sentinel_name: 'm' } },
      { env: { REDIS_URL: 'redis://u:secret@example:6390/2' } },
    );
    expect(config.redis).toMatchObject({ url: 'redis://u:secret@example:6390/2', host: '127.0.0.1', port: 6379, db: 0, sentinels: [], password: 'pw' });
    const bad = problemsOf(() => parseConfig({}, { env: { REDIS_URL: 'http://u:hunter2@x' } }));
    expect(bad.message).toContain('REDIS_URL: expected a redis:// or rediss:// URL, got "http://u:***@x"');
    expect(bad.message).not.toContain('hunter2');
  });

  it('lists every problem with key path, value found and expectation', () => {
    const error = problemsOf(() =>
      parseConfig(
        {
          message_queue: {
            workers: 'four',
            type: 'kafka',
            enable_dead_letter_queue: 'yes',
            visibility_timeout: -1,
            wokers: 4,
            queue_name: 'bad name',
            queues: { ok_queue: { workers: 0 }, 'no spaces': {} },
            default_timeout_ms: 3_000_000_000,
          },
          redis: { port: 70000, pool: { size: 0 } },
          event_bus: { type: 'kafka', stream: { max_deliveries: 0 } },
          health: { max_pending: 1.5 },
          unknown_section: {},
        },
        { env: {} },
      ),
    );
    const messages = error.problems.map((p) => p.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        'message_queue.workers: expected an integer in [1, 10000], got "four"',
        'message_queue.type: expected one of "redis", "memory", got "kafka"',
        'message_queue.enable_dead_letter_queue: expected true or false, got "yes"',
        'message_queue.visibility_timeout: expected a number in [0.1, 86400], got -1',
        'message_queue.queue_name: expected a queue name of 1..100 characters from [A-Za-z0-9_.:-], got "bad name"',
        'message_queue.queues.ok_queue.workers: expected an integer in [1, 10000], got 0',
        'message_queue.queues.no spaces: expected a queue name of 1..100 characters from [A-Za-z0-9_.:-], got "no spaces"',
        'redis.port: expected an integer in [1, 65535], got 70000',
        'redis.pool.size: expected an integer in [1, 16], got 0',
        'event_bus.type: expected one of "redis_pubsub", "redis_stream", "local", got "kafka"',
        'event_bus.stream.max_deliveries: expected an integer in [1, 1000], got 0',
        'health.max_pending: expected a non-negative integer, got 1.5',
        // a Node timer longer than 2^31 - 1 ms fires after 1 ms: every attempt would have timed out at once
        'message_queue.default_timeout_ms: expected an integer in [0, 2147483647], got 3000000000',
      ]),
    );
    expect(messages.find((m) => m.startsWith('message_queue.wokers:'))).toMatch(/no such key \(did you mean "workers"\?\)/);
    expect(messages.find((m) => m.startsWith('unknown_section:'))).toMatch(/no such key; known keys: service_name, redis, message_queue/);
    expect(error.problems).toHaveLength(15);
    expect(error.problems.every((p) => p instanceof QueueConfigError)).toBe(true);
    expect(error.message).toMatch(/^invalid configuration: 15 problems\n {2}- /);
  });

  it('checks rules across keys: Sentinel name, routes to known queues', () => {
    const error = problemsOf(() =>
      parseConfig(
        {
          redis: { sentinels: [{ host: 's1', port: 26379 }] },
          message_queue: { queues: { ai_tasks: {} } },
          task_dispatcher: { routes: { speech_recognition: { queue: 'ai_tasks', priority: 'high' }, video_enhancement: { queue: 'media' } } },
        },
        { env: {} },
      ),
    );
    expect(error.problems.map((p) => p.path)).toEqual(['redis.sentinel_name', 'task_dispatcher.routes.video_enhancement.queue']);
    expect(error.problems[1].message).toContain('got "media"');
  });

  it('never shows secrets in errors', () => {
    const dir = dirWith({
      'config.yaml': 'redis:\n  password: ${REDIS_PASSWORD}\n  pasword: hunter2\n  url: "http://user:hunter2@host"\nmessage_queue:\n  extra_token: ${TOKEN}\n',
      'broken.yaml': 'redis:\n  password: "hunter2\n  port: 1\n',
    });
    const error = problemsOf(() => loadConfig({ dir, env: { REDIS_PASSWORD: 'hunter2', TOKEN: 'hunter2' } }));
    expect(error.message).not.toContain('hunter2');
    expect(error.message).toContain('redis.pasword: expected no such key (did you mean "password"?)');
    expect(error.message).toContain('redis.url: expected a redis:// or rediss:// URL, got "http://user:***@host"');
    expect(error.sources).toEqual([expect.stringContaining('config.yaml')]);
    const numeric = problemsOf(() => parseConfig({ redis: { password: 12345 } }, { env: {} }));
    expect(numeric.message).toBe('invalid configuration: 1 problem\n  - redis.password: expected a string, got "***"');
    expect(() => loadConfig({ dir, env: { CONFIG_FILE: join(dir, 'broken.yaml') } })).toThrow(ConfigFileError);
    try {
      loadConfig({ dir, env: { CONFIG_FILE: join(dir, 'broken.yaml') } });
    } catch (e) {
      expect((e as Error).message).toMatch(/broken\.yaml: invalid YAML at line \d+, column \d+/);
      expect((e as Error).message).not.toContain('hunter2');
    }
    const good = parseConfig({ redis: { url: 'redis://u:hunter2@h:1', password: 'hunter2' } }, { env: {} });
    expect(JSON.stringify(maskConfig(good))).not.toContain('hunter2');
  });

  it('takes an empty key (YAML null) as absent: a section, a queue of message_queue.queues, a value', () => {
    const config = parseConfig(load('redis:\nmessage_queue:\n  workers:\n  queues:\n    ai_tasks:\n') as Record<string, unknown>, { env: {} });
    expect(config.redis.port).toBe(6379);
    expect(config.message_queue.workers).toBe(4);
    expect(config.message_queue.queues).toEqual({ ai_tasks: {} });
  });

  it('reports missing files', () => {
    const dir = dirWith({ 'config.yaml': '' });
    expect(() => loadConfig({ dir: join(dir, 'nowhere'), env: {} })).toThrow(/config\.yaml: not found/);
    expect(() => loadConfig({ dir, env: { CONFIG_FILE: join(dir, 'missing.yaml') } })).toThrow(ConfigFileError);
    expect(loadConfig({ dir, env: { NODE_ENV: 'nothing-here' } }).message_queue.workers).toBe(4);
  });

  it('takes redis.tls as true/false or a mapping, checks its keys one by one and masks a PEM key', () => {
    const key = '-----BEGIN PRIVATE KEY-----\nsecret-key-body\n-----END PRIVATE KEY-----';
    expect(parseConfig({ redis: { tls: '${TLS:-true}' } }, { env: {} }).redis.tls).toBe(true);
    const config = parseConfig(
      { redis: { tls: { ca: '/etc/ca.crt', cert: '/etc/c.crt', key: '${KEY}', servername: 'redis.internal' } } },
      { env: { KEY: key } },
    );
    expect(config.redis.tls).toEqual({ ca: '/etc/ca.crt', cert: '/etc/c.crt', key, servername: 'redis.internal', reject_unauthorized: true });
    expect(JSON.stringify(maskConfig(config))).not.toContain('secret-key-body');
    const problems = (input: unknown) => {
      try {
        parseConfig({ redis: { tls: input } }, { env: {} });
        return [];
      } catch (error) {
        return (error as ConfigValidationError).problems.map((p) => p.message);
      }
    };
    expect(problems('yes')).toEqual(['redis.tls: expected true, false or a mapping { ca, cert, key, servername, reject_unauthorized }, got "yes"']);
    expect(problems({ cax: '/x' })[0]).toMatch(/^redis\.tls\.cax: expected no such key \(did you mean "ca"\?\)/);
    expect(problems({ key: 42, reject_unauthorized: 'no' })).toEqual([
      'redis.tls.key: expected a string, got "***"',
      'redis.tls.reject_unauthorized: expected true or false, got "no"',
    ]);
  });
});
