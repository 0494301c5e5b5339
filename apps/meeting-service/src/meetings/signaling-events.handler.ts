import { Injectable, Logger } from '@nestjs/common';
import { CHANNELS, ContractError, readEvent } from '@meeting/contracts';
import { EventEnvelope } from '@meeting/queue';
import { OnEvent } from '@meeting/queue/nest';
import { MeetingsService } from './meetings.service';

/**
 * Participants' connections, from the signaling-service's `signaling_events` (read once per service:
 * one replica handles each): a session opened publishes participant.joined, a closed one participant.left.
 */
@Injectable()
export class SignalingEventsHandler {
  private readonly logger = new Logger('SignalingEvents');

  constructor(private readonly meetings: MeetingsService) {}

  @OnEvent(CHANNELS.signaling)
  async onSignalingEvent(envelope: EventEnvelope): Promise<void> {
    let event;
    try {
      event = readEvent(CHANNELS.signaling, envelope);
    } catch (error) {
      if (error instanceof ContractError) return this.logger.warn(`signaling event ${envelope.id} dropped: ${error.message}`);
      throw error;
    }
    if (event?.type === 'session.opened') await this.meetings.connected(event.data.meetingId, event.data.participantId);
    else if (event?.type === 'session.closed') await this.meetings.disconnected(event.data.meetingId, event.data.participantId);
    else if (event?.type === 'session.muted') await this.meetings.muted(event.data.meetingId, event.data.participantId, event.data.muted);
  }
}
