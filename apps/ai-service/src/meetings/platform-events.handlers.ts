import { Injectable, Logger } from '@nestjs/common';
import { EventEnvelope } from '@meeting/queue';
import { OnEvent } from '@meeting/queue/nest';
import { MeetingContextStore } from './meeting-context.service';

interface MeetingEventData {
  meetingId?: string;
  seq?: number;
  participantId?: string;
  title?: string;
}
interface MediaEventData {
  meetingId?: string;
  recordingId?: string;
  format?: string;
}

/** Subscriptions of the AI service to the other services' channels `meeting_events` and `media_events`. */
@Injectable()
export class PlatformEventsHandlers {
  private readonly logger = new Logger('PlatformEvents');

  constructor(private readonly contexts: MeetingContextStore) {}

  @OnEvent('meeting_events')
  onMeetingEvent(event: EventEnvelope<MeetingEventData>): void {
    const { meetingId, participantId, seq } = event.data ?? {};
    if (typeof meetingId !== 'string' || typeof seq !== 'number') return;
    switch (event.type) {
      case 'meeting.created':
        if (!this.contexts.update(meetingId, event.type, () => undefined, seq)) return;
        this.logger.log(`meeting ${meetingId} created ("${event.data.title ?? ''}"): speech recognition and emotion detection available`);
        break;
      case 'participant.joined':
        if (
          !this.contexts.update(
            meetingId,
            event.type,
            (c) => {
              if (participantId && !c.participants.includes(participantId)) c.participants.push(participantId);
            },
            seq,
          )
        )
          return;
        this.logger.log(`meeting ${meetingId}: participant ${participantId} joined`);
        break;
      case 'participant.left':
        if (!this.contexts.update(meetingId, event.type, (c) => void (c.participants = c.participants.filter((p) => p !== participantId)), seq)) return;
        this.logger.log(`meeting ${meetingId}: participant ${participantId} left`);
        break;
      case 'meeting.ended':
        if (
          !this.contexts.update(
            meetingId,
            event.type,
            (c) => {
              c.state = 'ended';
              c.participants = [];
            },
            seq,
          )
        )
          return;
        this.logger.log(`meeting ${meetingId} ended: releasing its AI context`);
        break;
      default:
        break;
    }
  }

  @OnEvent('media_events')
  onMediaEvent(event: EventEnvelope<MediaEventData>): void {
    const { meetingId, recordingId } = event.data ?? {};
    if (event.type === 'recording.processed' && typeof meetingId === 'string' && typeof recordingId === 'string') {
      this.contexts.update(meetingId, event.type, (c) => {
        if (!c.recordings.includes(recordingId)) c.recordings.push(recordingId);
      });
      this.logger.log(`recording ${recordingId} of meeting ${meetingId} is ready for post-meeting analysis`);
    } else {
      this.logger.debug(`media event ${event.type} from ${event.source}`);
    }
  }
}
