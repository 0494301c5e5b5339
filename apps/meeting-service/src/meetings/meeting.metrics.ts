import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { QueueManager } from '@meeting/queue';
import { MEETING_REPOSITORY, MeetingRepository } from './store/meeting-store';

/** Domain gauges in the manager's registry (GET /metrics), read from the shared state at scrape time (the newest 1000 meetings): meetings by state, participants connected. */
@Injectable()
export class MeetingMetrics implements OnModuleInit {
  constructor(
    private readonly queues: QueueManager,
    @Inject(MEETING_REPOSITORY) private readonly repository: MeetingRepository,
  ) {}

  onModuleInit(): void {
    const registry = this.queues.metrics?.registry;
    if (!registry) return;
    const repository = this.repository;
    new Gauge({
      name: 'meeting_meetings',
      help: 'Meetings (the newest 1000), by state.',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        const meetings = await repository.list();
        for (const state of ['active', 'ended']) this.set({ state }, meetings.filter((m) => m.state === state).length);
      },
    });
    new Gauge({
      name: 'meeting_participants',
      help: 'Participants connected to active meetings (the newest 1000).',
      registers: [registry],
      async collect() {
        const meetings = await repository.list();
        this.set(meetings.reduce((n, m) => n + m.participants.filter((p) => p.connected).length, 0));
      },
    });
  }
}
