import type { INestApplication } from '@nestjs/common';
import { QueueAppConfig } from '@meeting/queue';
import { configureHttpApp, HttpAppOptions } from '@meeting/http';

/**
 * The HTTP conventions of the platform for the meeting-service (main.ts and the tests): JSON bodies only,
 * the body limit (`limits.max_payload_bytes`), the request bound (HTTP_REQUEST_TIMEOUT_MS, else
 * `http.requestTimeoutMs`, else 10 s; tests set a short one), the global ValidationPipe and OpenAPI at /docs.
 */
export function configureApp(app: INestApplication, config: QueueAppConfig, http: Pick<HttpAppOptions, 'requestTimeoutMs'> = {}): void {
  configureHttpApp(app, {
    name: 'meeting-service',
    description: 'Meetings, participants, transcripts and emotion requests; publishes meeting_events and dispatches work to the ai- and media-services.',
    bodyLimitBytes: config.limits.max_payload_bytes,
    requestTimeoutMs: http.requestTimeoutMs,
  });
}
