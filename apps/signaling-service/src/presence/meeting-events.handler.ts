import { Inject, Injectable, Logger } from '@nestjs/common';
import { CHANNELS, ContractError, readEvent } from '@meeting/contracts';
import { EventEnvelope } from '@meeting/queue';
import { OnEvent } from '@meeting/queue/nest';
import { MeetingRelay } from '../sessions/meeting-relay';
import { PRESENCE_REPOSITORY, PresenceRepository } from './presence-repository';

/**
 * What the signaling-service takes from `meeting_events` (read by one instance of the service):
 * `meeting.ended` closes the meeting's sessions on every instance (through the relay) and refuses
 * new ones; `participant.left` with reason `removed` closes that participant's session and
 * refuses its join tokens issued before the removal.
 */
@Injectable()
export class MeetingEventsHandler {
  private readonly logger = new Logger('MeetingEvents');

  constructor(
    @Inject(PRESENCE_REPOSITORY) private readonly presence: PresenceRepository,
    private readonly relay: MeetingRelay,
  ) {}

  @OnEvent(CHANNELS.meeting)
  async onMeetingEvent(envelope: EventEnvelope): Promise<void> {
    let event;
    try {
      event = readEvent(CHANNELS.meeting, envelope);
    } catch (error) {
      if (error instanceof ContractError) return this.logger.warn(`meeting event ${envelope.id} dropped: ${error.message}`);
      throw error;
    }
    if (event?.type === 'meeting.ended') {
      await this.presence.markEnded(event.data.meetingId);
      await this.relay.publish(event.data.meetingId, { kind: 'meeting.ended' });
      this.logger.log(`meeting ${event.data.meetingId} ended: its sessions are closed`);
    } else if (event?.type === 'participant.left' && event.data.reason === 'removed') {
      // recorded before the sessions are closed: a reconnect with a token issued before the removal is refused from now on
      await this.presence.markRemoved(event.data.meetingId, event.data.participantId, event.data.seq);
      await this.relay.publish(event.data.meetingId, { kind: 'participant.removed', participantId: event.data.participantId });
    }
  }
}
