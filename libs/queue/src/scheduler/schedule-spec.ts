import { randomUUID } from 'crypto';
import { CronExpressionParser } from 'cron-parser';
import { InvalidOptionError } from '../errors';
import { publishInteger } from '../queue/publish-validation';
import { PRIORITIES, Priority } from '../queue/queue.types';
import { checkKnownKeys, checkOption, checkTaskType, enumField, knownKeys, QUEUE_NAME_PATTERN } from '../util/fields';
import { checkJsonValue } from '../util/json';
import { withGapOccurrences } from './dst-gap';
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
export const RECURRING_KEY_EXPECTED = 'a key of 1..150 characters from [A-Za-z0-9_.:/-]';
const YEAR = 365 * 86_400_000;

const TASK_KEYS = knownKeys<ScheduledTask>({ type: true, payload: true, queue: true, priority: true, maxRetries: true, timeoutMs: true });

/**
 * Options of a publish that a scheduled task does not take, and why: refused by name rather than
 * as unknown keys, since a caller who knows `publish` would expect them to work.
 */
const UNSUPPORTED_TASK_KEYS: Readonly<Record<string, string>> = {
  group: 'no group: the scheduler publishes its tasks without a fair-sharing group (publish grouped work from the handler)',
  idempotencyKey: 'no idempotencyKey: the scheduler keys each recurring occurrence itself; a one-off task is identified by the id schedule returns',
  idempotencyTtlMs: 'no idempotencyTtlMs: the scheduler keys each recurring occurrence itself',
  partitionKey: 'no partitionKey: the scheduler publishes without one',
  delayMs: 'no delayMs in the task: give the delay as when ({ delayMs })',
};

/** Each form of {@link ScheduleWhen} and the keys it takes (a key of another form is refused, not ignored). */
type WhenForm = 'delayMs' | 'at' | 'cron' | 'everyMs';
const WHEN_KEYS: Readonly<Record<WhenForm, readonly string[]>> = {
  delayMs: knownKeys<Extract<ScheduleWhen, { delayMs: number }>>({ delayMs: true }),
  at: knownKeys<Extract<ScheduleWhen, { at: Date | number }>>({ at: true }),
  cron: knownKeys<Extract<ScheduleWhen, { cron: string }>>({ cron: true, tz: true, key: true, missed: true }),
  everyMs: knownKeys<Extract<ScheduleWhen, { everyMs: number }>>({ everyMs: true, key: true, missed: true }),
};
const WHEN_FORMS = Object.keys(WHEN_KEYS) as WhenForm[];
const RECURRING_ONLY = new Set(['key', 'missed', 'tz']);

/**
 * Checks a task; fills the default queue. Throws {@link InvalidOptionError} naming the option, or the
 * place in the payload that JSON would change or cannot write (`schedule.task.payload.stats.avg`:
 * see util/json.ts), so such a task is refused by `schedule`, not when it fires.
 */
export function validateTask(task: ScheduledTask, defaultQueue: string | undefined): ScheduledTask & { queue: string } {
  if (task === null || typeof task !== 'object' || Array.isArray(task)) throw new InvalidOptionError('schedule.task', task, 'a task object');
  checkTaskKeys(task);
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

/**
 * Refuses a key of a task that the scheduler would drop: one a publish takes but a scheduled task
 * does not (`group`, `idempotencyKey`, ..., saying why) or an unknown one (`priorty`), at `schedule.task.<key>`.
 */
function checkTaskKeys(task: object): void {
  for (const key of Object.keys(task)) {
    const why = Object.prototype.hasOwnProperty.call(UNSUPPORTED_TASK_KEYS, key) ? UNSUPPORTED_TASK_KEYS[key] : undefined;
    if (why !== undefined) throw new InvalidOptionError(`schedule.task.${key}`, (task as Record<string, unknown>)[key], why);
  }
  checkKnownKeys(task, TASK_KEYS, 'schedule.task', InvalidOptionError);
}

/**
 * Refuses a key the form of `when` does not take, at `schedule.when.<key>`: a misspelt one
 * (`timezone`, `mised`) or one of another form (`key`, `missed` or `tz` of a one-off task; `tz` of `everyMs`).
 */
function checkWhenKeys(w: Record<string, unknown>, form: WhenForm): void {
  const known = WHEN_KEYS[form];
  for (const key of Object.keys(w)) {
    if (known.includes(key)) continue;
    const oneOff = form === 'delayMs' || form === 'at';
    const hint = !RECURRING_ONLY.has(key)
      ? ''
      : oneOff
        ? '; key, missed and tz are for the recurring forms { cron, tz?, key?, missed? } and { everyMs, key?, missed? }'
        : '; tz is for { cron }';
    throw new InvalidOptionError(`schedule.when.${key}`, key, `a known option of { ${form} } (${known.join(', ')})${hint}`);
  }
}

/** Checks `when`; throws {@link InvalidOptionError} naming the option (an unknown key too: see {@link checkWhenKeys}). */
export function parseWhen(when: ScheduleWhen, now: number, defaultMissed: MissedPolicy): ParsedWhen {
  if (when === null || typeof when !== 'object' || Array.isArray(when)) {
    throw new InvalidOptionError('schedule.when', when, '{ delayMs }, { at }, { cron, tz? } or { everyMs }');
  }
  const w = when as Record<string, unknown>;
  const forms = WHEN_FORMS.filter((k) => w[k] !== undefined);
  if (forms.length !== 1) throw new InvalidOptionError('schedule.when', forms.join(', ') || 'nothing', 'exactly one of delayMs, at, cron, everyMs');
  checkWhenKeys(w, forms[0]);
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
    throw new InvalidOptionError('schedule.when.key', key, RECURRING_KEY_EXPECTED);
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
  // cron-parser reads other counts too: '' as every minute, '0 9 * *' as seconds, minutes, hours and days
  const fields = cron.trim() === '' ? 0 : cron.trim().split(/\s+/).length;
  if (!cron.trim().startsWith('@') && fields !== 5 && fields !== 6) {
    throw new InvalidOptionError(
      'schedule.when.cron',
      cron,
      `a cron expression of 5 or 6 fields (seconds first when 6) or an @-alias such as @daily; it has ${fields}`,
    );
  }
  try {
    CronExpressionParser.parse(cron, { tz, currentDate: new Date(now) }).next();
  } catch (error) {
    throw new InvalidOptionError('schedule.when.cron', cron, `a valid cron expression (${(error as Error).message})`);
  }
  return { kind: 'recurring', key, when: { cron, tz }, missed, sig: `cron:${tz}:${cron}` };
}

/**
 * First occurrence strictly after `after` (ms). A cron occurrence whose local time falls in a DST gap
 * is not skipped: it runs shifted by the gap (see dst-gap.ts). A local time that a fall-back repeats
 * runs once, at its first instance (a cron matching every hour still runs at each real instant).
 */
export function nextOccurrence(def: Pick<RecurringDefinition, 'when' | 'anchor'>, after: number): number {
  if ('everyMs' in def.when) {
    const every = def.when.everyMs;
    if (after < def.anchor) return def.anchor;
    return def.anchor + (Math.floor((after - def.anchor) / every) + 1) * every;
  }
  const { cron, tz } = def.when;
  const expr = CronExpressionParser.parse(cron, { tz, currentDate: new Date(after) });
  return withGapOccurrences(cron, tz, after, expr.next().getTime());
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

/**
 * The parts of an id `schedule` returns; null when it is not one: not a string, or a key, queue
 * name or message id that `schedule` could not have written (`recurring:a b|c`, `once:no such:abc`).
 */
export function parseId(id: unknown): { kind: 'once'; queue: string; messageId: string } | { kind: 'recurring'; key: string } | null {
  if (typeof id !== 'string') return null;
  if (id.startsWith('recurring:')) {
    const key = id.slice('recurring:'.length);
    return RECURRING_KEY_PATTERN.test(key) ? { kind: 'recurring', key } : null;
  }
  if (id.startsWith('once:')) {
    const rest = id.slice(5);
    const cut = rest.lastIndexOf(':');
    if (cut <= 0 || cut === rest.length - 1) return null;
    const queue = rest.slice(0, cut);
    return QUEUE_NAME_PATTERN.test(queue) ? { kind: 'once', queue, messageId: rest.slice(cut + 1) } : null;
  }
  return null;
}

/**
 * A stored recurring definition, checked: the definition, or why it cannot be used (not JSON,
 * a field missing or of the wrong kind, a timing that gives no next run). Never throws.
 * `nextRun` computes a next run to check the timing with (default: the first after now; the loop
 * passes one it remembers, as a cron takes about a millisecond to evaluate).
 */
export function readDefinition(
  json: string | null,
  nextRun: (def: RecurringDefinition) => number = (def) => nextOccurrence(def, Date.now()),
): RecurringDefinition | string {
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
    const next = nextRun(def as RecurringDefinition);
    if (!Number.isFinite(next)) return 'the timing gives no next run';
  } catch (error) {
    return `the timing gives no next run: ${(error as Error).message}`;
  }
  return def as RecurringDefinition;
}
