import { Injectable, Logger } from '@nestjs/common';
import { EventEnvelope, QueueManager } from '@meeting/queue';
import { OnEvent } from '@meeting/queue/nest';
import { PresenceChange, PresenceStore } from './presence.store';

export const SIGNALING_EVENTS = 'signaling_events';

interface MeetingEventData {
  meetingId?: unknown;
  seq?: unknown;
  participantId?: unknown;
  name?: unknown;
  joinedAt?: unknown;
}

/**
 * Keeps presence from `meeting_events` and announces each change on `signaling_events`
 * (`room.opened`, `presence.joined`, `presence.left`, `room.closed`, each with the participant count)
 * for the clients' signaling gateway.
 */
@Injectable()
export class MeetingEventsHandler {
  private readonly logger = new Logger('Presence');

  constructor(
    private readonly presence: PresenceStore,
    private readonly queues: QueueManager,
  ) {}

  @OnEvent('meeting_events')
  async onMeetingEvent(event: EventEnvelope<MeetingEventData>): Promise<void> {
    const { meetingId, seq, participantId, name, joinedAt } = event.data ?? {};
    if (typeof meetingId !== 'string' || typeof seq !== 'number') return;
    const change = this.toChange(event.type, participantId, name, joinedAt);
    if (!change || !this.presence.apply(meetingId, seq, change)) return;
    const room = this.presence.get(meetingId)!;
    const count = room.participants.size;
    const signal = { opened: 'room.opened', joined: 'presence.joined', left: 'presence.left', closed: 'room.closed' }[change.kind];
    this.logger.log(`meeting ${meetingId}: ${signal}${typeof participantId === 'string' ? ` ${participantId}` : ''} (${count} present)`);
    await this.queues.publishEvent(SIGNALING_EVENTS, signal, {
      meetingId,
      participantId: typeof participantId === 'string' ? participantId : undefined,
      participants: count,
      seq,
    });
  }

  private toChange(type: string, participantId: unknown, name: unknown, joinedAt: unknown): PresenceChange | undefined {
    switch (type) {
      case 'meeting.created':
        return { kind: 'opened' };
      case 'participant.joined':
        if (typeof participantId !== 'string') return undefined;
        return {
          kind: 'joined',
          participant: { participantId, name: typeof name === 'string' ? name : undefined, joinedAt: typeof joinedAt === 'string' ? joinedAt : undefined },
        };
      case 'participant.left':
        return typeof participantId === 'string' ? { kind: 'left', participantId } : undefined;
      case 'meeting.ended':
        return { kind: 'closed' };
      default:
        return undefined;
    }
  }
}
