import { Injectable, Logger } from '@nestjs/common';
import { CHANNELS, MediaEventData, MediaEventType, parseEvent } from '@meeting/contracts';
import { QueueManager } from '@meeting/queue';

/** Publishes on the `media_events` channel (recording.processed, media.transcoded, media.cleanup_completed), each checked against its contract first. */
@Injectable()
export class MediaEventsPublisher {
  private readonly logger = new Logger('MediaEvents');

  constructor(private readonly queues: QueueManager) {}

  /** @throws ContractError when `data` breaks the event's contract (a bug of this service: the task fails) */
  async publish<T extends MediaEventType>(type: T, data: MediaEventData<T>): Promise<void> {
    const id = await this.queues.publishEvent(CHANNELS.media, type, parseEvent(CHANNELS.media, type, data));
    this.logger.log(`${type} published as ${id}`);
  }
}
