import { randomUUID } from 'crypto';
import { CronExpressionParser } from 'cron-parser';
import { InvalidOptionError } from '../errors';
import { publishInteger } from '../queue/publish-validation';
import { PRIORITIES, Priority } from '../queue/queue.types';
import { checkOption, checkTaskType, enumField, QUEUE_NAME_PATTERN } from '../util/fields';
import { checkJsonValue } from '../util/json';
import type { MissedPolicy, ScheduledTask, ScheduleWhen } from './scheduler';

/** A recurring task as stored (JSON) by every backend. */
export interface RecurringDefinition {
  key: string;
  task: ScheduledTask & { queue: string };
  when: { cron: string; tz: string } | { everyMs: number };
  missed: MissedPolicy;
  /** Interval tasks run at `anchor + k * everyMs`. */
  anchor: number;
  /** Identifies the timing: an update with the same signature keeps the next run. */
  sig: string;
  createdAt: number;
  updatedAt: number;
}

export type ParsedWhen =
  | { kind: 'once'; dueAt: number }
  | { kind: 'recurring'; key: string; when: RecurringDefinition['when']; missed: MissedPolicy; sig: string };

/** The facts about scheduler options that the YAML `task_scheduler` section shares. */
export const SCHEDULER_FIELDS = {
  missedPolicy: () => enumField(['skip', 'run_once']),
};

export const RECURRING_KEY_PATTERN = /^[A-Za-z0-9_.:/-]{1,150}$/;
const YEAR = 365 * 86_400_000;

/**
 * Checks a task; fills the default queue. Throws {@link InvalidOptionError} naming the option, or the
 * place in the payload that JSON would change or cannot write (`schedule.task.payload.stats.avg`:
 * see util/json.ts), so such a task is refused by `schedule`, not when it fires.
 */
export function validateTask(task: ScheduledTask, defaultQueue: string | undefined): ScheduledTask & { queue: string } {
  if (task === null || typeof task !== 'object') throw new InvalidOptionError('schedule.task', task, 'a task object');
  checkTaskType(task.type, 'schedule.task.type');
  const queue = task.queue ?? defaultQueue;
  if (typeof queue !== 'string' || !QUEUE_NAME_PATTERN.test(queue)) {
    throw new InvalidOptionError('schedule.task.queue', queue, 'a queue name (or a scheduler defaultQueue)');
  }
  if (task.priority !== undefined && !PRIORITIES.includes(task.priority as Priority)) {
    throw new InvalidOptionError('schedule.task.priority', task.priority, `one of ${PRIORITIES.join(', ')}`);
  }
  // the bounds of a publish: a task the queue would refuse is refused now, not at every occurrence
  for (const key of ['maxRetries', 'timeoutMs'] as const) publishInteger(key, task[key], `schedule.task.${key}`);
  checkJsonValue(task.payload ?? null, 'schedule.task.payload');
  const out: ScheduledTask & { queue: string } = { type: task.type, payload: task.payload ?? null, queue };
  if (task.priority !== undefined) out.priority = task.priority;
  if (task.maxRetries !== undefined) out.maxRetries = task.maxRetries;
  if (task.timeoutMs !== undefined) out.timeoutMs = task.timeoutMs;
  return out;
}

/** Checks `when`; throws {@link InvalidOptionError} naming the option. */
export function parseWhen(when: ScheduleWhen, now: number, defaultMissed: MissedPolicy): ParsedWhen {
  if (when === null || typeof when !== 'object') throw new InvalidOptionError('schedule.when', when, '{ delayMs }, { at }, { cron, tz? } or { everyMs }');
  const w = when as Record<string, unknown>;
  const forms = ['delayMs', 'at', 'cron', 'everyMs'].filter((k) => w[k] !== undefined);
  if (forms.length !== 1) throw new InvalidOptionError('schedule.when', forms.join(', ') || 'nothing', 'exactly one of delayMs, at, cron, everyMs');
  if (w.delayMs !== undefined) {
    const d = w.delayMs;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > YEAR)
      throw new InvalidOptionError('schedule.when.delayMs', d, 'an integer in [0, 1 year]');
    return { kind: 'once', dueAt: now + d };
  }
  if (w.at !== undefined) {
    const at = w.at instanceof Date ? w.at.getTime() : w.at;
    if (typeof at !== 'number' || !Number.isFinite(at) || at > now + YEAR)
      throw new InvalidOptionError('schedule.when.at', w.at, 'a Date or epoch ms within a year');
    return { kind: 'once', dueAt: Math.max(now, Math.round(at)) };
  }
  const key = w.key === undefined ? randomUUID() : w.key;
  if (typeof key !== 'string' || !RECURRING_KEY_PATTERN.test(key)) {
    throw new InvalidOptionError('schedule.when.key', key, 'a key of 1..150 characters from [A-Za-z0-9_.:/-]');
  }
  const missed: MissedPolicy = checkOption(SCHEDULER_FIELDS.missedPolicy(), w.missed ?? defaultMissed, 'schedule.when.missed', InvalidOptionError);
  if (w.everyMs !== undefined) {
    const e = w.everyMs;
    if (typeof e !== 'number' || !Number.isInteger(e) || e < 10 || e > YEAR)
      throw new InvalidOptionError('schedule.when.everyMs', e, 'an integer in [10, 1 year]');
    return { kind: 'recurring', key, when: { everyMs: e }, missed, sig: `every:${e}` };
  }
  const cron = w.cron;
  const tz = w.tz ?? 'UTC';
  if (typeof tz !== 'string' || !isTimeZone(tz)) throw new InvalidOptionError('schedule.when.tz', tz, 'an IANA time zone such as "Europe/Berlin"');
  if (typeof cron !== 'string') throw new InvalidOptionError('schedule.when.cron', cron, 'a cron expression');
  try {
    CronExpressionParser.parse(cron, { tz, currentDate: new Date(now) }).next();
  } catch (error) {
    throw new InvalidOptionError('schedule.when.cron', cron, `a valid cron expression (${(error as Error).message})`);
  }
  return { kind: 'recurring', key, when: { cron, tz }, missed, sig: `cron:${tz}:${cron}` };
}

/** First occurrence strictly after `after` (ms). */
export function nextOccurrence(def: Pick<RecurringDefinition, 'when' | 'anchor'>, after: number): number {
  if ('everyMs' in def.when) {
    const every = def.when.everyMs;
    if (after < def.anchor) return def.anchor;
    return def.anchor + (Math.floor((after - def.anchor) / every) + 1) * every;
  }
  const expr = CronExpressionParser.parse(def.when.cron, { tz: def.when.tz, currentDate: new Date(after) });
  return expr.next().getTime();
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** `once:<queue>:<messageId>` / `recurring:<key>` ids. */
export function onceId(queue: string, messageId: string): string {
  return `once:${queue}:${messageId}`;
}

export function parseId(id: string): { kind: 'once'; queue: string; messageId: string } | { kind: 'recurring'; key: string } | null {
  if (typeof id !== 'string') return null;
  if (id.startsWith('recurring:')) return { kind: 'recurring', key: id.slice('recurring:'.length) };
  if (id.startsWith('once:')) {
    const rest = id.slice(5);
    const cut = rest.lastIndexOf(':');
    if (cut <= 0 || cut === rest.length - 1) return null;
    return { kind: 'once', queue: rest.slice(0, cut), messageId: rest.slice(cut + 1) };
  }
  return null;
}

/**
 * A stored recurring definition, checked: the definition, or why it cannot be used (not JSON,
 * a field missing or of the wrong kind, a timing that gives no next run). Never throws.
 */
export function readDefinition(json: string | null): RecurringDefinition | string {
  if (json === null) return 'the definition is missing';
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return 'the definition is not JSON';
  }
  if (value === null || typeof value !== 'object') return 'the definition is not an object';
  const def = value as Partial<RecurringDefinition>;
  if (typeof def.key !== 'string') return 'the definition has no key';
  try {
    validateTask(def.task as ScheduledTask, undefined);
  } catch (error) {
    return `the task is not valid: ${(error as Error).message}`;
  }
  const when = def.when as Record<string, unknown> | undefined;
  const timed = when && (typeof when.cron === 'string' || (typeof when.everyMs === 'number' && when.everyMs > 0));
  if (!timed || typeof def.anchor !== 'number') return 'the definition has no usable timing (when.cron, or when.everyMs with anchor)';
  try {
    const next = nextOccurrence(def as RecurringDefinition, Date.now());
    if (!Number.isFinite(next)) return 'the timing gives no next run';
  } catch (error) {
    return `the timing gives no next run: ${(error as Error).message}`;
  }
  return def as RecurringDefinition;
}
