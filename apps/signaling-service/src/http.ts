import type { INestApplication } from '@nestjs/common';
import { QueueAppConfig } from '@meeting/queue';
import { configureHttpApp } from '@meeting/http';

/**
 * The HTTP conventions of the platform for the signaling-service (main.ts and the tests): JSON bodies only,
 * the body limit (`limits.max_payload_bytes`), the global ValidationPipe and OpenAPI at /docs.
 */
export function configureApp(app: INestApplication, config: QueueAppConfig): void {
  configureHttpApp(app, {
    name: 'signaling-service',
    description:
      'WebSocket signaling at /signaling (join tokens from the meeting-service; offers, answers, ICE candidates, mute) relayed across instances; presence of participants per meeting; session events on signaling_events.',
    bodyLimitBytes: config.limits.max_payload_bytes,
  });
}
