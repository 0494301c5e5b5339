import type { RedisClient } from '../redis/redis-connection';
import { createScheduler } from '../scheduler/create-scheduler';
import type { ScheduleInfo, Scheduler } from '../scheduler/scheduler';
import { schedulerNames } from './key-scan';

/** A schedule, with the scheduler (service) that owns it. */
export interface ScheduleEntry extends ScheduleInfo {
  scheduler: string;
}

/**
 * The schedule operations of `QueueAdmin`: the schedulers (services) that have keys under one
 * prefix, their schedules, cancelling one; read and changed through each scheduler's own API (one
 * scheduler per name, opened on first use, never started).
 */
export class ScheduleAdmin {
  private readonly schedulers = new Map<string, Scheduler>();

  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
  ) {}

  /** Names of the schedulers (services) that have keys under the prefix. */
  async listSchedulers(): Promise<string[]> {
    return schedulerNames(this.client, this.prefix);
  }

  /** Every schedule (one-off and recurring) of every scheduler, or of one, soonest run first. */
  async schedules(schedulerName?: string): Promise<ScheduleEntry[]> {
    const names = schedulerName ? [schedulerName] : await this.listSchedulers();
    const out: ScheduleEntry[] = [];
    for (const name of names) {
      for (const info of await this.scheduler(name).list()) out.push({ ...info, scheduler: name });
    }
    return out.sort((a, b) => a.nextRunAt - b.nextRunAt);
  }

  /** Cancels a one-off schedule or removes a recurring one by id in the schedulers that list it; returns their names. */
  async cancelSchedule(id: string, schedulerName?: string): Promise<string[]> {
    // only the schedulers that list the id: a one-off id would be cancelled in its queue by any of them
    const owners = [...new Set((await this.schedules(schedulerName)).filter((s) => s.id === id).map((s) => s.scheduler))];
    const done: string[] = [];
    for (const name of owners) if (await this.scheduler(name).cancel(id)) done.push(name);
    return done;
  }

  /** Closes the schedulers opened so far. */
  async close(): Promise<void> {
    await Promise.all([...this.schedulers.values()].map((s) => s.close()));
    this.schedulers.clear();
  }

  private scheduler(name: string): Scheduler {
    let scheduler = this.schedulers.get(name);
    if (!scheduler) {
      scheduler = createScheduler({
        name,
        autoStart: false,
        backend: { type: 'redis', client: this.client, prefix: this.prefix, queuePrefix: this.prefix },
      });
      this.schedulers.set(name, scheduler);
    }
    return scheduler;
  }
}
