import { DynamicModule, INestApplication, Module } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import { QueueAppConfig } from '@meeting/queue';
import { QueueModule } from '@meeting/queue/nest';
import { PlatformHttpModule, RateLimitOptions } from '@meeting/http';
import { MeetingEventsHandler } from './presence/meeting-events.handler';
import { PresenceController } from './presence/presence.controller';
import { PresenceMetrics } from './presence/presence.metrics';
import { PRESENCE_PROVIDERS } from './presence/presence.providers';
import { MeetingRelay } from './sessions/meeting-relay';
import { SessionRegistry } from './sessions/session-registry';
import { SignalingGateway } from './sessions/signaling.gateway';
import { SIGNALING_OPTIONS, SignalingOptions, signalingOptionsFromEnv } from './sessions/signaling-options';

export interface SignalingServiceOptions {
  /** The resolved configuration (`loadServiceConfig()`). */
  config: QueueAppConfig;
  /** Join-token secret (default: from the environment, see signaling-options.ts). */
  signaling?: Partial<SignalingOptions>;
  /** How long shutdown waits for running handlers (default 10 000 ms). */
  drainTimeoutMs?: number;
  /** Rate limit of the public endpoints (default: RATE_LIMIT / RATE_LIMIT_WINDOW_MS, else 120 per minute), shared through Redis; false for none. */
  rateLimit?: Partial<RateLimitOptions> | false;
}

/**
 * The signaling-service: the signaling WebSocket at /signaling (ws adapter; call
 * {@link configureSignalingApp} before `init`/`listen`), presence in Redis, session events on
 * signaling_events, meeting_events for ends and removals; /health, /health/ready, /metrics from QueueModule.
 */
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
      providers: [
        { provide: SIGNALING_OPTIONS, useFactory: () => ({ ...signalingOptionsFromEnv(), ...options.signaling }) },
        ...PRESENCE_PROVIDERS,
        SessionRegistry,
        MeetingRelay,
        SignalingGateway,
        MeetingEventsHandler,
        PresenceMetrics,
      ],
    };
  }
}

/** The WebSocket adapter of the signaling gateway (ws, on the HTTP server's port). */
export function configureSignalingApp(app: INestApplication): void {
  app.useWebSocketAdapter(new WsAdapter(app));
}
