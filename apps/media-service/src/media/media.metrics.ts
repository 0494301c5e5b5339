import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { QueueManager } from '@meeting/queue';
import { RECORDING_REPOSITORY, RecordingRepository } from './store/recording-repository';

/** Domain gauge in the manager's registry (GET /metrics), read at scrape time: recordings stored. */
@Injectable()
export class MediaMetrics implements OnModuleInit {
  constructor(
    private readonly queues: QueueManager,
    @Inject(RECORDING_REPOSITORY) private readonly library: RecordingRepository,
  ) {}

  onModuleInit(): void {
    const registry = this.queues.metrics?.registry;
    if (!registry) return;
    const library = this.library;
    new Gauge({
      name: 'media_recordings',
      help: 'Recordings stored (shared by the replicas).',
      registers: [registry],
      async collect() {
        this.set((await library.list()).length);
      },
    });
  }
}
