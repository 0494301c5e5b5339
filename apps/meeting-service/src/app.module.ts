import { DynamicModule, Module } from '@nestjs/common';
import { QueueAppConfig } from '@meeting/queue';
import { QueueDashboardModule, QueueModule } from '@meeting/queue/nest';
import { PlatformHttpModule, RateLimitOptions } from '@meeting/http';
import { AnalysisPipeline } from './lifecycle/analysis.pipeline';
import { LifecycleTaskHandlers } from './lifecycle/lifecycle-task.handlers';
import { MeetingScheduleService } from './lifecycle/meeting-schedule.service';
import { TaskOwners } from './lifecycle/task-owners';
import { AiTasks } from './meetings/ai-tasks.service';
import { JoinTokens } from './meetings/join-tokens.service';
import { MeetingEventsPublisher } from './meetings/meeting-events.publisher';
import { MEETING_OPTIONS, MeetingOptions, meetingOptionsFromEnv } from './meetings/meeting-options';
import { MeetingsController } from './meetings/meetings.controller';
import { MeetingsService } from './meetings/meetings.service';
import { MeetingMetrics } from './meetings/meeting.metrics';
import { SignalingEventsHandler } from './meetings/signaling-events.handler';
import { STORE_PROVIDERS } from './meetings/store/store.providers';

export interface MeetingServiceOptions {
  /** The resolved configuration (`loadServiceConfig()`). */
  config: QueueAppConfig;
  /** Join tokens, maximum duration, reminder (default: from the environment, see meeting-options.ts). */
  meetings?: Partial<MeetingOptions>;
  /** How long shutdown waits for running handlers (default 10 000 ms). */
  drainTimeoutMs?: number;
  /** Rate limit of the public endpoints (default: RATE_LIMIT / RATE_LIMIT_WINDOW_MS, else 120 per minute), shared through Redis; false for none. */
  rateLimit?: Partial<RateLimitOptions> | false;
  /** Token that unlocks the operators' dashboard at /queues (main.ts: `MQ_ADMIN_TOKEN`), at least 16 characters; without it the dashboard is read-only. */
  dashboardAdminToken?: string;
  /** Host names the dashboard answers (main.ts: `MQ_DASHBOARD_ALLOWED_HOSTS`); any other `Host` gets 403. Default: every host. */
  dashboardAllowedHosts?: string[];
}

/**
 * The meeting-service: meetings REST API over state in Redis, join tokens for the signaling-service,
 * meeting_events publisher, the scheduled lifecycle (reminder, automatic end) and the post-meeting
 * analysis through the ai- and media-services; /health, /health/ready, /metrics from QueueModule;
 * on Redis, the operators' queue dashboard of the whole platform at /queues (docs/dashboard.md).
 */
@Module({})
export class AppModule {
  static register(options: MeetingServiceOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        QueueModule.forRoot({ config: options.config, drainTimeoutMs: options.drainTimeoutMs ?? 10_000 }),
        PlatformHttpModule.forRoot({ rateLimit: options.rateLimit }),
        // the dashboard reads Redis; on the in-memory backend each service's queues live only in its own process
        ...(options.config.message_queue.type === 'redis'
          ? [QueueDashboardModule.forRoot({ path: '/queues', adminToken: options.dashboardAdminToken, allowedHosts: options.dashboardAllowedHosts })]
          : []),
      ],
      controllers: [MeetingsController],
      providers: [
        { provide: MEETING_OPTIONS, useFactory: () => ({ ...meetingOptionsFromEnv(), ...options.meetings }) },
        ...STORE_PROVIDERS,
        MeetingEventsPublisher,
        JoinTokens,
        MeetingScheduleService,
        TaskOwners,
        AnalysisPipeline,
        MeetingsService,
        LifecycleTaskHandlers,
        SignalingEventsHandler,
        AiTasks,
        MeetingMetrics,
      ],
    };
  }
}
