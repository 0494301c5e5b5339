import { InvalidOptionError, QueueConfigError } from '../errors';
import { publishInteger } from '../queue/publish-validation';
import { QUEUE_FIELDS } from '../queue/queue-options';
import { PRIORITIES, PublishOptions } from '../queue/queue.types';
import { checkJsonValue, markJsonChecked } from '../util/json';
import {
  callOptions,
  checkOption,
  checkTaskType,
  enumField,
  GROUP_EXPECTED,
  GROUP_PATTERN,
  QUEUE_NAME_PATTERN,
  knownKeys,
  queueNameField,
  taskTypeField,
} from '../util/fields';
import type { DispatchOptions, RouteConfig, RoutingTable } from './dispatcher';
import { UnknownRouteError } from './dispatcher-errors';
import { isHttpUrl } from './webhook';

/** Longest `webhookUrl` a dispatch accepts (it travels in the task's message). */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

/**
 * The queue payload of a dispatched task: the caller's payload plus where its outcome goes. It is
 * the whole dispatch record: the publish is the dispatch's only write, and the task id is
 * `<queue>:<message id>` (see {@link taskIdOf}).
 */
export interface TaskEnvelope {
  $dispatch: 1;
  /** Task id, only in messages published before task ids were message ids (still honoured). */
  t?: string;
  /** Origin service. */
  o: string;
  /** Reply address of a waiting caller instance. */
  r?: string;
  /** Webhook URL. */
  h?: string;
  /** Progress wanted: bit 1 by the origin's `onProgress` callbacks (results), bit 2 by the waiting caller (reply list). */
  g?: number;
  /** The caller's payload. */
  p: unknown;
}

export function asEnvelope(payload: unknown): TaskEnvelope | null {
  if (payload === null || typeof payload !== 'object') return null;
  const e = payload as Partial<TaskEnvelope>;
  return e.$dispatch === 1 && (e.t === undefined || typeof e.t === 'string') && typeof e.o === 'string' ? (e as TaskEnvelope) : null;
}

/** The id of the task carried by message `messageId` of queue `queue`: `<queue>:<messageId>`. */
export function taskIdOf(queue: string, messageId: string): string {
  return `${queue}:${messageId}`;
}

/** `<queue>:<messageId>` -> its parts (the queue name may hold ':', a message id does not); null when not a task id. */
export function parseTaskId(taskId: string): { queue: string; messageId: string } | null {
  const at = taskId.lastIndexOf(':');
  if (at <= 0 || at === taskId.length - 1) return null;
  const queue = taskId.slice(0, at);
  return QUEUE_NAME_PATTERN.test(queue) ? { queue, messageId: taskId.slice(at + 1) } : null;
}

export interface PreparedDispatch {
  type: string;
  queue: string;
  publish: PublishOptions;
}

const OPTION_KEYS = knownKeys<DispatchOptions>({ priority: true, timeoutMs: true, maxRetries: true, delayMs: true, webhookUrl: true, group: true });

/**
 * Resolves the route and checks the options and the payload; throws {@link UnknownRouteError} or
 * {@link InvalidOptionError} naming the option, or the place in the payload that JSON would change
 * or cannot write (`dispatch.payload.stats.avg`, `dispatchBatch[2].payload.items[0]`: see util/json.ts).
 */
export function prepareDispatch(
  path: string,
  type: string,
  payload: unknown,
  options: DispatchOptions | undefined,
  ctx: { service: string; routes: RoutingTable; routingEnabled: boolean; localQueue: string; replyTo?: string; progress?: number },
): PreparedDispatch {
  checkTaskType(type, `${path}.type`);
  const route: RouteConfig | undefined = Object.prototype.hasOwnProperty.call(ctx.routes, type) ? ctx.routes[type] : undefined;
  if (ctx.routingEnabled && !route) throw new UnknownRouteError(type, Object.keys(ctx.routes));
  const o = callOptions(options, OPTION_KEYS, `${path}.options`) as DispatchOptions;
  const hook = o.webhookUrl;
  if (hook !== undefined && (typeof hook !== 'string' || hook.length > MAX_WEBHOOK_URL_LENGTH || !/^https?:\/\/\S+$/.test(hook) || !isHttpUrl(hook))) {
    throw new InvalidOptionError(`${path}.options.webhookUrl`, hook, `an http:// or https:// URL of at most ${MAX_WEBHOOK_URL_LENGTH} characters`);
  }
  if (o.priority !== undefined && !PRIORITIES.includes(o.priority)) {
    throw new InvalidOptionError(`${path}.options.priority`, o.priority, `one of ${PRIORITIES.join(', ')}`);
  }
  if (o.group !== undefined && (typeof o.group !== 'string' || !GROUP_PATTERN.test(o.group))) {
    throw new InvalidOptionError(`${path}.options.group`, o.group, GROUP_EXPECTED);
  }
  for (const key of ['timeoutMs', 'maxRetries', 'delayMs'] as const) publishInteger(key, o[key], `${path}.options.${key}`);
  // refused here under the dispatcher's name (`dispatch.payload.x`), before any queue of a batch is
  // written; the queue's publish then writes the marked envelope without walking it again
  checkJsonValue(payload === undefined ? null : payload, () => `${path}.payload`);
  const envelope: TaskEnvelope = markJsonChecked({ $dispatch: 1, o: ctx.service, p: payload === undefined ? null : payload });
  if (ctx.replyTo) envelope.r = ctx.replyTo;
  if (hook) envelope.h = hook;
  if (ctx.progress) envelope.g = ctx.progress;
  const queue = ctx.routingEnabled ? route!.queue : ctx.localQueue;
  return {
    type,
    queue,
    publish: {
      type,
      payload: envelope,
      priority: o.priority ?? route?.priority,
      timeoutMs: o.timeoutMs ?? route?.timeoutMs,
      maxRetries: o.maxRetries ?? route?.maxRetries,
      delayMs: o.delayMs,
      ...(o.group !== undefined ? { group: o.group } : {}),
    },
  };
}

/** The facts about a route that the YAML `task_dispatcher.routes` shares. */
export const ROUTE_FIELDS = {
  queue: queueNameField,
  priority: () => enumField(PRIORITIES),
  timeoutMs: QUEUE_FIELDS.defaultTimeoutMs,
  maxRetries: QUEUE_FIELDS.maxRetries,
};

/** Validates a routing table from config; throws {@link QueueConfigError} naming the key. */
export function validateRoutes(routes: unknown, path = 'dispatcher.routes'): RoutingTable {
  if (routes === undefined) return {};
  if (routes === null || typeof routes !== 'object' || Array.isArray(routes)) throw new QueueConfigError(path, routes, 'an object of task type -> route');
  const out: RoutingTable = {};
  for (const [type, raw] of Object.entries(routes as Record<string, unknown>)) {
    const p = `${path}.${type}`;
    checkOption(taskTypeField(), type, p);
    if (raw === null || typeof raw !== 'object') throw new QueueConfigError(p, raw, '{ queue, priority?, timeoutMs?, maxRetries? }');
    const r = raw as Record<string, unknown>;
    out[type] = {
      queue: checkOption(ROUTE_FIELDS.queue(), r.queue, `${p}.queue`),
      priority: checkOption(ROUTE_FIELDS.priority().optional(), r.priority, `${p}.priority`),
      timeoutMs: checkOption(ROUTE_FIELDS.timeoutMs().optional(), r.timeoutMs, `${p}.timeoutMs`),
      maxRetries: checkOption(ROUTE_FIELDS.maxRetries().optional(), r.maxRetries, `${p}.maxRetries`),
    };
  }
  return out;
}
