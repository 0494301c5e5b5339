import { Injectable, Logger } from '@nestjs/common';
import { CHANNELS, ContractError, MeetingEventData, MeetingEventType, parseEvent } from '@meeting/contracts';
import { QueueManager } from '@meeting/queue';

/**
 * Publishes on the `meeting_events` channel, each event checked against its contract first. A failed
 * publish is logged, never thrown at the REST caller (the change is already made); a contract breach
 * is a bug of this service and is logged as an error without publishing.
 */
@Injectable()
export class MeetingEventsPublisher {
  private readonly logger = new Logger('MeetingEvents');

  constructor(private readonly queues: QueueManager) {}

  async publish<T extends MeetingEventType>(type: T, data: MeetingEventData<T>): Promise<void> {
    try {
      const checked = parseEvent(CHANNELS.meeting, type, data);
      const id = await this.queues.publishEvent(CHANNELS.meeting, type, checked);
      this.logger.log(`${type} ${data.meetingId} (seq ${data.seq}) published as ${id}`);
    } catch (error) {
      const what = error instanceof ContractError ? 'breaks its contract' : 'could not be published';
      this.logger.error(`${type} for meeting ${data.meetingId} ${what}: ${(error as Error).message}`);
    }
  }
}
