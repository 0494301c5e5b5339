import { Injectable, Logger } from '@nestjs/common';
import { QueueManager } from '@meeting/queue';
import type { MeetingSchedule } from '../meetings/meeting.types';

/** Task types of the meeting lifecycle, run by this service's own queue (`meeting_tasks`) when the scheduler releases them. */
export const LIFECYCLE_TASKS = { reminder: 'meeting_reminder', autoEnd: 'meeting_auto_end' } as const;

/**
 * The delayed tasks of a meeting on the scheduler (shared in Redis: any replica cancels what
 * another scheduled): a reminder before a scheduled start and the automatic end after the
 * maximum duration.
 */
@Injectable()
export class MeetingScheduleService {
  private readonly logger = new Logger('MeetingSchedule');

  constructor(private readonly queues: QueueManager) {}

  /** Schedules the reminder (when `reminderAt` is still ahead) and the automatic end; resolves to the schedule with their ids. */
  async schedule(meetingId: string, plan: Omit<MeetingSchedule, 'reminderId' | 'autoEndId'>): Promise<MeetingSchedule> {
    const schedule: MeetingSchedule = { ...plan };
    const queue = this.queues.config.message_queue.queue_name;
    if (plan.reminderAt && Date.parse(plan.reminderAt) > Date.now()) {
      schedule.reminderId = await this.queues.scheduleTask(
        { type: LIFECYCLE_TASKS.reminder, payload: { meetingId }, queue },
        { at: Date.parse(plan.reminderAt) },
      );
    } else {
      delete schedule.reminderAt;
    }
    schedule.autoEndId = await this.queues.scheduleTask(
      { type: LIFECYCLE_TASKS.autoEnd, payload: { meetingId }, queue, priority: 'high' },
      { at: Date.parse(plan.autoEndAt) },
    );
    this.logger.log(`meeting ${meetingId}: automatic end at ${plan.autoEndAt}${schedule.reminderId ? `, reminder at ${schedule.reminderAt}` : ''}`);
    return schedule;
  }

  /** Cancels what has not fired yet (the meeting ended earlier). */
  async cancel(meetingId: string, schedule: MeetingSchedule | undefined): Promise<void> {
    for (const id of [schedule?.reminderId, schedule?.autoEndId]) {
      if (!id) continue;
      try {
        if (await this.queues.scheduler.cancel(id)) this.logger.log(`meeting ${meetingId}: ${id} cancelled`);
      } catch (error) {
        this.logger.warn(`meeting ${meetingId}: could not cancel ${id}: ${(error as Error).message}`);
      }
    }
  }
}
