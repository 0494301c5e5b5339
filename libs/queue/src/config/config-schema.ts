import { maskRedisUrl } from '../redis/redis-connection';
import { z } from 'zod';
import { ROUTE_FIELDS } from '../dispatcher/dispatch-prepare';
import { EVENT_BUS_FIELDS as BUS } from '../events/event-bus-options';
import { CHANNEL_NAME_PATTERN } from '../events/cloud-event';
import { QUEUE_FIELDS } from '../queue/queue-options';
import { SCHEDULER_FIELDS } from '../scheduler/schedule-spec';
import { DEFAULT_SOCKET_TIMEOUT_MS } from '../redis/redis-connection';
import { backoffFields, boolField, enumField, intField, numberField, queueNameField, stringField, taskTypeField, timerMsField } from '../util/fields';
import { canonicalRedisUrl, isUsableRedisUrl, REDIS_URL_EXPECTED, REDIS_URL_PATTERN, REDIS_URL_SCHEME_EXPECTED } from '../redis/redis-url';
import { masked } from './schema';

/*
 * The one schema of the YAML configuration. The TypeScript types (`config.types.ts`), the
 * validation (`validate-config.ts`, error messages from `schema.ts`) and the JSON Schema for editors
 * (`config/config.schema.json`, `npm run config:schema`) are all derived from it. Defaults are
 * those documented in `docs/configuration.md`; a key without a default is optional.
 */

const says = (expected: string) => ({ error: () => expected });
/** A mapping with exactly these keys; absent means `{}` (so the defaults inside apply). */
const section = <T extends z.core.$ZodLooseShape>(shape: T, description?: string) => {
  // Every key of a section is optional or has a default, so `{}` is a valid input.
  const object = z.strictObject(shape, says('a mapping')).prefault({} as z.input<z.ZodObject<T, z.core.$strict>>);
  return description ? object.describe(description) : object;
};
const list = <T extends z.ZodType>(item: T) => z.array(item, says('a list')).default([]);
const map = <T extends z.ZodType>(key: z.ZodString, value: T) => z.record(key, value, says('a mapping')).default({});

const hostName = () => stringField(/^\S+$/, 'a host name');
const node = z.strictObject({ host: hostName(), port: intField(1, 65535) }, says('a mapping'));
const scheduling = () => enumField(['strict', 'weighted']);
const pemOrPath = (what: string) => stringField().describe(`${what}: a PEM text (\`-----BEGIN ...\`, for example from \`\${VAR}\`) or the path of a PEM file.`);
const tlsSettings = z
  .strictObject(
    {
      ca: pemOrPath("CA certificate(s) the server certificate must be signed by (default: Node's trusted CAs)").optional(),
      cert: pemOrPath('Client certificate (servers with `tls-auth-clients yes`); needs `key`').optional(),
      key: pemOrPath('Private key of the client certificate; never logged')
        .register(masked, { mask: () => '***' })
        .optional(),
      servername: hostName().optional().describe('Name the server certificate must carry (default: the host connected to).'),
      reject_unauthorized: boolField().default(true).describe('false accepts any server certificate (tests only).'),
    },
    says('a mapping'),
  )
  .describe('TLS with a private CA and/or a client certificate.');
const maskUrl = (value: unknown) => (typeof value === 'string' ? maskRedisUrl(value) : value);

const redis = section(
  {
    url: stringField(REDIS_URL_PATTERN, REDIS_URL_SCHEME_EXPECTED)
      .refine(isUsableRedisUrl, says(REDIS_URL_EXPECTED))
      .overwrite(canonicalRedisUrl)
      .register(masked, { mask: maskUrl })
      .optional()
      .describe('`redis://[user:password@]host:port[/db]`, `rediss://` for TLS. Set by `REDIS_URL` when that is in the environment.'),
    host: hostName().default('127.0.0.1').describe('Redis host, used without `url`.'),
    port: intField(1, 65535).default(6379),
    db: intField(0)
      .default(0)
      .describe('Database number, used without `url`: any the server has (its `databases` setting, 16 by default; one it lacks stops start-up with REDIS_DB).'),
    username: stringField().optional().describe('ACL user (also for Sentinel).'),
    password: stringField()
      .register(masked, { mask: () => '***' })
      .optional()
      .describe('Password (also for Sentinel). Never logged.'),
    tls: z
      .union([boolField(), tlsSettings], says('true, false or a mapping { ca, cert, key, servername, reject_unauthorized }'))
      .default(false)
      .describe(
        "TLS on every connection (host/port or URL, the Sentinels and the master they name, every Cluster node): `true` (Node's trusted CAs), or a mapping of `ca`, `cert`, `key` (PEM text, e.g. from `${VAR}`, or a file path), `servername`, `reject_unauthorized`. `rediss://` turns it on.",
      ),
    sentinels: list(node).describe('Sentinel nodes `[{ host, port }]`; needs `sentinel_name`.'),
    sentinel_name: stringField().optional().describe('Sentinel master group name.'),
    cluster_nodes: list(node).describe('Seed nodes `[{ host, port }]` of a Redis Cluster.'),
    key_prefix: stringField(/^[A-Za-z0-9_.:-]{1,64}$/, 'a key prefix of 1..64 characters from [A-Za-z0-9_.:-]')
      .default('mq')
      .describe('Prefix of every key, before the `{queue}` hash tag.'),
    pool: section({ size: intField(1, 16).default(1) }, 'Command connections shared by all queues and buses (round robin).'),
    connect_timeout_ms: timerMsField(1).default(10_000).describe('Give up connecting after this long; also the start-up wait for Redis.'),
    socket_timeout_ms: timerMsField(0)
      .default(DEFAULT_SOCKET_TIMEOUT_MS)
      .describe(
        'A connection that owes replies and receives nothing for this long is taken for dead (a host gone without a reset, a hung proxy) and opened again, its commands sent again; blocking connections get their block time on top, subscriber connections PING this often. Keep it under `message_queue.publish_timeout_ms`, so that a publish caught on a dead connection is sent again in time. 0: off.',
      ),
  },
  'Where Redis is: `url`, or `host`/`port`/`db`, or `sentinels` + `sentinel_name`, or `cluster_nodes`.',
);

const rateLimit = () =>
  z
    .strictObject({ max: QUEUE_FIELDS.rateMax(), per_ms: QUEUE_FIELDS.ratePerMs() }, says('a mapping with max and per_ms'))
    .describe('At most `max` starts per `per_ms` across every worker (token bucket on the Redis clock; docs/queue.md "Rate limits").');

const queueOverrides = z
  .strictObject(
    {
      workers: QUEUE_FIELDS.concurrency().optional(),
      visibility_timeout: numberField(0.1, 86_400).optional(),
      max_retries: QUEUE_FIELDS.maxRetries().optional(),
      default_timeout_ms: QUEUE_FIELDS.defaultTimeoutMs().optional(),
      enable_dead_letter_queue: boolField().optional(),
      scheduling: scheduling().optional(),
      durability: z
        .strictObject({ replicas: QUEUE_FIELDS.durabilityReplicas().optional(), timeout_ms: QUEUE_FIELDS.durabilityTimeoutMs().optional() }, says('a mapping'))
        .optional()
        .describe('Overrides `message_queue.durability` for this queue.'),
      partitions: QUEUE_FIELDS.partitions().optional().describe('Overrides `message_queue.partitions` for this queue.'),
      rate_limit: rateLimit().optional(),
      rate_limits: z
        .record(taskTypeField(), rateLimit(), says('a mapping'))
        .optional()
        .describe("Per task type: `{ max, per_ms }` (a handler's own `rateLimit` option overrides its entry)."),
      group_concurrency: QUEUE_FIELDS.groupConcurrency()
        .optional()
        .describe('Most messages of one group (publish option `group`) running at once across every worker (docs/queue.md "Groups"); absent: no limit.'),
    },
    says('a mapping'),
  )
  .prefault({}) // `ai_tasks:` with nothing after it: a queue with the defaults
  .describe('Overrides of the `message_queue` defaults for one queue.');

const messageQueue = section(
  {
    enabled: boolField().default(true),
    type: enumField(['redis', 'memory']).default('redis').describe('`memory`: one process, nothing persisted (tests and development).'),
    queue_name: queueNameField().default('meeting_system').describe("The default queue; also the dispatcher's local queue."),
    workers: QUEUE_FIELDS.concurrency().default(4).describe('Handlers running at once per task type and process.'),
    visibility_timeout: numberField(0.1, 86_400).default(30).describe('Lease length in seconds.'),
    poll_interval: intField(10, 600_000)
      .default(100)
      .describe("The seed's polling interval in ms: accepted for compatibility, no effect (idle workers block and are woken by new work)."),
    idle_block_ms: QUEUE_FIELDS.idleBlockMs()
      .default(30_000)
      .describe('Longest an idle worker blocks before it re-checks expired leases and due delayed messages (capped at the visibility timeout).'),
    max_retries: QUEUE_FIELDS.maxRetries().default(3).describe('Retries before the dead-letter queue.'),
    enable_dead_letter_queue: boolField().default(true).describe('false drops messages that failed for good (they are counted).'),
    default_timeout_ms: QUEUE_FIELDS.defaultTimeoutMs().default(0).describe('Per-attempt timeout, 0 = none.'),
    retry_backoff: section(
      {
        base_ms: backoffFields.base().default(1000),
        factor: backoffFields.factor().default(2),
        max_ms: backoffFields.max().default(60_000),
        jitter: backoffFields.jitter().default(0.2),
      },
      'Exponential backoff between attempts: min(max_ms, base_ms * factor^(attempt-1)), minus up to `jitter` of it at random.',
    ),
    scheduling: scheduling().default('strict').describe('`strict`: always the highest non-empty tier; `weighted`: tiers drawn by `weights`.'),
    weights: section(
      {
        critical: QUEUE_FIELDS.weight().default(8),
        high: QUEUE_FIELDS.weight().default(4),
        normal: QUEUE_FIELDS.weight().default(2),
        low: QUEUE_FIELDS.weight().default(1),
      },
      'Tier weights for `weighted` scheduling.',
    ),
    publish_timeout_ms: QUEUE_FIELDS.publishTimeoutMs()
      .default(10_000)
      .describe('Longest a publish waits for Redis before PublishTimeoutError, in ms (0 = no bound).'),
    outbox: section(
      { enabled: boolField().default(false), max_size: QUEUE_FIELDS.outboxMaxSize().default(10_000) },
      'Backup producer (Redis): publishes wait in a bounded in-process outbox while Redis is unreachable.',
    ),
    durability: section(
      {
        replicas: QUEUE_FIELDS.durabilityReplicas().default(0).describe('Replicas that must have a write before it is acknowledged (0 = none).'),
        timeout_ms: QUEUE_FIELDS.durabilityTimeoutMs().default(1000).describe('Longest wait for them (Redis `WAIT`), in ms.'),
      },
      'Replication before acknowledging (Redis `WAIT` after every publish, completion, retry, dead letter, scheduler and dispatcher write); a publish that times out fails with DurabilityTimeoutError, other writes are logged and counted. Ignored by the memory backend. See docs/guarantees.md.',
    ),
    partitions: QUEUE_FIELDS.partitions()
      .default(1)
      .describe(
        'Partitions of each queue: one hash tag each, placed on different masters of a Redis Cluster (1 = the single `{name}` slot). Every process of a queue must use the same value; docs/scaling.md says when and how to change it.',
      ),
    queues: map(queueNameField(), queueOverrides).describe('Further named queues, each with overrides.'),
  },
  "The seed's `message_queue` section plus the knobs of the priority queue.",
);

const taskScheduler = section(
  {
    enabled: boolField().default(true),
    buffer_size: intField(1).default(1000).describe('Seed key, validated; no effect (scheduled tasks wait in the queue).'),
    workers: intField(1).default(8).describe("Seed key, validated; no effect (scheduled tasks run on the queue's workers)."),
    enable_delayed_tasks: boolField().default(true).describe('false: `scheduleTask` refuses one-off delayed tasks.'),
    missed_policy: SCHEDULER_FIELDS.missedPolicy().default('skip').describe('Recurring occurrences missed while no scheduler ran.'),
  },
  "The seed's `task_scheduler` section.",
);

const eventBus = section(
  {
    enabled: boolField().default(true),
    type: BUS.type().default('redis_pubsub'),
    buffer_size: BUS.bufferSize().default(1000).describe('Events buffered before handlers run.'),
    workers: BUS.workers().default(4).describe('Event handlers running at once.'),
    buffer_full_policy: BUS.bufferFullPolicy().default('wait').describe('What a full buffer does (`drop` is counted).'),
    sharded_pubsub: boolField()
      .default(true)
      .describe(
        '`redis_pubsub` on a Redis Cluster: sharded pub/sub (SPUBLISH/SSUBSCRIBE, Redis 7), a channel served by one master; pattern subscriptions are refused. false: classic PUBLISH, broadcast to every node. Same value on every service.',
      ),
    stream: section(
      {
        max_len: BUS.maxLen().default(100_000).describe('Approximate entries kept per channel (0 = no limit).'),
        max_age_seconds: BUS.maxAge().default(86_400).describe('Entries older than this are trimmed (0 = no limit).'),
        max_deliveries: BUS.maxDeliveries().default(5).describe('Deliveries before an event goes to the dead-letter stream.'),
        claim_idle_ms: BUS.claimIdleMs().default(30_000).describe('Pending entries idle this long are reclaimed.'),
        block_ms: BUS.blockMs().default(5000),
        read_count: BUS.readCount().default(100),
        dead_letter_max_len: BUS.deadLetterMaxLen().default(10_000),
        partitions: BUS.partitions()
          .default(1)
          .describe(
            'Streams per channel: N streams under their own hash tags (spread over the masters of a Cluster), picked by the partition key of a publish. Same value on every service.',
          ),
        channel_partitions: map(stringField(CHANNEL_NAME_PATTERN, 'a channel name from [A-Za-z0-9_.:/-]'), BUS.partitions()).describe(
          'Channel -> partitions, overriding `partitions` for those channels.',
        ),
        outbox: section(
          { enabled: boolField().default(true), max_size: BUS.outboxMaxSize().default(10_000) },
          'Backup producer: publishes held while Redis is unreachable.',
        ),
      },
      '`redis_stream` only.',
    ),
  },
  "The seed's `event_bus` section.",
);

const route = z
  .strictObject(
    {
      queue: ROUTE_FIELDS.queue().describe('Queue the task is published to.'),
      priority: ROUTE_FIELDS.priority().optional().describe('Default priority of tasks on this route.'),
      timeout_ms: ROUTE_FIELDS.timeoutMs().optional().describe('Per-attempt timeout of tasks on this route.'),
      max_retries: ROUTE_FIELDS.maxRetries().optional().describe("Retries of tasks on this route (default: the target queue's)."),
    },
    says('a mapping'),
  )
  .describe('A dispatcher route: where tasks of one type go.');

const taskDispatcher = section(
  {
    enabled: boolField().default(true),
    enable_routing: boolField().default(true).describe('false: every dispatch goes to the local queue.'),
    enable_callbacks: boolField().default(true).describe('false: `onCompleted`, `onFailed` and `webhookUrl` throw.'),
    reply_timeout_ms: timerMsField(1).default(30_000).describe('Default wait of a request/reply dispatch.'),
    status_retention_seconds: intField(1)
      .default(86_400)
      .describe("How long a finished task's once-marker is kept (no second result for a redelivery within it)."),
    routes: map(taskTypeField(), route).describe('Task type -> route.'),
  },
  "The seed's `task_dispatcher` section plus `routes`.",
);

/** The schema of the whole file. */
export const CONFIG_SCHEMA = z
  .strictObject(
    {
      service_name: stringField(/^[A-Za-z0-9_.-]{1,64}$/, 'a name of 1..64 characters from [A-Za-z0-9_.-]')
        .default('meeting-service')
        .describe('Name of the service: logs, Redis client names, event `source`, consumer groups, scheduler name, dispatcher origin.'),
      redis,
      message_queue: messageQueue,
      task_scheduler: taskScheduler,
      event_bus: eventBus,
      task_dispatcher: taskDispatcher,
      retention: section(
        {
          completed_count: QUEUE_FIELDS.completedCount().default(1000).describe('Completed results kept per queue (0 keeps none).'),
          completed_age_seconds: intField(1).default(3600).describe('... and for how long.'),
          dead_letter_max_size: QUEUE_FIELDS.deadLetterMaxSize().default(10_000).describe('Dead letters kept per queue.'),
          dead_letter_max_age_seconds: intField(1).default(7 * 86_400),
          idempotency_ttl_seconds: intField(1).default(86_400).describe('How long idempotency keys are remembered.'),
        },
        'How long queues keep results, dead letters and idempotency keys.',
      ),
      limits: section({
        max_payload_bytes: QUEUE_FIELDS.maxPayloadBytes()
          .default(1024 * 1024)
          .describe('Largest payload JSON.'),
        prefetch: QUEUE_FIELDS.prefetch().default(100).describe('Most messages a worker takes per fetch.'),
      }),
      metrics: section({
        enabled: boolField().default(true),
        prefix: stringField(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'a metric name prefix matching [a-zA-Z_:][a-zA-Z0-9_:]*').default('mq_'),
        default_metrics: boolField().default(true).describe('Node.js process metrics.'),
      }),
      health: section(
        {
          max_pending: intField(0).default(1000).describe('GET /health/queues reports a queue with more pending messages than this (503); not readiness.'),
          max_dead_letters: intField(0).default(100).describe('GET /health/queues reports a queue with more dead letters than this (503); not readiness.'),
          ping_timeout_ms: timerMsField(1).default(1000).describe('A Redis PING slower than this is a failure.'),
        },
        'Thresholds of GET /health/queues (not readiness) and the readiness ping timeout.',
      ),
    },
    says('a mapping'),
  )
  .describe('Configuration of a service built on @meeting/queue (config/config.yaml and its overlays).');
