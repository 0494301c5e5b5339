import { QueueConfigError } from '../errors';
import { QUEUE_NAME_PATTERN, TASK_TYPE_PATTERN } from '../queue/queue-options';
import { PRIORITIES } from '../queue/queue.types';
import { maskRedisUrl } from '../redis/redis-connection';
import type { QueueAppConfig } from './config.types';
import { s, Schema, validateAgainst } from './schema';

const node = s.object({ host: s.string(undefined, /^\S+$/, 'a host name'), port: s.int(1, undefined, 65535) });
const queueName = (def?: string) => s.string(def, QUEUE_NAME_PATTERN, 'a queue name of 1..100 characters from [A-Za-z0-9_.:-]');
const priority = s.enum(PRIORITIES);

const maskUrl = (value: unknown) => (typeof value === 'string' ? maskRedisUrl(value) : value);

/** The schema of the whole file; defaults are those documented in `docs/configuration.md`. */
export const CONFIG_SCHEMA: Schema = s.object({
  service_name: s.string('meeting-service', /^[A-Za-z0-9_.-]{1,64}$/, 'a name of 1..64 characters from [A-Za-z0-9_.-]'),
  redis: s.object({
    url: s.secret(maskUrl, /^rediss?:\/\/\S+$/, 'a redis:// or rediss:// URL'),
    host: s.string('127.0.0.1', /^\S+$/, 'a host name'),
    port: s.int(1, 6379, 65535),
    db: s.int(0, 0, 15),
    username: s.string(),
    password: s.secret(),
    tls: s.bool(false),
    sentinels: s.array(node),
    sentinel_name: s.string(),
    cluster_nodes: s.array(node),
    key_prefix: s.string('mq', /^[A-Za-z0-9_.:-]{1,64}$/, 'a key prefix of 1..64 characters from [A-Za-z0-9_.:-]'),
    pool: s.object({ size: s.int(1, 1, 16) }),
    connect_timeout_ms: s.int(1, 10_000),
  }),
  message_queue: s.object({
    enabled: s.bool(true),
    type: s.enum(['redis', 'memory'], 'redis'),
    queue_name: queueName('meeting_system'),
    workers: s.int(1, 4),
    visibility_timeout: s.number(0.1, 30, 86_400),
    poll_interval: s.int(10, 100, 600_000),
    idle_block_ms: s.int(10, 30_000, 600_000),
    max_retries: s.int(0, 3, 1000),
    enable_dead_letter_queue: s.bool(true),
    default_timeout_ms: s.int(0, 0),
    retry_backoff: s.object({ base_ms: s.int(0, 1000), factor: s.number(1, 2, 100), max_ms: s.int(0, 60_000), jitter: s.number(0, 0.2, 1) }),
    scheduling: s.enum(['strict', 'weighted'], 'strict'),
    weights: s.object({ critical: s.int(1, 8, 1000), high: s.int(1, 4, 1000), normal: s.int(1, 2, 1000), low: s.int(1, 1, 1000) }),
    publish_timeout_ms: s.int(0, 10_000),
    outbox: s.object({ enabled: s.bool(false), max_size: s.int(1, 10_000) }),
    queues: s.map(
      s.object({
        workers: s.int(1),
        visibility_timeout: s.number(0.1, undefined, 86_400),
        max_retries: s.int(0, undefined, 1000),
        default_timeout_ms: s.int(0),
        enable_dead_letter_queue: s.bool(),
        scheduling: s.enum(['strict', 'weighted']),
      }),
      QUEUE_NAME_PATTERN, 'a queue name of 1..100 characters from [A-Za-z0-9_.:-]'),
  }),
  task_scheduler: s.object({
    enabled: s.bool(true),
    buffer_size: s.int(1, 1000),
    workers: s.int(1, 8),
    enable_delayed_tasks: s.bool(true),
    missed_policy: s.enum(['skip', 'run_once'], 'skip'),
  }),
  event_bus: s.object({
    enabled: s.bool(true),
    type: s.enum(['redis_pubsub', 'redis_stream', 'local'], 'redis_pubsub'),
    buffer_size: s.int(1, 1000),
    workers: s.int(1, 4),
    buffer_full_policy: s.enum(['wait', 'drop'], 'wait'),
    stream: s.object({
      max_len: s.int(0, 100_000),
      max_age_seconds: s.int(0, 86_400),
      max_deliveries: s.int(1, 5, 1000),
      claim_idle_ms: s.int(10, 30_000),
      block_ms: s.int(1, 5000, 600_000),
      read_count: s.int(1, 100, 10_000),
      dead_letter_max_len: s.int(1, 10_000),
      outbox: s.object({ enabled: s.bool(true), max_size: s.int(1, 10_000) }),
    }),
  }),
  task_dispatcher: s.object({
    enabled: s.bool(true),
    enable_routing: s.bool(true),
    enable_callbacks: s.bool(true),
    reply_timeout_ms: s.int(1, 30_000),
    status_retention_seconds: s.int(1, 86_400),
    routes: s.map(s.object({ queue: queueName(), priority, timeout_ms: s.int(0), max_retries: s.int(0, undefined, 1000) }), TASK_TYPE_PATTERN,
      'a task type of 1..128 characters from [A-Za-z0-9_.:/-]'),
  }),
  retention: s.object({
    completed_count: s.int(0, 1000),
    completed_age_seconds: s.int(1, 3600),
    dead_letter_max_size: s.int(1, 10_000),
    dead_letter_max_age_seconds: s.int(1, 7 * 86_400),
    idempotency_ttl_seconds: s.int(1, 86_400),
  }),
  limits: s.object({
    max_payload_bytes: s.int(1, 1024 * 1024, 512 * 1024 * 1024),
    prefetch: s.int(1, 100, 10_000),
  }),
  metrics: s.object({
    enabled: s.bool(true),
    prefix: s.string('mq_', /^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'a metric name prefix matching [a-zA-Z_:][a-zA-Z0-9_:]*'),
    default_metrics: s.bool(true),
  }),
  health: s.object({
    max_pending: s.int(0, 1000),
    max_dead_letters: s.int(0, 100),
    ping_timeout_ms: s.int(1, 1000),
  }),
});

/** Rules that involve more than one key. */
function crossChecks(config: QueueAppConfig, problems: QueueConfigError[]): void {
  const r = config.redis;
  if (r.sentinels.length > 0 && !r.sentinel_name) {
    problems.push(new QueueConfigError('redis.sentinel_name', r.sentinel_name, 'the Sentinel master name (redis.sentinels is set)'));
  }
  if (r.sentinels.length > 0 && r.cluster_nodes.length > 0) {
    problems.push(new QueueConfigError('redis.cluster_nodes', `${r.cluster_nodes.length} nodes`, 'either redis.sentinels or redis.cluster_nodes, not both'));
  }
  if (r.cluster_nodes.length > 0 && r.db !== 0) {
    problems.push(new QueueConfigError('redis.db', r.db, '0 with redis.cluster_nodes (Redis Cluster has one database)'));
  }
  const mq = config.message_queue;
  const queues = new Set([mq.queue_name, ...Object.keys(mq.queues)]);
  if (config.task_dispatcher.enable_routing) {
    for (const [type, route] of Object.entries(config.task_dispatcher.routes)) {
      if (route && route.queue === undefined) problems.push(new QueueConfigError(`task_dispatcher.routes.${type}.queue`, undefined, 'a queue name'));
      else if (route && !queues.has(route.queue)) {
        problems.push(new QueueConfigError(`task_dispatcher.routes.${type}.queue`, route.queue,
          `a queue of message_queue (queue_name or a key of message_queue.queues: ${[...queues].join(', ')})`));
      }
    }
  }
}

/** Validates and fills defaults. Pushes every problem; the result is only meaningful when there are none. */
export function validateConfig(raw: unknown, problems: QueueConfigError[]): QueueAppConfig {
  const config = validateAgainst(CONFIG_SCHEMA, raw, '', problems) as QueueAppConfig;
  if (problems.length === 0) crossChecks(config, problems);
  return config;
}
