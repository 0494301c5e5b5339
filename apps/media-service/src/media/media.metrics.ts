import { Injectable, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { QueueManager } from '@meeting/queue';
import { MediaLibrary } from './media-library.service';

/** Domain gauge in the manager's registry (GET /metrics), read at scrape time: recordings stored. */
@Injectable()
export class MediaMetrics implements OnModuleInit {
  constructor(
    private readonly queues: QueueManager,
    private readonly library: MediaLibrary,
  ) {}

  onModuleInit(): void {
    const registry = this.queues.metrics?.registry;
    if (!registry) return;
    const library = this.library;
    new Gauge({
      name: 'media_recordings',
      help: 'Recordings stored by this instance.',
      registers: [registry],
      collect() {
        this.set(library.list().length);
      },
    });
  }
}
