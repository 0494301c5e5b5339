import { DynamicModule, Module } from '@nestjs/common';
import { QueueAppConfig } from '@meeting/queue';
import { QueueModule } from '@meeting/queue/nest';
import { PlatformHttpModule, RateLimitOptions } from '@meeting/http';
import { MeetingEventsHandler } from './presence/meeting-events.handler';
import { PresenceController } from './presence/presence.controller';
import { PresenceStore } from './presence/presence.store';
import { PresenceMetrics } from './presence/presence.metrics';

export interface SignalingServiceOptions {
  /** The resolved configuration (`loadServiceConfig()`). */
  config: QueueAppConfig;
  /** How long shutdown waits for running handlers (default 10 000 ms). */
  drainTimeoutMs?: number;
  /** Rate limit of the public endpoints (default: RATE_LIMIT / RATE_LIMIT_WINDOW_MS, else 120 per minute), shared through Redis; false for none. */
  rateLimit?: Partial<RateLimitOptions> | false;
}

/** The signaling-service: presence from meeting_events, signaling_events publisher, presence REST; /health, /health/ready, /metrics from QueueModule. */
@Module({})
export class AppModule {
  static register(options: SignalingServiceOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        QueueModule.forRoot({ config: options.config, drainTimeoutMs: options.drainTimeoutMs ?? 10_000 }),
        PlatformHttpModule.forRoot({ rateLimit: options.rateLimit }),
      ],
      controllers: [PresenceController],
      providers: [PresenceStore, MeetingEventsHandler, PresenceMetrics],
    };
  }
}
