/** Messages between the soak driver and its service processes (IPC). */

/** The services of the platform the soak plays; each is one process with a queue of the same name. */
export const SERVICES = ['meeting', 'ai', 'media', 'signaling'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** Task types every service handles on its own queue (the driver publishes them). */
export const TASK_TYPES = ['ok', 'slow', 'flaky', 'poison', 'replay'] as const;
export type TaskType = (typeof TASK_TYPES)[number];

/** Set (in the soak's own key space) of dead-lettered `replay` messages the driver replayed: their handler then succeeds. */
export const REPLAYED_SET = 'soak:replayed';

/** Everything a service process needs to know (env SOAK_SERVICE as JSON). */
export interface ServiceSettings {
  service: ServiceName;
  redisUrl: string;
  /** Events per second this process publishes on each bus. */
  eventsPerSecond: number;
  /** Dispatches per second (meeting only). */
  dispatchesPerSecond: number;
  /** Recurring task interval (meeting only). */
  tickEveryMs: number;
  retention: SoakRetention;
}

/** The retention the soak configures, and judges key growth against. */
export interface SoakRetention {
  completedCount: number;
  completedAgeSeconds: number;
  idempotencyTtlSeconds: number;
  statusRetentionSeconds: number;
  streamMaxLen: number;
  streamMaxAgeMs: number;
}

/** A handled task: queue message id, type, attempt. */
export interface DoneReport {
  queue: string;
  id: string;
  type: string;
  attempt: number;
}

/** One batch of what happened in a service since its last report. */
export interface ServiceReport {
  kind: 'report';
  service: ServiceName;
  done: DoneReport[];
  /** Events this service published: bus, channel, event id. */
  published: Array<{ bus: 'pubsub' | 'stream'; id: string }>;
  /** Events this service received. */
  received: Array<{ bus: 'pubsub' | 'stream'; id: string }>;
  /** Task ids dispatched (meeting). */
  dispatched: string[];
  /** dispatchAndWait calls that got their result (meeting). */
  waited: number;
  /** Outcomes that reached the origin's callbacks (meeting). */
  outcomes: Array<{ taskId: string; ok: boolean }>;
  /** Lines the service logged at warn or error. */
  problems: string[];
}

export type ServiceMessage =
  | { kind: 'ready'; service: ServiceName }
  | ServiceReport
  | { kind: 'memory'; service: ServiceName; seq: number; rss: number; heapUsed: number }
  | { kind: 'stopped'; service: ServiceName };

export type DriverCommand = { cmd: 'memory'; seq: number } | { cmd: 'start-load' } | { cmd: 'stop-load' } | { cmd: 'shutdown' };
