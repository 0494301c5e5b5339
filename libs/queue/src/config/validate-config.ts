import { QueueConfigError } from '../errors';
import { CONFIG_SCHEMA } from './config-schema';
import type { QueueAppConfig } from './config.types';
import { collectProblems, prepareInput } from './schema';

/*
 * The validation of a configuration tree against {@link CONFIG_SCHEMA}: zod's checks and defaults,
 * then the rules that involve more than one key. Apart from the schema, so that the schema stays
 * the one fact the types (`config.types.ts`) are derived from.
 */

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
      if (!queues.has(route.queue)) {
        problems.push(
          new QueueConfigError(
            `task_dispatcher.routes.${type}.queue`,
            route.queue,
            `a queue of message_queue (queue_name or a key of message_queue.queues: ${[...queues].join(', ')})`,
          ),
        );
      }
    }
  }
}

/** Validates and fills defaults. Pushes every problem; the result is only meaningful when there are none. */
export function validateConfig(raw: unknown, problems: QueueConfigError[]): QueueAppConfig {
  const input = prepareInput(CONFIG_SCHEMA, raw);
  const result = CONFIG_SCHEMA.safeParse(input);
  if (!result.success) {
    problems.push(...collectProblems(CONFIG_SCHEMA, input, result.error.issues));
    return {} as QueueAppConfig;
  }
  if (problems.length === 0) crossChecks(result.data, problems);
  return result.data;
}
