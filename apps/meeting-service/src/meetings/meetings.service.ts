import { ConflictException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'crypto';
import { MeetingEventsPublisher } from './meeting-events.publisher';
import { MeetingRepository } from './meeting.repository';
import type { Meeting, Participant } from './meeting.types';
import { MediaTasks } from './media-tasks.service';
import { MeetingSeq } from './seq/meeting-seq';

/** Meeting lifecycle: create, join, leave, end. Every change publishes a `meeting_events` event carrying the meeting's `seq`. */
@Injectable()
export class MeetingsService {
  private readonly logger = new Logger('Meetings');

  constructor(
    private readonly repository: MeetingRepository,
    private readonly events: MeetingEventsPublisher,
    private readonly media: MediaTasks,
    private readonly seq: MeetingSeq,
  ) {}

  async create(title: string, hostId: string): Promise<Meeting> {
    const meetingId = `m-${randomUUID().slice(0, 8)}`;
    const meeting = this.repository.save({
      meetingId,
      title,
      hostId,
      state: 'active',
      seq: await this.seq.next(meetingId),
      participants: [],
      transcripts: [],
      createdAt: new Date().toISOString(),
    });
    this.logger.log(`meeting ${meeting.meetingId} created by ${hostId}`);
    await this.events.publish('meeting.created', { meetingId: meeting.meetingId, seq: meeting.seq, title, hostId, createdAt: meeting.createdAt });
    return meeting;
  }

  /** Adds a participant (joining again with the same id is a no-op answering the existing entry). @throws 404, 409 when ended */
  async join(meetingId: string, name: string, participantId = `p-${randomUUID().slice(0, 8)}`): Promise<Participant> {
    const meeting = this.active(meetingId);
    const existing = meeting.participants.find((p) => p.participantId === participantId);
    if (existing) return existing;
    const participant = { participantId, name, joinedAt: new Date().toISOString() };
    meeting.participants.push(participant);
    meeting.seq = await this.seq.next(meetingId);
    await this.events.publish('participant.joined', { meetingId, seq: meeting.seq, participantId, name, joinedAt: participant.joinedAt });
    return participant;
  }

  /** @throws 404 for an unknown meeting or participant, 409 when ended */
  async leave(meetingId: string, participantId: string): Promise<void> {
    const meeting = this.active(meetingId);
    const index = meeting.participants.findIndex((p) => p.participantId === participantId);
    if (index < 0) throw new NotFoundException(`participant "${participantId}" is not in meeting "${meetingId}"`);
    meeting.participants.splice(index, 1);
    meeting.seq = await this.seq.next(meetingId);
    await this.events.publish('participant.left', { meetingId, seq: meeting.seq, participantId });
  }

  /** Ends the meeting, publishes meeting.ended and dispatches its recording to the media-service. @throws 404, 409 when already ended */
  async end(meetingId: string): Promise<Meeting> {
    const meeting = this.active(meetingId);
    meeting.state = 'ended';
    meeting.endedAt = new Date().toISOString();
    const participants = meeting.participants.map((p) => p.participantId);
    meeting.participants = [];
    meeting.seq = await this.seq.next(meetingId);
    const durationMs = Date.parse(meeting.endedAt) - Date.parse(meeting.createdAt);
    await this.events.publish('meeting.ended', { meetingId, seq: meeting.seq, endedAt: meeting.endedAt, durationMs });
    meeting.recordingTaskId = await this.media.processRecording(meetingId, durationMs, participants);
    return meeting;
  }

  get(meetingId: string): Meeting {
    return this.repository.get(meetingId);
  }

  list(): Meeting[] {
    return this.repository.list();
  }

  /** The meeting, when `participantId` (if given) is one of its present participants. @throws 404 naming the meeting or the participant */
  withParticipant(meetingId: string, participantId: string | undefined): Meeting {
    const meeting = this.repository.get(meetingId);
    if (participantId !== undefined && !meeting.participants.some((p) => p.participantId === participantId)) {
      throw new NotFoundException(`participant "${participantId}" is not in meeting "${meetingId}"`);
    }
    return meeting;
  }

  /** The meeting if it is still active. @throws 404, 409 */
  active(meetingId: string): Meeting {
    const meeting = this.repository.get(meetingId);
    if (meeting.state !== 'active') throw new ConflictException(`meeting "${meetingId}" has ended`);
    return meeting;
  }
}
