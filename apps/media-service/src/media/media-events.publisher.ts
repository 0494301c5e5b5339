import { Injectable, Logger } from '@nestjs/common';
import { QueueManager } from '@meeting/queue';

export const MEDIA_EVENTS = 'media_events';

/** Publishes on the `media_events` channel (recording.processed, media.transcoded, media.cleanup_completed). */
@Injectable()
export class MediaEventsPublisher {
  private readonly logger = new Logger('MediaEvents');

  constructor(private readonly queues: QueueManager) {}

  async publish(type: string, data: Record<string, unknown>): Promise<void> {
    const id = await this.queues.publishEvent(MEDIA_EVENTS, type, data);
    this.logger.log(`${type} published as ${id}`);
  }
}
