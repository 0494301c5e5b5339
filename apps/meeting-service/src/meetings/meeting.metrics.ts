import { Injectable, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { QueueManager } from '@meeting/queue';
import { MeetingRepository } from './meeting.repository';

/** Domain gauges in the manager's registry (GET /metrics), read at scrape time: meetings by state, participants present, transcripts by state. */
@Injectable()
export class MeetingMetrics implements OnModuleInit {
  constructor(
    private readonly queues: QueueManager,
    private readonly repository: MeetingRepository,
  ) {}

  onModuleInit(): void {
    const registry = this.queues.metrics?.registry;
    if (!registry) return;
    const repository = this.repository;
    new Gauge({
      name: 'meeting_meetings',
      help: 'Meetings held by this instance, by state.',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        const meetings = repository.list();
        for (const state of ['active', 'ended']) this.set({ state }, meetings.filter((m) => m.state === state).length);
      },
    });
    new Gauge({
      name: 'meeting_participants',
      help: 'Participants in active meetings.',
      registers: [registry],
      collect() {
        this.set(repository.list().reduce((n, m) => n + m.participants.length, 0));
      },
    });
    new Gauge({
      name: 'meeting_transcripts',
      help: 'Transcripts by state.',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        const all = repository.list().flatMap((m) => m.transcripts);
        for (const state of ['pending', 'completed', 'failed']) this.set({ state }, all.filter((t) => t.state === state).length);
      },
    });
  }
}
