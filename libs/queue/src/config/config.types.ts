import type { Priority } from '../queue/queue.types';

/**
 * The resolved configuration (after defaults, interpolation and validation). Key names are the
 * YAML keys; the four seed sections keep the seed's names and units (`visibility_timeout` in
 * seconds, `poll_interval` in milliseconds). New keys carry their unit in the name.
 */
export interface QueueAppConfig {
  /** Name of the service, used in logs, the Redis client name and the `service` metric label (default `meeting-service`). */
  service_name: string;
  redis: RedisSection;
  message_queue: MessageQueueSection;
  task_scheduler: TaskSchedulerSection;
  event_bus: EventBusSection;
  task_dispatcher: TaskDispatcherSection;
  retention: RetentionSection;
  limits: LimitsSection;
  metrics: MetricsSection;
  health: HealthSection;
}

export interface RedisNode {
  host: string;
  port: number;
}

/** Where Redis is: `url`, or `host`/`port`/`db`, or `sentinels` + `sentinel_name`, or `cluster_nodes`. */
export interface RedisSection {
  /** `redis://[user:password@]host:port[/db]`, `rediss://` for TLS. Set by `REDIS_URL` when that is in the environment. */
  url?: string;
  /** Default 127.0.0.1. */
  host: string;
  /** Default 6379. */
  port: number;
  /** Default 0. */
  db: number;
  username?: string;
  password?: string;
  /** Default false. */
  tls: boolean;
  sentinels: RedisNode[];
  sentinel_name?: string;
  cluster_nodes: RedisNode[];
  /** Prefix of every key, before the `{queue}` hash tag (default `mq`). */
  key_prefix: string;
  /** Command connections shared by all queues (round robin; default 1, at most 16). */
  pool: { size: number };
  /** Give up connecting after this long (default 10 000 ms); also the start-up wait for Redis. */
  connect_timeout_ms: number;
}

/** Per-queue overrides of the `message_queue` defaults. */
export interface QueueOverrides {
  workers?: number;
  visibility_timeout?: number;
  max_retries?: number;
  default_timeout_ms?: number;
  enable_dead_letter_queue?: boolean;
  scheduling?: 'strict' | 'weighted';
}

/** The seed's `message_queue` section plus the knobs the priority queue has. */
export interface MessageQueueSection {
  /** Default true. */
  enabled: boolean;
  /** `redis` (default) or `memory` (one process, nothing persisted: tests and development). */
  type: 'redis' | 'memory';
  /** Name of the default queue (default `meeting_system`). */
  queue_name: string;
  /** Handlers running at once per task type and process (default 4). */
  workers: number;
  /** Lease length in seconds (default 30). */
  visibility_timeout: number;
  /** The seed's polling interval in ms: accepted and validated for compatibility, with no effect (workers do not poll: they block and are woken by new work; see `idle_block_ms`). */
  poll_interval: number;
  /** Longest an idle worker blocks, in ms, before it re-checks expired leases and due delayed messages (default 30 000; capped at the visibility timeout). */
  idle_block_ms: number;
  /** Default 3. */
  max_retries: number;
  /** Default true; false drops messages that failed for good (they are counted). */
  enable_dead_letter_queue: boolean;
  /** Per-attempt timeout, 0 = none (default 0). */
  default_timeout_ms: number;
  retry_backoff: { base_ms: number; factor: number; max_ms: number; jitter: number };
  /** `strict` (default: always the highest non-empty tier) or `weighted`. */
  scheduling: 'strict' | 'weighted';
  /** Tier weights for `weighted` (default 8/4/2/1). */
  weights: Record<Priority, number>;
  /** Longest a publish waits for Redis before PublishTimeoutError, in ms (default 10 000; 0 = no bound). */
  publish_timeout_ms: number;
  /** Backup producer (Redis): publishes wait in a bounded in-process outbox while Redis is unreachable (default off, 10 000). */
  outbox: { enabled: boolean; max_size: number };
  /** Further named queues, each with overrides of the values above. */
  queues: Record<string, QueueOverrides>;
}

/** The seed's `task_scheduler` section. */
export interface TaskSchedulerSection {
  /** Default true. */
  enabled: boolean;
  /** Seed key, accepted and validated; the scheduler has no buffer of its own (tasks wait in the queue). */
  buffer_size: number;
  /** Seed key, accepted and validated; scheduled tasks run on the queue's workers (`message_queue.workers`). */
  workers: number;
  /** Default true; false makes `QueueManager.scheduleTask` refuse one-off delayed tasks (`delayMs`, `at`). */
  enable_delayed_tasks: boolean;
  /** Recurring occurrences missed while no scheduler ran: `skip` (default) or `run_once`. */
  missed_policy: 'skip' | 'run_once';
}

/** The seed's `event_bus` section. */
export interface EventBusSection {
  enabled: boolean;
  /** `redis_pubsub` (default), `redis_stream` or `local`. */
  type: 'redis_pubsub' | 'redis_stream' | 'local';
  /** Events buffered before handlers run (default 1000). */
  buffer_size: number;
  /** Event handlers running at once (default 4). */
  workers: number;
  /** Full buffer: `wait` (default) or `drop` (counted). */
  buffer_full_policy: 'wait' | 'drop';
  /** `redis_stream` only. */
  stream: {
    /** Approximate entries kept per channel (default 100 000; 0 = no limit). */
    max_len: number;
    /** Entries older than this are trimmed (default 86 400 s; 0 = no limit). */
    max_age_seconds: number;
    /** Deliveries before an event goes to the dead-letter stream (default 5). */
    max_deliveries: number;
    /** Pending entries idle this long are reclaimed (default 30 000 ms). */
    claim_idle_ms: number;
    block_ms: number;
    read_count: number;
    dead_letter_max_len: number;
    /** Backup producer: publishes held while Redis is unreachable (default on, 10 000 events). */
    outbox: { enabled: boolean; max_size: number };
  };
}

/** A dispatcher route: where tasks of one type go. */
export interface DispatchRoute {
  /** Queue the task is published to. */
  queue: string;
  /** Default priority of tasks on this route. */
  priority?: Priority;
  /** Per-attempt timeout of tasks on this route. */
  timeout_ms?: number;
  /** Retries of tasks on this route (default: the target queue's). */
  max_retries?: number;
}

/** The seed's `task_dispatcher` section plus `routes` (task type -> route). */
export interface TaskDispatcherSection {
  enabled: boolean;
  enable_routing: boolean;
  enable_callbacks: boolean;
  /** Default wait of a request/reply dispatch (default 30 000 ms). */
  reply_timeout_ms: number;
  /** How long task statuses are kept after their last change (default 86 400 s). */
  status_retention_seconds: number;
  routes: Record<string, DispatchRoute>;
}

export interface RetentionSection {
  /** Completed results kept per queue (default 1000; 0 keeps none). */
  completed_count: number;
  /** ... and for how long (default 3600 s). */
  completed_age_seconds: number;
  /** Dead letters kept per queue (default 10 000). */
  dead_letter_max_size: number;
  /** Default 7 days. */
  dead_letter_max_age_seconds: number;
  /** How long idempotency keys are remembered (default 86 400 s). */
  idempotency_ttl_seconds: number;
}

export interface LimitsSection {
  /** Largest payload JSON (default 1 MiB). */
  max_payload_bytes: number;
  /** Most messages a worker takes per fetch (default 100). */
  prefetch: number;
}

export interface MetricsSection {
  /** Default true. */
  enabled: boolean;
  /** Prefix of the library's metric names (default `mq_`). */
  prefix: string;
  /** Node.js process metrics (default true). */
  default_metrics: boolean;
}

/** Readiness thresholds (the outbound-queue note's alert values are the defaults). */
export interface HealthSection {
  /** GET /health/queues fails when a queue has more pending messages than this (default 1000); not readiness. */
  max_pending: number;
  /** GET /health/queues fails when a queue has more dead letters than this (default 100); not readiness. */
  max_dead_letters: number;
  /** A Redis PING slower than this is a failure (default 1000 ms). */
  ping_timeout_ms: number;
}

/** What `QueueManager.create` and `parseConfig` accept: any subset, in YAML shape. */
export type QueueAppConfigInput = { [K in keyof QueueAppConfig]?: unknown } & Record<string, unknown>;
