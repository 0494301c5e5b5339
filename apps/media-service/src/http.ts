import type { INestApplication } from '@nestjs/common';
import { QueueAppConfig } from '@meeting/queue';
import { configureHttpApp } from '@meeting/http';

/**
 * The HTTP conventions of the platform for the media-service (main.ts and the tests): JSON bodies only,
 * the body limit (`limits.max_payload_bytes`), the global ValidationPipe and OpenAPI at /docs.
 */
export function configureApp(app: INestApplication, config: QueueAppConfig): void {
  configureHttpApp(app, {
    name: 'media-service',
    description: 'Processed recordings and transcode requests; runs recording_process, transcode and media_cleanup from the media_tasks queue.',
    bodyLimitBytes: config.limits.max_payload_bytes,
  });
}
