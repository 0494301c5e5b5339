import { describeValue, QueueConfigError } from '../errors';
import { checkRedisBackendKeys, QueueDirectory, SERVICE_REDIS_BACKEND_KEYS, ServiceRedisBackend } from '../queue/queue-directory';
import type { TaskQueue } from '../queue/queue.types';
import { loggerFor, QueueLogger } from '../logger';
import { checkRedisClient } from '../redis/redis-connection';
import { boolField, checkKnownKeys, checkQueueName, intField, knownKeys, optionsAt, QUEUE_NAME_PATTERN, timerMsField } from '../util/fields';
import { validateRoutes } from './dispatch-prepare';
import type { RouteConfig, RoutingTable } from './dispatcher';
import { MemoryDispatcherStore, MemoryDispatchHub } from './memory/memory-dispatcher-store';
import { RedisDispatcherStore } from './redis/redis-dispatcher-store';
import { TaskDispatcher } from './task-dispatcher';
import type { WebhookOptions } from './webhook';

/** Where a dispatcher keeps statuses, results and replies. */
export type DispatcherBackend =
  /** `prefix` goes before the `{service}` hash tag of the dispatcher's keys (default `dsp`); `queuePrefix` is used for queues it opens (default `mq`). */
  | ({ type: 'redis'; prefix?: string; consumerName?: string } & ServiceRedisBackend)
  /** Dispatchers sharing a `hub` see each other's results and replies (one process). */
  | { type: 'memory'; hub?: MemoryDispatchHub };

export interface CreateDispatcherOptions {
  /** This service's name (`[A-Za-z0-9_.:-]`, 1..100): origin of its tasks and name of its results consumer group. */
  service: string;
  backend: DispatcherBackend;
  /** Task type -> target queue and defaults (seed: `task_dispatcher`). */
  routes?: RoutingTable;
  /** Default true. Off: every dispatch goes to the local queue (routes still give defaults). */
  routingEnabled?: boolean;
  /** Queue of this service: `handle()` consumes it, routing-disabled dispatches go to it (default: the service name). */
  localQueue?: string;
  /** Queues to use. On Redis, a queue not given is opened on demand on the same client; on memory every queue must be given. */
  queues?: TaskQueue[];
  /**
   * How long the once-marker of a finished task is kept (default 24 h): within it, a redelivered
   * task writes no second result. (The task's status is its queue message's, kept by the queue.)
   */
  statusRetentionMs?: number;
  /** Default wait of `dispatchAndWait` (default 30 000 ms). */
  replyTimeoutMs?: number;
  /** Approximate length the results stream is trimmed to (default 10 000). */
  resultsMaxLen?: number;
  /** Results read by a dead instance are taken over after this (default 30 000 ms). */
  claimIdleMs?: number;
  /** Longest blocking read of results and replies (default 5000 ms). */
  blockMs?: number;
  /** Delivery of webhooks: `{ attempts, backoffMs, timeoutMs, secret? }` (docs/dispatcher.md, "Results, callbacks and webhooks"). */
  webhook?: Partial<WebhookOptions>;
  /** Where the dispatcher (and the queues it opens) log (default: a console logger); lines are tagged `Dispatcher:<service>`. */
  logger?: QueueLogger;
}

const DISPATCHER_KEYS = knownKeys<CreateDispatcherOptions>({
  service: true,
  backend: true,
  routes: true,
  routingEnabled: true,
  localQueue: true,
  queues: true,
  statusRetentionMs: true,
  replyTimeoutMs: true,
  resultsMaxLen: true,
  claimIdleMs: true,
  blockMs: true,
  webhook: true,
  logger: true,
});
const REDIS_BACKEND_KEYS = knownKeys<Extract<DispatcherBackend, { type: 'redis' }>>({
  ...SERVICE_REDIS_BACKEND_KEYS,
  type: true,
  prefix: true,
  consumerName: true,
});
const MEMORY_BACKEND_KEYS = knownKeys<Extract<DispatcherBackend, { type: 'memory' }>>({ type: true, hub: true });
const WEBHOOK_KEYS = knownKeys<WebhookOptions>({ attempts: true, backoffMs: true, timeoutMs: true, secret: true });
const ROUTE_KEYS = knownKeys<RouteConfig>({ queue: true, priority: true, timeoutMs: true, maxRetries: true });
const SECRET_EXPECTED = 'a string of at least 16 characters, or whsec_ and the base64 of at least 16 bytes';

/**
 * The webhook signing secret, or undefined: refused at `dispatcher.webhook.secret` without showing
 * it (a secret goes in no message or log, not even a refused one).
 */
function webhookSecret(secret: unknown): string | undefined {
  if (secret === undefined) return undefined;
  if (typeof secret !== 'string') throw new QueueConfigError('dispatcher.webhook.secret', secret, SECRET_EXPECTED);
  const key = secret.startsWith('whsec_') ? secret.slice(6) : undefined;
  const usable =
    key === undefined ? secret.length >= 16 : /^[A-Za-z0-9+/]+={0,2}$/.test(key) && key.length % 4 === 0 && Buffer.from(key, 'base64').length >= 16;
  if (!usable) throw new QueueConfigError('dispatcher.webhook.secret', `(${secret.length} characters, not shown)`, SECRET_EXPECTED);
  return secret;
}

/** Refuses an unknown key of a route (`dispatcher.routes.<type>.<key>`); the routes passed `validateRoutes`, so each is an object. */
function checkRouteKeys(routes: RoutingTable | undefined): void {
  for (const [type, route] of Object.entries(routes ?? {})) checkKnownKeys(route, ROUTE_KEYS, `dispatcher.routes.${type}`);
}

/**
 * Creates a dispatcher on Redis or in memory (same semantics): a {@link Dispatcher} plus `start()`.
 * @throws QueueConfigError naming the invalid option, or an unknown one (`dispatcher.<key>`,
 * `dispatcher.backend.<key>`, `dispatcher.webhook.<key>`, `dispatcher.routes.<type>.<key>`).
 */
export function createDispatcher(options: CreateDispatcherOptions): TaskDispatcher {
  if (!options || typeof options !== 'object') throw new QueueConfigError('dispatcher', options, 'an options object');
  checkKnownKeys(options, DISPATCHER_KEYS, 'dispatcher');
  const { service } = options;
  if (typeof service !== 'string' || !QUEUE_NAME_PATTERN.test(service)) {
    throw new QueueConfigError('dispatcher.service', service, 'a service name of 1..100 characters from [A-Za-z0-9_.:-]');
  }
  // durations some timer waits are timerMsFields: Node fires a timer longer than 2^31 - 1 ms after 1 ms
  const opt = optionsAt('dispatcher');
  const routes = validateRoutes(options.routes);
  checkRouteKeys(options.routes);
  const routingEnabled = opt('routingEnabled', boolField().default(true), options.routingEnabled);
  const localQueue = checkQueueName(options.localQueue ?? service, 'dispatcher.localQueue');
  const retentionMs = opt('statusRetentionMs', intField(1000).default(86_400_000), options.statusRetentionMs);
  const resultsMaxLen = opt('resultsMaxLen', intField(1).default(10_000), options.resultsMaxLen);
  const claimIdleMs = opt('claimIdleMs', timerMsField(100).default(30_000), options.claimIdleMs);
  const w = options.webhook ?? {};
  checkKnownKeys(w, WEBHOOK_KEYS, 'dispatcher.webhook');
  const webhook: WebhookOptions = {
    attempts: opt('webhook.attempts', intField(1).default(5), w.attempts),
    backoffMs: opt('webhook.backoffMs', timerMsField(0).default(200), w.backoffMs),
    timeoutMs: opt('webhook.timeoutMs', timerMsField(1).default(5000), w.timeoutMs),
    secret: webhookSecret(w.secret),
  };
  const backend = options.backend;
  let store: RedisDispatcherStore | MemoryDispatcherStore;
  let queues: QueueDirectory;
  if (backend?.type === 'redis') {
    checkRedisBackendKeys(backend, REDIS_BACKEND_KEYS, 'dispatcher.backend');
    checkRedisClient(backend.client, 'dispatcher.backend.client');
    store = new RedisDispatcherStore({
      client: backend.client,
      prefix: backend.prefix ?? 'dsp',
      service,
      retentionMs,
      resultsMaxLen,
      claimIdleMs,
      consumerName: backend.consumerName,
      durability: backend.durability,
      onDurabilityTimeout: backend.onDurabilityTimeout ?? ((error) => loggerFor(`Dispatcher:${service}`, options.logger).warn(error.message)),
      onBadReply: (key, raw) =>
        loggerFor(`Dispatcher:${service}`, options.logger).error(`reply on ${key} is not a reply record (dropped): ${describeValue(raw)}`),
    });
    queues = new QueueDirectory(options.queues, 'dispatcher', backend, options.logger);
  } else if (backend?.type === 'memory') {
    checkKnownKeys(backend, MEMORY_BACKEND_KEYS, 'dispatcher.backend');
    store = new MemoryDispatcherStore(backend.hub ?? new MemoryDispatchHub(), service, retentionMs, resultsMaxLen);
    queues = new QueueDirectory(options.queues, 'dispatcher');
  } else {
    throw new QueueConfigError('dispatcher.backend.type', (backend as { type?: unknown })?.type, '"redis" or "memory"');
  }
  return new TaskDispatcher(store, {
    service,
    routes,
    routingEnabled,
    localQueue,
    replyTimeoutMs: opt('replyTimeoutMs', timerMsField(1).default(30_000), options.replyTimeoutMs),
    blockMs: opt('blockMs', timerMsField(10).default(5000), options.blockMs),
    webhook,
    resolveQueue: (name) => queues.get(name, 'dispatch.queue'),
    knowsQueue: (name) => name === localQueue || queues.isGiven(name) || Object.values(routes).some((r) => r.queue === name),
    closeOwnedQueues: () => queues.closeOwned(),
    logger: options.logger,
  });
}
