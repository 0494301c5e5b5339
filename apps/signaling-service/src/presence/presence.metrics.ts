import { Injectable, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { QueueManager } from '@meeting/queue';
import { SessionRegistry } from '../sessions/session-registry';

/** Domain gauge in the manager's registry (GET /metrics), read at scrape time: WebSocket sessions held by this instance. */
@Injectable()
export class PresenceMetrics implements OnModuleInit {
  constructor(
    private readonly queues: QueueManager,
    private readonly sessions: SessionRegistry,
  ) {}

  onModuleInit(): void {
    const registry = this.queues.metrics?.registry;
    if (!registry) return;
    const sessions = this.sessions;
    new Gauge({
      name: 'signaling_sessions',
      help: 'Signaling WebSocket sessions open on this instance.',
      registers: [registry],
      collect() {
        this.set(sessions.all().length);
      },
    });
  }
}
