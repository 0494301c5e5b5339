import { Injectable, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { QueueManager } from '@meeting/queue';
import { PresenceStore } from './presence.store';

/** Domain gauges in the manager's registry (GET /metrics), read at scrape time: rooms by state, participants present. */
@Injectable()
export class PresenceMetrics implements OnModuleInit {
  constructor(
    private readonly queues: QueueManager,
    private readonly presence: PresenceStore,
  ) {}

  onModuleInit(): void {
    const registry = this.queues.metrics?.registry;
    if (!registry) return;
    const presence = this.presence;
    new Gauge({
      name: 'signaling_rooms',
      help: 'Meeting rooms known to this instance, by state.',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        const rooms = presence.list();
        for (const state of ['open', 'closed']) this.set({ state }, rooms.filter((r) => r.state === state).length);
      },
    });
    new Gauge({
      name: 'signaling_participants_present',
      help: 'Participants present in open rooms.',
      registers: [registry],
      collect() {
        this.set(presence.list().reduce((n, r) => n + r.participants.size, 0));
      },
    });
  }
}
