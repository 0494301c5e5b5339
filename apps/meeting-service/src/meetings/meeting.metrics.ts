import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { QueueManager } from '@meeting/queue';
import { ScrapeRead, scrapeGauge } from '@meeting/http';
import { MEETING_REPOSITORY, MeetingRepository } from './store/meeting-store';

/**
 * Domain gauges in the manager's registry (GET /metrics), read from the shared state at scrape time
 * (the newest 1000 meetings, one read per scrape for both, bounded by `health.ping_timeout_ms`; left
 * out of a scrape that could not read them): meetings by state, participants connected.
 */
@Injectable()
export class MeetingMetrics implements OnModuleInit {
  constructor(
    private readonly queues: QueueManager,
    @Inject(MEETING_REPOSITORY) private readonly repository: MeetingRepository,
  ) {}

  onModuleInit(): void {
    const registry = this.queues.metrics?.registry;
    if (!registry) return;
    const meetings = new ScrapeRead(() => this.repository.list(), this.queues.config.health.ping_timeout_ms);
    scrapeGauge(meetings, { name: 'meeting_meetings', help: 'Meetings (the newest 1000), by state.', labelNames: ['state'], registry }, (gauge, list) => {
      for (const state of ['active', 'ended']) gauge.set({ state }, list.filter((m) => m.state === state).length);
    });
    scrapeGauge(meetings, { name: 'meeting_participants', help: 'Participants connected to active meetings (the newest 1000).', registry }, (gauge, list) =>
      gauge.set(list.reduce((n, m) => n + m.participants.filter((p) => p.connected).length, 0)),
    );
  }
}
