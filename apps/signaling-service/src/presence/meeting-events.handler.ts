import { Injectable, Logger } from '@nestjs/common';
import { ChannelEvent, CHANNELS, parseEvent, readEvent, SignalingEventType } from '@meeting/contracts';
import { EventEnvelope, QueueManager } from '@meeting/queue';
import { OnEvent } from '@meeting/queue/nest';
import { PresenceChange, PresenceStore } from './presence.store';

const SIGNALS: Record<PresenceChange['kind'], SignalingEventType> = {
  opened: 'room.opened',
  joined: 'presence.joined',
  left: 'presence.left',
  closed: 'room.closed',
};

/**
 * Keeps presence from `meeting_events` (checked against @meeting/contracts; a breach is logged and
 * dropped) and announces each change on `signaling_events` (`room.opened`, `presence.joined`,
 * `presence.left`, `room.closed`, each with the participant count) for the clients' signaling gateway.
 */
@Injectable()
export class MeetingEventsHandler {
  private readonly logger = new Logger('Presence');

  constructor(
    private readonly presence: PresenceStore,
    private readonly queues: QueueManager,
  ) {}

  @OnEvent(CHANNELS.meeting)
  async onMeetingEvent(envelope: EventEnvelope): Promise<void> {
    let event: ChannelEvent<typeof CHANNELS.meeting> | undefined;
    try {
      event = readEvent(CHANNELS.meeting, envelope);
    } catch (error) {
      this.logger.warn(`meeting_events event ${envelope.id} from ${envelope.source} dropped: ${(error as Error).message}`);
      return;
    }
    const change = event && this.toChange(event);
    if (!event || !change) return;
    const { meetingId, seq } = event.data;
    if (!this.presence.apply(meetingId, seq, change)) return;
    const participantId = change.kind === 'joined' ? change.participant.participantId : change.kind === 'left' ? change.participantId : undefined;
    const participants = this.presence.get(meetingId)!.participants.size;
    const signal = SIGNALS[change.kind];
    this.logger.log(`meeting ${meetingId}: ${signal}${participantId ? ` ${participantId}` : ''} (${participants} present)`);
    const data = parseEvent(CHANNELS.signaling, signal, { meetingId, participantId, participants, seq });
    await this.queues.publishEvent(CHANNELS.signaling, signal, data);
  }

  private toChange(event: ChannelEvent<typeof CHANNELS.meeting>): PresenceChange | undefined {
    switch (event.type) {
      case 'meeting.created':
        return { kind: 'opened' };
      case 'participant.joined': {
        const { participantId, name, joinedAt } = event.data;
        return { kind: 'joined', participant: { participantId, name, joinedAt } };
      }
      case 'participant.left':
        return { kind: 'left', participantId: event.data.participantId };
      case 'meeting.ended':
        return { kind: 'closed' };
      default:
        return undefined;
    }
  }
}
