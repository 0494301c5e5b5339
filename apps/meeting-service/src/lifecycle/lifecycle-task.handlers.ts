import { ConflictException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { DispatchHandlerContext, NonRetryableError } from '@meeting/queue';
import { OnTask } from '@meeting/queue/nest';
import { MeetingsService } from '../meetings/meetings.service';
import { LIFECYCLE_TASKS } from './meeting-schedule.service';

function meetingIdOf(type: string, payload: unknown): string {
  const meetingId = (payload as { meetingId?: unknown } | null)?.meetingId;
  if (typeof meetingId !== 'string' || meetingId === '') throw new NonRetryableError(`${type}: payload.meetingId must be a non-empty string`);
  return meetingId;
}

/** Runs the scheduled lifecycle tasks (any replica; each runs once): the reminder event and the automatic end. */
@Injectable()
export class LifecycleTaskHandlers {
  private readonly logger = new Logger('Lifecycle');

  constructor(private readonly meetings: MeetingsService) {}

  @OnTask(LIFECYCLE_TASKS.reminder, { timeoutMs: 10_000 })
  async reminder(payload: unknown, ctx: DispatchHandlerContext): Promise<{ reminded: boolean }> {
    const reminded = await this.meetings.remind(meetingIdOf(LIFECYCLE_TASKS.reminder, payload));
    this.logger.log(`${ctx.taskId}: reminder ${reminded ? 'published' : 'skipped (meeting ended or gone)'}`);
    return { reminded };
  }

  @OnTask(LIFECYCLE_TASKS.autoEnd, { timeoutMs: 30_000 })
  async autoEnd(payload: unknown, ctx: DispatchHandlerContext): Promise<{ ended: boolean }> {
    const meetingId = meetingIdOf(LIFECYCLE_TASKS.autoEnd, payload);
    try {
      await this.meetings.end(meetingId, 'max_duration');
      this.logger.log(`${ctx.taskId}: meeting ${meetingId} ended after its maximum duration`);
      return { ended: true };
    } catch (error) {
      if (error instanceof ConflictException || error instanceof NotFoundException) return { ended: false };
      throw error;
    }
  }
}
