import { Injectable, Logger } from '@nestjs/common';
import { parseTaskPayload } from '@meeting/contracts';
import { QueueManager } from '@meeting/queue';

/** Tasks for the media-service, sent through the dispatcher (route `recording_process` -> media_tasks). */
@Injectable()
export class MediaTasks {
  private readonly logger = new Logger('MediaTasks');

  constructor(private readonly queues: QueueManager) {}

  /** Dispatches the recording of an ended meeting; resolves to the task id, or undefined when it could not be sent (logged). */
  async processRecording(meetingId: string, durationMs: number, participants: string[]): Promise<string | undefined> {
    if (this.queues.config.message_queue.type !== 'redis') {
      this.logger.warn(
        `meeting ${meetingId}: recording not processed: the media-service is reached through Redis, and this service runs on the memory backend`,
      );
      return undefined;
    }
    try {
      const taskId = await this.queues.dispatcher.dispatch('recording_process', parseTaskPayload('recording_process', { meetingId, durationMs, participants }));
      this.logger.log(`meeting ${meetingId}: recording_process dispatched as ${taskId}`);
      return taskId;
    } catch (error) {
      this.logger.error(`meeting ${meetingId}: could not dispatch recording_process: ${(error as Error).message}`);
      return undefined;
    }
  }
}
