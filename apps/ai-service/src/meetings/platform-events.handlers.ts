import { Injectable, Logger } from '@nestjs/common';
import { EventEnvelope, EventHandler } from '@meeting/queue';
import { MeetingContextStore } from './meeting-context.service';

interface MeetingEventData {
  meetingId?: string;
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

  @EventHandler('meeting_events')
  onMeetingEvent(event: EventEnvelope<MeetingEventData>): void {
    const { meetingId, participantId } = event.data ?? {};
    if (typeof meetingId !== 'string') return;
    switch (event.type) {
      case 'meeting.created':
        this.contexts.update(meetingId, event.type, (c) => void (c.state = 'active'));
        this.logger.log(`meeting ${meetingId} created ("${event.data.title ?? ''}"): speech recognition and emotion detection available`);
        break;
      case 'participant.joined':
        this.contexts.update(meetingId, event.type, (c) => {
          if (participantId && !c.participants.includes(participantId)) c.participants.push(participantId);
        });
        this.logger.log(`meeting ${meetingId}: participant ${participantId} joined`);
        break;
      case 'participant.left':
        this.contexts.update(meetingId, event.type, (c) => void (c.participants = c.participants.filter((p) => p !== participantId)));
        this.logger.log(`meeting ${meetingId}: participant ${participantId} left`);
        break;
      case 'meeting.ended':
        this.contexts.update(meetingId, event.type, (c) => {
          c.state = 'ended';
          c.participants = [];
        });
        this.logger.log(`meeting ${meetingId} ended: releasing its AI context`);
        break;
      default:
        break;
    }
  }

  @EventHandler('media_events')
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
