import { Injectable, NotFoundException } from '@nestjs/common';
import type { Meeting } from './meeting.types';

const MAX_MEETINGS = 10_000;

/** In-memory meetings (the oldest of more than 10 000 is dropped). */
@Injectable()
export class MeetingRepository {
  private readonly meetings = new Map<string, Meeting>();

  save(meeting: Meeting): Meeting {
    this.meetings.set(meeting.meetingId, meeting);
    if (this.meetings.size > MAX_MEETINGS) this.meetings.delete(this.meetings.keys().next().value as string);
    return meeting;
  }

  find(meetingId: string): Meeting | undefined {
    return this.meetings.get(meetingId);
  }

  /** @throws NotFoundException (404) naming the id */
  get(meetingId: string): Meeting {
    const meeting = this.meetings.get(meetingId);
    if (!meeting) throw new NotFoundException(`meeting "${meetingId}" not found`);
    return meeting;
  }

  list(): Meeting[] {
    return [...this.meetings.values()];
  }
}
