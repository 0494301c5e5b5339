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
    description: 'Presence of participants per meeting, built from meeting_events; announces changes on signaling_events.',
    bodyLimitBytes: config.limits.max_payload_bytes,
  });
}
