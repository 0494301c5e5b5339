import { Injectable, Logger } from '@nestjs/common';
import { QueueManager } from '@meeting/queue';

export const MEETING_EVENTS = 'meeting_events';

/** Publishes on the `meeting_events` channel. A failed publish is logged, never thrown at the REST caller (the change is already made). */
@Injectable()
export class MeetingEventsPublisher {
  private readonly logger = new Logger('MeetingEvents');

  constructor(private readonly queues: QueueManager) {}

  async publish(type: string, data: { meetingId: string; seq: number } & Record<string, unknown>): Promise<void> {
    try {
      const id = await this.queues.publishEvent(MEETING_EVENTS, type, data);
      this.logger.log(`${type} ${data.meetingId} (seq ${data.seq}) published as ${id}`);
    } catch (error) {
      this.logger.error(`could not publish ${type} for meeting ${data.meetingId}: ${(error as Error).message}`);
    }
  }
}
