/**
 * Messages between the soak driver and its mixed-load processes (IPC). The mixed load runs beside
 * the real apps, in the same Redis, under its own key prefix (MIXED_PREFIX: its queues, scheduler,
 * dispatcher and both event buses), so it never touches the apps' queues or channels.
 */
import type { SoakRetention } from '../soak-apps';

/** The four service-shaped processes of the mixed load; each has a queue of the same name. */
export const MIXED_SERVICES = ['meeting', 'ai', 'media', 'signaling'] as const;
export type MixedService = (typeof MIXED_SERVICES)[number];

/** Task types every mixed-load process handles on its own queue (the driver publishes them). */
export const TASK_TYPES = ['ok', 'slow', 'flaky', 'poison', 'replay'] as const;
export type TaskType = (typeof TASK_TYPES)[number];

/** Key prefix of everything the mixed load keeps in Redis (the apps use `mq`). */
export const MIXED_PREFIX = 'soak';

/**
 * Marker the driver sets before replaying a dead-lettered `replay` message: the handler run that
 * finds it deletes it and succeeds. Expires (a per-item key) in case that run never comes.
 */
export function replayedKey(messageId: string): string {
  return `${MIXED_PREFIX}:replayed:${messageId}`;
}

/** Everything a mixed-load process needs to know (env SOAK_SERVICE as JSON). */
export interface MixedSettings {
  service: MixedService;
  redisUrl: string;
  /** Events per second this process publishes on each bus. */
  eventsPerSecond: number;
  /** Dispatches per second (meeting only). */
  dispatchesPerSecond: number;
  /** Recurring task interval (meeting only). */
  tickEveryMs: number;
  retention: SoakRetention;
}

/** A handled task: queue message id, type, attempt. */
export interface DoneReport {
  queue: string;
  id: string;
  type: string;
  attempt: number;
}

/** One batch of what happened in a process since its last report. */
export interface MixedReport {
  kind: 'report';
  service: MixedService;
  done: DoneReport[];
  /** Events this process published: bus, event id. */
  published: Array<{ bus: 'pubsub' | 'stream'; id: string }>;
  /** Events this process received. */
  received: Array<{ bus: 'pubsub' | 'stream'; id: string }>;
  /** Task ids dispatched (meeting). */
  dispatched: string[];
  /** dispatchAndWait calls that got their result (meeting). */
  waited: number;
  /** Outcomes that reached the origin's callbacks (meeting). */
  outcomes: Array<{ taskId: string; ok: boolean }>;
  /** Lines the process logged at warn or error. */
  problems: string[];
}

export type MixedMessage = { kind: 'ready'; service: MixedService } | MixedReport | { kind: 'stopped'; service: MixedService };

export type DriverCommand = { cmd: 'start-load' } | { cmd: 'stop-load' } | { cmd: 'shutdown' };
