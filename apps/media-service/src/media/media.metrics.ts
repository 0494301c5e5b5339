import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { QueueManager } from '@meeting/queue';
import { ScrapeRead, scrapeGauge } from '@meeting/http';
import { RECORDING_REPOSITORY, RecordingRepository } from './store/recording-repository';

/**
 * Domain gauge in the manager's registry (GET /metrics), read at scrape time (bounded by
 * `health.ping_timeout_ms`; left out of a scrape that could not read it): recordings stored.
 */
@Injectable()
export class MediaMetrics implements OnModuleInit {
  constructor(
    private readonly queues: QueueManager,
    @Inject(RECORDING_REPOSITORY) private readonly library: RecordingRepository,
  ) {}

  onModuleInit(): void {
    const registry = this.queues.metrics?.registry;
    if (!registry) return;
    const recordings = new ScrapeRead(() => this.library.list(), this.queues.config.health.ping_timeout_ms);
    scrapeGauge(recordings, { name: 'media_recordings', help: 'Recordings stored (shared by the replicas).', registry }, (gauge, list) =>
      gauge.set(list.length),
    );
  }
}
