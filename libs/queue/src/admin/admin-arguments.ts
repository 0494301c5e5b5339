import { InvalidOptionError } from '../errors';
import { assertChannel, assertSubscriptionKey } from '../events/cloud-event';
import { PRIORITIES, Priority } from '../queue/queue.types';
import type { PeekTarget } from '../queue/queue-inspection.types';
import { SCHEDULER_NAME_PATTERN } from '../scheduler/create-scheduler';
import { boolField, checkOption, intField } from '../util/fields';

/**
 * The argument checks of `QueueAdmin`'s methods: each throws {@link InvalidOptionError} at a path
 * named after the method called (`inflight.limit`, `tail.onEvent`, ...), before anything is read or
 * changed.
 */

const PEEK_TARGETS: readonly string[] = [...PRIORITIES, 'inflight', 'delayed', 'completed'];

/** Whether a value is a plain object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A tier, `inflight`, `delayed` or `completed`. */
export function checkPeekTarget(target: unknown, path: string): PeekTarget {
  if (typeof target !== 'string' || !PEEK_TARGETS.includes(target)) throw new InvalidOptionError(path, target, `one of ${PEEK_TARGETS.join(', ')}`);
  return target as PeekTarget;
}

/** A priority, or absent. */
export function checkPriority(priority: unknown, path: string): Priority | undefined {
  if (priority !== undefined && !(PRIORITIES as readonly unknown[]).includes(priority)) {
    throw new InvalidOptionError(path, priority, `one of ${PRIORITIES.join(', ')}`);
  }
  return priority as Priority | undefined;
}

/** An integer in `[min, max]`, `fallback` when absent. */
export function checkInt(value: unknown, path: string, min: number, max: number, fallback: number): number {
  return checkOption(intField(min, max).default(fallback), value, path, InvalidOptionError);
}

/** `true` or `false`, or absent. */
export function checkFlag(value: unknown, path: string): boolean | undefined {
  return checkOption(boolField().optional(), value, path, InvalidOptionError);
}

/** A scheduler's name (its service), or absent (every scheduler). */
export function checkSchedulerName(name: unknown, path: string): string | undefined {
  if (name !== undefined && (typeof name !== 'string' || !SCHEDULER_NAME_PATTERN.test(name))) {
    throw new InvalidOptionError(path, name, 'a scheduler name of 1..50 characters from [A-Za-z0-9_.:-]');
  }
  return name;
}

/** A channel name (no glob pattern). */
export function checkChannel(channel: unknown, path: string): string {
  return assertChannel(channel, path);
}

/** The arguments of `tail`: the mode, a channel (a glob pattern too for `pubsub`) and the listener. */
export function checkTail(channel: unknown, mode: unknown, onEvent: unknown): void {
  if (mode !== 'pubsub' && mode !== 'stream') throw new InvalidOptionError('tail.mode', mode, 'one of "pubsub", "stream"');
  if (mode === 'pubsub') assertSubscriptionKey(channel, 'tail.channel');
  else assertChannel(channel, 'tail.channel');
  checkFunction(onEvent, 'tail.onEvent');
}

/** A function, or absent when `optional`. */
export function checkFunction(value: unknown, path: string, optional = false): void {
  if (optional && value === undefined) return;
  if (typeof value !== 'function') throw new InvalidOptionError(path, value, 'a function');
}
