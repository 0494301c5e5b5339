import { ConflictException, Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'crypto';
import { MeetingScheduleService } from '../lifecycle/meeting-schedule.service';
import { AnalysisPipeline } from '../lifecycle/analysis.pipeline';
import { JoinTokens } from './join-tokens.service';
import { MeetingEventsPublisher } from './meeting-events.publisher';
import { MEETING_OPTIONS, MeetingOptions } from './meeting-options';
import type { Meeting, MeetingRecord, Participant } from './meeting.types';
import { MEETING_REPOSITORY, MeetingRepository, TRANSCRIPT_REPOSITORY, TranscriptRepository } from './store/meeting-store';

export interface CreateMeetingInput {
  title: string;
  hostId: string;
  /** Scheduled start (ISO); a `meeting.reminder` fires `reminderBeforeMs` before it. */
  startsAt?: string;
  maxDurationMs?: number;
  reminderBeforeMs?: number;
}

/**
 * Meeting lifecycle: create, admit (join token), connect/disconnect (from the signaling-service),
 * remove, end. State lives in the repositories (any replica serves any request); every change
 * increments the meeting's `seq` under compare-and-set and the event carries it.
 */
@Injectable()
export class MeetingsService {
  private readonly logger = new Logger('Meetings');

  constructor(
    @Inject(MEETING_REPOSITORY) private readonly repository: MeetingRepository,
    @Inject(TRANSCRIPT_REPOSITORY) private readonly transcripts: TranscriptRepository,
    @Inject(MEETING_OPTIONS) private readonly options: MeetingOptions,
    private readonly events: MeetingEventsPublisher,
    private readonly schedules: MeetingScheduleService,
    private readonly analysis: AnalysisPipeline,
    private readonly tokens: JoinTokens,
  ) {}

  async create(input: CreateMeetingInput): Promise<Meeting> {
    const meetingId = `m-${randomUUID().slice(0, 8)}`;
    const createdAt = new Date().toISOString();
    const startsAt = input.startsAt ?? createdAt;
    const maxDurationMs = input.maxDurationMs ?? this.options.maxDurationMs;
    const reminderBeforeMs = input.reminderBeforeMs ?? this.options.reminderBeforeMs;
    const schedule = await this.schedules.schedule(meetingId, {
      startsAt,
      maxDurationMs,
      reminderAt: input.startsAt ? new Date(Date.parse(startsAt) - reminderBeforeMs).toISOString() : undefined,
      autoEndAt: new Date(Math.max(Date.parse(startsAt), Date.now()) + maxDurationMs).toISOString(),
    });
    const meeting: MeetingRecord = { meetingId, title: input.title, hostId: input.hostId, state: 'active', seq: 1, participants: [], schedule, createdAt };
    await this.repository.create(meeting);
    this.logger.log(`meeting ${meetingId} created by ${input.hostId}`);
    await this.events.publish('meeting.created', { meetingId, seq: 1, title: input.title, hostId: input.hostId, createdAt });
    return { ...meeting, transcripts: [] };
  }

  /** Admits a participant and hands out its join token (again with the same id: the same entry, a fresh token). @throws 404, 409 when ended */
  async admit(meetingId: string, name: string, participantId = `p-${randomUUID().slice(0, 8)}`) {
    let admitted: Participant | undefined;
    const meeting = await this.change(meetingId, (m) => {
      admitted = m.participants.find((p) => p.participantId === participantId);
      if (admitted) return false;
      admitted = { participantId, name, joinedAt: new Date().toISOString(), connected: false };
      m.participants.push(admitted);
      return true;
    });
    const participant = admitted as Participant;
    return { ...participant, ...this.tokens.issue(meetingId, participantId, participant.name, meeting.seq), signalingPath: '/signaling' };
  }

  /** A signaling session of the participant opened: publishes participant.joined (nothing for an unknown participant or an ended meeting). */
  async connected(meetingId: string, participantId: string): Promise<void> {
    const result = await this.repository.update(meetingId, (m) => {
      const p = m.state === 'active' ? m.participants.find((x) => x.participantId === participantId) : undefined;
      if (!p || p.connected) return false;
      Object.assign(p, { connected: true, connectedAt: new Date().toISOString() });
      m.seq++;
      return true;
    });
    if (!result?.changed) return;
    const p = result.meeting.participants.find((x) => x.participantId === participantId) as Participant;
    await this.events.publish('participant.joined', { meetingId, seq: result.meeting.seq, participantId, name: p.name, joinedAt: p.connectedAt ?? p.joinedAt });
  }

  /** The participant's session closed: publishes participant.left (reason `disconnected`). */
  async disconnected(meetingId: string, participantId: string): Promise<void> {
    const result = await this.repository.update(meetingId, (m) => {
      const p = m.state === 'active' ? m.participants.find((x) => x.participantId === participantId) : undefined;
      if (!p?.connected) return false;
      p.connected = false;
      m.seq++;
      return true;
    });
    if (result?.changed) await this.events.publish('participant.left', { meetingId, seq: result.meeting.seq, participantId, reason: 'disconnected' });
  }

  /** Records mute state (no event: peers hear it over signaling). */
  async muted(meetingId: string, participantId: string, muted: boolean): Promise<void> {
    await this.repository.update(meetingId, (m) => {
      const p = m.participants.find((x) => x.participantId === participantId);
      if (!p || p.muted === muted) return false;
      p.muted = muted;
      m.seq++;
      return true;
    });
  }

  /** Removes a participant (its signaling session is closed). @throws 404 for an unknown meeting or participant, 409 when ended */
  async remove(meetingId: string, participantId: string): Promise<void> {
    const meeting = await this.change(meetingId, (m) => {
      const index = m.participants.findIndex((p) => p.participantId === participantId);
      if (index < 0) throw new NotFoundException(`participant "${participantId}" is not in meeting "${meetingId}"`);
      m.participants.splice(index, 1);
      return true;
    });
    await this.events.publish('participant.left', { meetingId, seq: meeting.seq, participantId, reason: 'removed' });
  }

  /** Publishes the reminder of a scheduled meeting still active; false otherwise. */
  async remind(meetingId: string): Promise<boolean> {
    const result = await this.repository.update(meetingId, (m) => {
      if (m.state !== 'active') return false;
      m.seq++;
      return true;
    });
    if (!result?.changed || !result.meeting.schedule) return false;
    await this.events.publish('meeting.reminder', {
      meetingId,
      seq: result.meeting.seq,
      startsAt: result.meeting.schedule.startsAt,
      title: result.meeting.title,
    });
    return true;
  }

  /**
   * Ends the meeting, cancels its scheduled tasks, publishes meeting.ended and starts the analysis
   * (recording_process, then speech_recognition and emotion_detection). @throws 404, 409 when already ended
   */
  async end(meetingId: string, reason: 'requested' | 'max_duration' = 'requested'): Promise<Meeting> {
    let participants: string[] = [];
    const meeting = await this.change(meetingId, (m) => {
      participants = m.participants.map((p) => p.participantId);
      const endedAt = new Date().toISOString();
      Object.assign(m, { state: 'ended', endedAt, endReason: reason });
      for (const p of m.participants) p.connected = false;
      m.analysis = { state: 'recording', errors: [], updatedAt: endedAt };
      return true;
    });
    const endedAt = meeting.endedAt as string;
    const startedAt = Math.min(Date.parse(meeting.schedule?.startsAt ?? meeting.createdAt), Date.parse(endedAt));
    const durationMs = Math.max(0, Date.parse(endedAt) - Math.max(startedAt, Date.parse(meeting.createdAt)));
    await this.schedules.cancel(meetingId, meeting.schedule);
    this.logger.log(`meeting ${meetingId} ended (${reason}) after ${durationMs} ms`);
    await this.events.publish('meeting.ended', { meetingId, seq: meeting.seq, endedAt, durationMs, reason });
    const started = await this.analysis.start(meetingId, durationMs, participants);
    return this.get(meetingId, started);
  }

  /** The meeting with its transcripts. @throws 404 */
  async get(meetingId: string, known?: MeetingRecord): Promise<Meeting> {
    const meeting = known ?? (await this.repository.find(meetingId));
    if (!meeting) throw new NotFoundException(`meeting "${meetingId}" not found`);
    return { ...meeting, transcripts: await this.transcripts.list(meetingId) };
  }

  list(): Promise<MeetingRecord[]> {
    return this.repository.list();
  }

  /** The meeting, when `participantId` (if given) is one of its participants. @throws 404 naming the meeting or the participant */
  async withParticipant(meetingId: string, participantId: string | undefined): Promise<MeetingRecord> {
    const meeting = await this.repository.find(meetingId);
    if (!meeting) throw new NotFoundException(`meeting "${meetingId}" not found`);
    if (participantId !== undefined && !meeting.participants.some((p) => p.participantId === participantId)) {
      throw new NotFoundException(`participant "${participantId}" is not in meeting "${meetingId}"`);
    }
    return meeting;
  }

  /** The meeting if it is still active. @throws 404, 409 */
  async active(meetingId: string): Promise<MeetingRecord> {
    const meeting = await this.repository.find(meetingId);
    if (!meeting) throw new NotFoundException(`meeting "${meetingId}" not found`);
    if (meeting.state !== 'active') throw new ConflictException(`meeting "${meetingId}" has ended`);
    return meeting;
  }

  /** A change of an active meeting that bumps `seq` when `change` returns true. @throws 404, 409 when ended */
  private async change(meetingId: string, change: (m: MeetingRecord) => boolean): Promise<MeetingRecord> {
    const result = await this.repository.update(meetingId, (m) => {
      if (m.state !== 'active') throw new ConflictException(`meeting "${meetingId}" has ended`);
      if (!change(m)) return false;
      m.seq++;
      return true;
    });
    if (!result) throw new NotFoundException(`meeting "${meetingId}" not found`);
    return result.meeting;
  }
}
