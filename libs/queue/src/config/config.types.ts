import type { z } from 'zod';
import type { CONFIG_SCHEMA } from './config-schema';

/**
 * The resolved configuration (after defaults, interpolation and validation), derived from the one
 * schema {@link CONFIG_SCHEMA} (`config-schema.ts`, where every key is described). Key names are
 * the YAML keys; the four seed sections keep the seed's names and units (`visibility_timeout` in
 * seconds, `poll_interval` in milliseconds). New keys carry their unit in the name.
 */
export type QueueAppConfig = z.output<typeof CONFIG_SCHEMA>;

/** Where Redis is: `url`, or `host`/`port`/`db`, or `sentinels` + `sentinel_name`, or `cluster_nodes`. */
export type RedisSection = QueueAppConfig['redis'];
export type RedisNode = RedisSection['sentinels'][number];
/** The seed's `message_queue` section plus the knobs the priority queue has. */
export type MessageQueueSection = QueueAppConfig['message_queue'];
/** Per-queue overrides of the `message_queue` defaults. */
export type QueueOverrides = MessageQueueSection['queues'][string];
/** The seed's `task_scheduler` section. */
export type TaskSchedulerSection = QueueAppConfig['task_scheduler'];
/** The seed's `event_bus` section. */
export type EventBusSection = QueueAppConfig['event_bus'];
/** The seed's `task_dispatcher` section plus `routes` (task type -> route). */
export type TaskDispatcherSection = QueueAppConfig['task_dispatcher'];
/** A dispatcher route: where tasks of one type go. */
export type DispatchRoute = TaskDispatcherSection['routes'][string];
export type RetentionSection = QueueAppConfig['retention'];
export type LimitsSection = QueueAppConfig['limits'];
export type MetricsSection = QueueAppConfig['metrics'];
/** Thresholds of GET /health/queues (not readiness) and the readiness ping timeout. */
export type HealthSection = QueueAppConfig['health'];

/** What `QueueManager.create` and `parseConfig` accept: any subset, in YAML shape. */
export type QueueAppConfigInput = { [K in keyof QueueAppConfig]?: unknown } & Record<string, unknown>;
