import { DynamicModule, Module } from '@nestjs/common';
import { QueueAppConfig } from '@meeting/queue';
import { QueueDashboardModule, QueueModule } from '@meeting/queue/nest';
import { AiTasks } from './meetings/ai-tasks.service';
import { MediaTasks } from './meetings/media-tasks.service';
import { MeetingEventsPublisher } from './meetings/meeting-events.publisher';
import { MeetingRepository } from './meetings/meeting.repository';
import { MeetingsController } from './meetings/meetings.controller';
import { MeetingsService } from './meetings/meetings.service';
import { MeetingMetrics } from './meetings/meeting.metrics';

export interface MeetingServiceOptions {
  /** The resolved configuration (`loadServiceConfig()`). */
  config: QueueAppConfig;
  /** How long shutdown waits for running handlers (default 10 000 ms). */
  drainTimeoutMs?: number;
  /** Token that unlocks the operators' dashboard at /queues (main.ts: `MQ_ADMIN_TOKEN`); without it the dashboard is read-only. */
  dashboardAdminToken?: string;
}

/**
 * The meeting-service: meetings REST API, meeting_events publisher, dispatches to the ai- and media-services; /health, /health/ready,
 * /metrics from QueueModule; on Redis, the operators' queue dashboard of the whole platform at /queues (docs/dashboard.md).
 */
@Module({})
export class AppModule {
  static register(options: MeetingServiceOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        QueueModule.forRoot({ config: options.config, drainTimeoutMs: options.drainTimeoutMs ?? 10_000 }),
        // the dashboard reads Redis; on the in-memory backend each service's queues live only in its own process
        ...(options.config.message_queue.type === 'redis' ? [QueueDashboardModule.forRoot({ path: '/queues', adminToken: options.dashboardAdminToken })] : []),
      ],
      controllers: [MeetingsController],
      providers: [MeetingRepository, MeetingEventsPublisher, MeetingsService, MediaTasks, AiTasks, MeetingMetrics],
    };
  }
}
