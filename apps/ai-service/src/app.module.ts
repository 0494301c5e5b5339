import { DynamicModule, Module } from '@nestjs/common';
import { QueueAppConfig } from '@meeting/queue';
import { QueueModule } from '@meeting/queue/nest';
import { PlatformHttpModule, RateLimitOptions } from '@meeting/http';
import { AiController } from './ai.controller';
import { AiTaskHandlers } from './inference/ai-task.handlers';
import { InferenceService } from './inference/inference.service';
import { MEETING_CONTEXT_PROVIDERS } from './meetings/context/meeting-context.providers';
import { PlatformEventsHandlers } from './meetings/platform-events.handlers';
import { ModelEventsListener } from './models/model-events.listener';
import { ModelRegistry } from './models/model-registry.service';
import { ModelMetrics } from './models/model.metrics';
import { RESULT_PROVIDERS } from './results/result.providers';

export interface AiServiceOptions {
  /** The resolved configuration (`loadServiceConfig()`). */
  config: QueueAppConfig;
  /** How long shutdown waits for running tasks (default 10 000 ms). */
  drainTimeoutMs?: number;
  /** Rate limit of the public endpoints (default: RATE_LIMIT / RATE_LIMIT_WINDOW_MS, else 120 per minute), shared through Redis; false for none. */
  rateLimit?: Partial<RateLimitOptions> | false;
}

/** The ai-service: AI task handlers, meeting/media event subscriptions, model registry; /health, /health/ready, /metrics from QueueModule. */
@Module({})
export class AppModule {
  static register(options: AiServiceOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        QueueModule.forRoot({ config: options.config, drainTimeoutMs: options.drainTimeoutMs ?? 10_000 }),
        PlatformHttpModule.forRoot({ rateLimit: options.rateLimit }),
      ],
      controllers: [AiController],
      providers: [
        ...RESULT_PROVIDERS,
        ...MEETING_CONTEXT_PROVIDERS,
        ModelRegistry,
        ModelEventsListener,
        ModelMetrics,
        InferenceService,
        AiTaskHandlers,
        PlatformEventsHandlers,
      ],
    };
  }
}
