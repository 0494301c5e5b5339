import { DynamicModule, Module } from '@nestjs/common';
import { QueueAppConfig } from '@meeting/queue';
import { QueueModule } from '@meeting/queue/nest';
import { PlatformHttpModule, RateLimitOptions } from '@meeting/http';
import { AiTasks } from './meetings/ai-tasks.service';
import { MediaTasks } from './meetings/media-tasks.service';
import { MeetingEventsPublisher } from './meetings/meeting-events.publisher';
import { MeetingRepository } from './meetings/meeting.repository';
import { MeetingsController } from './meetings/meetings.controller';
import { MeetingsService } from './meetings/meetings.service';
import { MeetingMetrics } from './meetings/meeting.metrics';
import { meetingSeqProvider } from './meetings/seq/meeting-seq.provider';

export interface MeetingServiceOptions {
  /** The resolved configuration (`loadServiceConfig()`). */
  config: QueueAppConfig;
  /** How long shutdown waits for running handlers (default 10 000 ms). */
  drainTimeoutMs?: number;
  /** Rate limit of the public endpoints (default: RATE_LIMIT / RATE_LIMIT_WINDOW_MS, else 120 per minute), shared through Redis; false for none. */
  rateLimit?: Partial<RateLimitOptions> | false;
}

/** The meeting-service: meetings REST API, meeting_events publisher, dispatches to the ai- and media-services; /health, /health/ready, /metrics from QueueModule. */
@Module({})
export class AppModule {
  static register(options: MeetingServiceOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        QueueModule.forRoot({ config: options.config, drainTimeoutMs: options.drainTimeoutMs ?? 10_000 }),
        PlatformHttpModule.forRoot({ rateLimit: options.rateLimit }),
      ],
      controllers: [MeetingsController],
      providers: [meetingSeqProvider, MeetingRepository, MeetingEventsPublisher, MeetingsService, MediaTasks, AiTasks, MeetingMetrics],
    };
  }
}
