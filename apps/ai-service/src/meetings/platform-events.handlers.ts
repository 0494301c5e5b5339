import { Inject, Injectable, Logger } from '@nestjs/common';
import { ChannelEvent, CHANNELS, Channel, readEvent } from '@meeting/contracts';
import { EventEnvelope } from '@meeting/queue';
import { OnEvent } from '@meeting/queue/nest';
import { MEETING_CONTEXT_REPOSITORY, MeetingContextRepository } from './context/meeting-context-repository';

/** Subscriptions of the AI service to the other services' channels `meeting_events` and `media_events` (data checked against @meeting/contracts). */
@Injectable()
export class PlatformEventsHandlers {
  private readonly logger = new Logger('PlatformEvents');

  constructor(@Inject(MEETING_CONTEXT_REPOSITORY) private readonly contexts: MeetingContextRepository) {}

  @OnEvent(CHANNELS.meeting)
  async onMeetingEvent(envelope: EventEnvelope): Promise<void> {
    const event = this.read(CHANNELS.meeting, envelope);
    if (!event) return;
    const { meetingId, seq } = event.data;
    switch (event.type) {
      case 'meeting.created':
        if (!(await this.contexts.update(meetingId, event.type, () => undefined, seq))) return;
        this.logger.log(`meeting ${meetingId} created ("${event.data.title}"): speech recognition and emotion detection available`);
        break;
      case 'participant.joined': {
        const { participantId } = event.data;
        const applied = await this.contexts.update(
          meetingId,
          event.type,
          (c) => {
            if (!c.participants.includes(participantId)) c.participants.push(participantId);
          },
          seq,
          participantId,
        );
        if (applied) this.logger.log(`meeting ${meetingId}: participant ${participantId} joined`);
        break;
      }
      case 'participant.left': {
        const { participantId } = event.data;
        const leave = (c: { participants: string[] }) => void (c.participants = c.participants.filter((p) => p !== participantId));
        if (await this.contexts.update(meetingId, event.type, leave, seq, participantId)) {
          this.logger.log(`meeting ${meetingId}: participant ${participantId} left`);
        }
        break;
      }
      case 'meeting.ended': {
        const ended = (c: { state: string; participants: string[] }) => {
          c.state = 'ended';
          c.participants = [];
        };
        if (await this.contexts.update(meetingId, event.type, ended, seq)) this.logger.log(`meeting ${meetingId} ended: releasing its AI context`);
        break;
      }
      default:
        break;
    }
  }

  @OnEvent(CHANNELS.media)
  async onMediaEvent(envelope: EventEnvelope): Promise<void> {
    const event = this.read(CHANNELS.media, envelope);
    if (event?.type === 'recording.processed') {
      const { meetingId, recordingId } = event.data;
      await this.contexts.update(meetingId, event.type, (c) => {
        if (!c.recordings.includes(recordingId)) c.recordings.push(recordingId);
      });
      this.logger.log(`recording ${recordingId} of meeting ${meetingId} is ready for post-meeting analysis`);
    } else {
      this.logger.debug(`media event ${envelope.type} from ${envelope.source}`);
    }
  }

  /** The event under its contract; undefined (and a warning for a breach) when it cannot be applied. */
  private read<C extends Channel>(channel: C, envelope: EventEnvelope): ChannelEvent<C> | undefined {
    try {
      return readEvent(channel, envelope);
    } catch (error) {
      this.logger.warn(`${channel} event ${envelope.id} from ${envelope.source} dropped: ${(error as Error).message}`);
      return undefined;
    }
  }
}
