import type { QueueAppConfig } from '../config/config.types';
import type { QueueOptions } from '../queue/queue-options';

/** Queue options for queue `name` from `message_queue` (its defaults and `queues.<name>` overrides), `retention` and `limits`. */
export function queueOptionsFromConfig(config: QueueAppConfig, name: string): QueueOptions {
  const mq = config.message_queue;
  const o = mq.queues[name] ?? {};
  const r = config.retention;
  const scheduling = o.scheduling ?? mq.scheduling;
  return {
    name,
    concurrency: o.workers ?? mq.workers,
    visibilityTimeoutMs: Math.round((o.visibility_timeout ?? mq.visibility_timeout) * 1000),
    maxRetries: o.max_retries ?? mq.max_retries,
    backoff: { baseMs: mq.retry_backoff.base_ms, factor: mq.retry_backoff.factor, maxMs: mq.retry_backoff.max_ms, jitter: mq.retry_backoff.jitter },
    defaultTimeoutMs: o.default_timeout_ms ?? mq.default_timeout_ms,
    maxPayloadBytes: config.limits.max_payload_bytes,
    scheduling: scheduling === 'weighted' ? { mode: 'weighted', weights: mq.weights } : { mode: 'strict' },
    deadLetter: {
      enabled: o.enable_dead_letter_queue ?? mq.enable_dead_letter_queue,
      maxSize: r.dead_letter_max_size,
      maxAgeMs: r.dead_letter_max_age_seconds * 1000,
    },
    completedRetention: { count: r.completed_count, ageMs: r.completed_age_seconds * 1000 },
    idempotencyTtlMs: r.idempotency_ttl_seconds * 1000,
    prefetch: config.limits.prefetch,
    idleBlockMs: mq.idle_block_ms,
    publishTimeoutMs: mq.publish_timeout_ms,
    outbox: { enabled: mq.outbox.enabled, maxSize: mq.outbox.max_size },
    durability: {
      replicas: o.durability?.replicas ?? mq.durability.replicas,
      timeoutMs: o.durability?.timeout_ms ?? mq.durability.timeout_ms,
    },
    partitions: o.partitions ?? mq.partitions,
    ...(o.rate_limit ? { rateLimit: { max: o.rate_limit.max, perMs: o.rate_limit.per_ms } } : {}),
    ...(o.group_concurrency !== undefined ? { groupConcurrency: o.group_concurrency } : {}),
    ...(o.rate_limits ? { rateLimits: Object.fromEntries(Object.entries(o.rate_limits).map(([type, l]) => [type, { max: l.max, perMs: l.per_ms }])) } : {}),
  };
}
