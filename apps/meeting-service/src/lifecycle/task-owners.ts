import { Inject, Injectable } from '@nestjs/common';
import type { MeetingRecord } from '../meetings/meeting.types';
import { MEETING_REPOSITORY, MeetingRepository } from '../meetings/store/meeting-store';

/** How long a callback waits for the dispatching request to record its task id (a fast handler can answer before that write). */
export const OWNER_WAIT_MS = 3000;
const STEP_MS = 25;
const pause = () => new Promise((resolve) => setTimeout(resolve, STEP_MS));

/** Finds the meeting that owns a task whose result arrived, waiting briefly for the dispatching side to record it. */
@Injectable()
export class TaskOwners {
  constructor(@Inject(MEETING_REPOSITORY) private readonly repository: MeetingRepository) {}

  /**
   * The meeting once `owns` holds for it; while `pending` holds (default: the analysis has not
   * recorded its task ids yet) it keeps reading for up to OWNER_WAIT_MS. Undefined when it does not own the task.
   */
  async wait(
    meetingId: string,
    owns: (meeting: MeetingRecord) => boolean,
    pending: (meeting: MeetingRecord) => boolean = (m) => m.analysis?.state === 'recording' && !m.analysis.recordingTaskId,
  ): Promise<MeetingRecord | undefined> {
    const deadline = Date.now() + OWNER_WAIT_MS;
    for (;;) {
      const meeting = await this.repository.find(meetingId);
      if (!meeting) return undefined;
      if (owns(meeting)) return meeting;
      if (!pending(meeting) || Date.now() > deadline) return undefined;
      await pause();
    }
  }

  /** The meeting a dispatched task was linked to, waiting up to OWNER_WAIT_MS for the dispatching side to link it. */
  async meetingOf(taskId: string): Promise<string | undefined> {
    const deadline = Date.now() + OWNER_WAIT_MS;
    for (;;) {
      const meetingId = await this.repository.meetingOfTask(taskId);
      if (meetingId || Date.now() > deadline) return meetingId;
      await pause();
    }
  }

  /** The first defined answer of `owner` for the meeting within OWNER_WAIT_MS; undefined when the meeting is gone or nothing owns the task by then. */
  async find<T>(meetingId: string, owner: (meeting: MeetingRecord) => Promise<T | undefined>): Promise<T | undefined> {
    const deadline = Date.now() + OWNER_WAIT_MS;
    for (;;) {
      const meeting = await this.repository.find(meetingId);
      if (!meeting) return undefined;
      const found = await owner(meeting);
      if (found !== undefined || Date.now() > deadline) return found;
      await pause();
    }
  }
}
