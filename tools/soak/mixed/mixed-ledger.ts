/**
 * The mixed load's accounting: every task the driver published, every dispatch, every recurring run
 * and every event, and what became of it. `verdict()` lists what is not accounted for: a task not
 * processed exactly once (or, for the planned failures, not dead-lettered with its reason), an
 * outcome missing or repeated, an event a subscriber never got.
 */
import type { MixedReport, MixedService, TaskType } from './mixed-protocol';
import { MIXED_SERVICES } from './mixed-protocol';

interface TaskRecord {
  queue: string;
  type: TaskType;
  fails: number;
  runs: number;
  lastAttempt: number;
  dead: string[];
  replayed: boolean;
}

export interface MixedCounts {
  published: number;
  processed: number;
  deadLettered: number;
  replayed: number;
  retriedAttempts: number;
  dispatched: number;
  outcomes: number;
  ticks: number;
  pubsubEvents: number;
  streamEvents: number;
  duplicates: { tasks: number; streamDeliveries: number };
}

export class MixedLedger {
  private readonly tasks = new Map<string, TaskRecord>();
  /** Runs of messages the driver did not publish: recurring ticks and dispatched tasks, by queue:id. */
  private readonly other = new Map<string, { type: string; runs: number; lastAttempt: number }>();
  private readonly dispatched = new Set<string>();
  private readonly outcomes = new Map<string, { ok: boolean; count: number }>();
  private waited = 0;
  private readonly events = { pubsub: new Map<string, Map<string, number>>(), stream: new Map<string, Map<string, number>>() };
  private readonly early = { pubsub: new Map<string, Map<string, number>>(), stream: new Map<string, Map<string, number>>() };
  readonly problems: string[] = [];
  /** Dead letters of no task the driver published (so far), by queue:id, with their reason. */
  private readonly unknownDead = new Map<string, string>();

  published(queue: string, id: string, type: TaskType, fails = 0): void {
    const key = `${queue}:${id}`;
    // its run may have been reported before the publish's answer came back here
    const early = this.other.get(key);
    this.other.delete(key);
    this.tasks.set(key, { queue, type, fails, runs: early?.runs ?? 0, lastAttempt: early?.lastAttempt ?? 0, dead: [], replayed: false });
  }

  /**
   * A dead letter seen by the sweeper; returns the task's type. Undefined: not (yet) one the driver
   * published: its publish's answer may still be on its way (a poison message can be dead-lettered
   * first), so the sweeper leaves it for its next pass; still unknown at the verdict, it is a failure.
   */
  deadLettered(queue: string, id: string, reason: string): TaskType | undefined {
    const key = `${queue}:${id}`;
    const t = this.tasks.get(key);
    if (!t) {
      this.unknownDead.set(key, reason);
      return undefined;
    }
    this.unknownDead.delete(key);
    t.dead.push(reason);
    return t.type;
  }

  replayed(queue: string, id: string): void {
    const t = this.tasks.get(`${queue}:${id}`);
    if (t) t.replayed = true;
  }

  add(r: MixedReport): void {
    for (const d of r.done) {
      const t = this.tasks.get(`${d.queue}:${d.id}`);
      if (t) {
        t.runs++;
        t.lastAttempt = d.attempt;
      } else {
        const key = `${d.queue}:${d.id}`;
        const o = this.other.get(key) ?? { type: d.type, runs: 0, lastAttempt: 0 };
        o.runs++;
        o.lastAttempt = d.attempt;
        this.other.set(key, o);
      }
    }
    for (const e of r.published) {
      // a subscriber may report an event before its publisher does
      const got = this.early[e.bus].get(e.id) ?? new Map<string, number>();
      this.early[e.bus].delete(e.id);
      this.events[e.bus].set(e.id, got);
    }
    for (const e of r.received) {
      const map = this.events[e.bus].get(e.id) ?? this.early[e.bus].get(e.id) ?? new Map<string, number>();
      if (!this.events[e.bus].has(e.id)) this.early[e.bus].set(e.id, map);
      map.set(r.service, (map.get(r.service) ?? 0) + 1);
    }
    for (const id of r.dispatched) this.dispatched.add(id);
    this.waited += r.waited;
    for (const o of r.outcomes) {
      const prev = this.outcomes.get(o.taskId);
      this.outcomes.set(o.taskId, { ok: o.ok, count: (prev?.count ?? 0) + 1 });
    }
    for (const line of r.problems) this.problems.push(`${r.service}: ${line}`);
  }

  /** What is not accounted for (empty: everything is). `ticksExpected`: at least this many recurring runs. */
  verdict(ticksExpected: number): string[] {
    const out: string[] = [];
    const tell = (what: string, items: string[]) => {
      if (items.length > 0) out.push(`${items.length} ${what}: ${items.slice(0, 5).join(', ')}${items.length > 5 ? ', ...' : ''}`);
    };
    const notOnce: string[] = [];
    const badDead: string[] = [];
    for (const [key, t] of this.tasks) {
      if (t.type === 'poison') {
        if (t.runs !== 0 || t.dead.length !== 1 || !/non-retryable error: planned poison message/.test(t.dead[0]))
          badDead.push(`${key} (runs ${t.runs}, dead ${JSON.stringify(t.dead)})`);
      } else if (t.type === 'replay') {
        if (t.runs !== 1 || !t.replayed || t.dead.length !== 1 || !/planned: dead until the driver replays it/.test(t.dead[0]))
          badDead.push(`${key} (runs ${t.runs}, dead ${JSON.stringify(t.dead)}, replayed ${t.replayed})`);
      } else if (t.runs !== 1 || t.dead.length > 0 || (t.type === 'flaky' && t.lastAttempt !== t.fails + 1)) {
        notOnce.push(`${key} ${t.type} (runs ${t.runs}, last attempt ${t.lastAttempt}, dead ${JSON.stringify(t.dead)})`);
      }
    }
    tell('published tasks not processed exactly once', notOnce);
    tell('planned failures not dead-lettered with their reason (or replayed and processed once)', badDead);
    tell(
      'unexpected dead letters (of no task the driver published)',
      [...this.unknownDead].filter(([key]) => !this.tasks.has(key)).map(([key, reason]) => `${key}: ${reason}`),
    );
    tell(
      'recurring or dispatched tasks processed more than once',
      [...this.other].filter(([, o]) => o.runs !== 1).map(([k, o]) => `${k} ${o.type} x${o.runs}`),
    );
    const ticks = [...this.other.values()].filter((o) => o.type === 'tick').length;
    if (ticks < ticksExpected) out.push(`recurring task ran ${ticks} times, expected at least ${ticksExpected}`);
    tell(
      'dispatched tasks without exactly one successful outcome',
      [...this.dispatched].filter((id) => this.outcomes.get(id)?.count !== 1 || !this.outcomes.get(id)?.ok),
    );
    const extra = [...this.outcomes.keys()].filter((id) => !this.dispatched.has(id)).length;
    if (extra !== this.waited) out.push(`${extra} outcomes of dispatchAndWait tasks reached the callbacks, ${this.waited} calls got their result`);
    tell(
      'repeated outcomes',
      [...this.outcomes].filter(([, o]) => o.count > 1).map(([id]) => id),
    );
    for (const bus of ['pubsub', 'stream'] as const) {
      const missing: string[] = [];
      for (const [id, got] of this.events[bus]) for (const s of MIXED_SERVICES as readonly MixedService[]) if (!got.get(s)) missing.push(`${id}->${s}`);
      tell(`${bus} deliveries missing`, missing);
      if (bus === 'pubsub')
        tell(
          'pubsub events delivered twice',
          [...this.events.pubsub].filter(([, got]) => [...got.values()].some((n) => n > 1)).map(([id]) => id),
        );
    }
    tell('events received that no service reported publishing', [...this.early.pubsub.keys(), ...this.early.stream.keys()]);
    return out;
  }

  counts(): MixedCounts {
    const tasks = [...this.tasks.values()];
    let streamDup = 0;
    for (const got of this.events.stream.values()) for (const n of got.values()) streamDup += Math.max(0, n - 1);
    return {
      published: tasks.length,
      processed: tasks.reduce((n, t) => n + t.runs, 0) + [...this.other.values()].reduce((n, o) => n + o.runs, 0),
      deadLettered: tasks.reduce((n, t) => n + t.dead.length, 0),
      replayed: tasks.filter((t) => t.replayed).length,
      retriedAttempts: tasks.filter((t) => t.type === 'flaky').reduce((n, t) => n + t.fails, 0),
      dispatched: this.dispatched.size + this.waited,
      outcomes: [...this.outcomes.values()].reduce((n, o) => n + o.count, 0),
      ticks: [...this.other.values()].filter((o) => o.type === 'tick').length,
      pubsubEvents: this.events.pubsub.size,
      streamEvents: this.events.stream.size,
      duplicates: { tasks: tasks.filter((t) => t.runs > 1).length, streamDeliveries: streamDup },
    };
  }

  /** True when nothing is outstanding (the drain can end). */
  settled(ticksExpected: number): boolean {
    return this.verdict(ticksExpected).length === 0;
  }
}
