import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { QueueManager } from '@meeting/queue';
import { MEDIA_OPTIONS, MediaOptions } from './media-options';

export const CLEANUP_KEY = 'media-cleanup';

/**
 * Schedules the recurring `media_cleanup` task (every `cleanupIntervalMs`, key `media-cleanup`).
 * The definition lives in Redis under the service's scheduler: replicas share it and each run
 * happens once; scheduling again with the same timing keeps the next run.
 */
@Injectable()
export class CleanupSchedule implements OnApplicationBootstrap {
  private readonly logger = new Logger('CleanupSchedule');

  constructor(
    private readonly queues: QueueManager,
    @Inject(MEDIA_OPTIONS) private readonly options: MediaOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const id = await this.queues.scheduleTask({ type: 'media_cleanup' }, { everyMs: this.options.cleanupIntervalMs, key: CLEANUP_KEY, missed: 'run_once' });
    this.logger.log(`media_cleanup scheduled every ${this.options.cleanupIntervalMs} ms (${id})`);
  }
}
