import type { MeetingRecord } from '../../meeting.types';
import { MeetingRepository } from '../meeting-store';

const MAX_MEETINGS = 10_000;
const copy = <T>(value: T): T => structuredClone(value);

/** Meetings in this process (memory backend, tests): the oldest of more than 10 000 is dropped. */
export class MemoryMeetingRepository implements MeetingRepository {
  private readonly meetings = new Map<string, MeetingRecord>();
  private readonly tasks = new Map<string, string>();

  async create(meeting: MeetingRecord): Promise<void> {
    if (this.meetings.has(meeting.meetingId)) throw new Error(`meeting "${meeting.meetingId}" exists`);
    this.meetings.set(meeting.meetingId, copy(meeting));
    if (this.meetings.size > MAX_MEETINGS) this.meetings.delete(this.meetings.keys().next().value as string);
  }

  async find(meetingId: string): Promise<MeetingRecord | undefined> {
    const meeting = this.meetings.get(meetingId);
    return meeting && copy(meeting);
  }

  async list(limit = 1000): Promise<MeetingRecord[]> {
    return [...this.meetings.values()].reverse().slice(0, limit).map(copy);
  }

  async update(meetingId: string, change: (meeting: MeetingRecord) => boolean): Promise<{ meeting: MeetingRecord; changed: boolean } | undefined> {
    const current = this.meetings.get(meetingId);
    if (!current) return undefined;
    const next = copy(current);
    const changed = change(next);
    if (changed) this.meetings.set(meetingId, copy(next));
    return { meeting: changed ? next : copy(current), changed };
  }

  async linkTask(taskId: string, meetingId: string): Promise<void> {
    this.tasks.set(taskId, meetingId);
    if (this.tasks.size > MAX_MEETINGS * 10) this.tasks.delete(this.tasks.keys().next().value as string);
  }

  async meetingOfTask(taskId: string): Promise<string | undefined> {
    return this.tasks.get(taskId);
  }
}
