import { DynamicModule, Module } from '@nestjs/common';
import { QueueAppConfig } from '@meeting/queue';
import { QueueModule } from '@meeting/queue/nest';
import { PlatformHttpModule, RateLimitOptions } from '@meeting/http';
import { CleanupSchedule } from './media/cleanup-schedule.service';
import { MediaEventsPublisher } from './media/media-events.publisher';
import { MEDIA_OPTIONS, MediaOptions, mediaOptionsFromEnv } from './media/media-options';
import { MediaTaskHandlers } from './media/media-task.handlers';
import { MediaController } from './media/media.controller';
import { MediaMetrics } from './media/media.metrics';
import { RECORDING_PROVIDERS } from './media/store/recording.providers';

export interface MediaServiceOptions {
  /** The resolved configuration (`loadServiceConfig()`). */
  config: QueueAppConfig;
  /** Cleanup interval and retention (default: from the environment, see media-options.ts). */
  media?: Partial<MediaOptions>;
  /** How long shutdown waits for running tasks (default 10 000 ms). */
  drainTimeoutMs?: number;
  /** Rate limit of the public endpoints (default: RATE_LIMIT / RATE_LIMIT_WINDOW_MS, else 120 per minute), shared through Redis; false for none. */
  rateLimit?: Partial<RateLimitOptions> | false;
}

/** The media-service: media task handlers, media_events publisher, recurring cleanup; /health, /health/ready, /metrics from QueueModule. */
@Module({})
export class AppModule {
  static register(options: MediaServiceOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        QueueModule.forRoot({ config: options.config, drainTimeoutMs: options.drainTimeoutMs ?? 10_000 }),
        PlatformHttpModule.forRoot({ rateLimit: options.rateLimit }),
      ],
      controllers: [MediaController],
      providers: [
        { provide: MEDIA_OPTIONS, useValue: { ...mediaOptionsFromEnv(), ...options.media } },
        ...RECORDING_PROVIDERS,
        MediaEventsPublisher,
        MediaTaskHandlers,
        CleanupSchedule,
        MediaMetrics,
      ],
    };
  }
}
