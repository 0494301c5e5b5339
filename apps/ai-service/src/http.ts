import type { INestApplication } from '@nestjs/common';
import { QueueAppConfig } from '@meeting/queue';
import { configureHttpApp } from '@meeting/http';

/**
 * The HTTP conventions of the platform for the ai-service (main.ts and the tests): JSON bodies only,
 * the body limit (`limits.max_payload_bytes`), the global ValidationPipe and OpenAPI at /docs.
 */
export function configureApp(app: INestApplication, config: QueueAppConfig): void {
  configureHttpApp(app, {
    name: 'ai-service',
    description:
      'Models and what the AI service knows of each meeting; runs speech_recognition, emotion_detection, audio_denoising and video_enhancement from the ai_tasks queue.',
    bodyLimitBytes: config.limits.max_payload_bytes,
  });
}
