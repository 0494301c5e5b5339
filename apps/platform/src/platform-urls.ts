import { EmbeddedRedis, maskRedisUrl } from '@meeting/queue';
import type { PlatformService } from './services';

/**
 * What the launcher prints once every service answers /health: the backend, each service's URL with
 * its /docs (OpenAPI), /health, /health/ready and /metrics, the queue dashboard (mounted by the
 * meeting-service on Redis; unlocked when `env.MQ_ADMIN_TOKEN` is set), a first request to try, how to stop.
 */
export function platformUrls(services: PlatformService[], embedded: EmbeddedRedis, env: NodeJS.ProcessEnv = process.env): string[] {
  const backend = embedded.kind === 'memory' ? 'in-memory backend (no cross-service events or dispatch)' : `Redis ${maskRedisUrl(embedded.url)}`;
  const meeting = services.find((s) => s.name === 'meeting-service') ?? services[0];
  const dashboard =
    embedded.kind === 'memory'
      ? 'none (the queue dashboard reads Redis)'
      : `http://localhost:${meeting.port}/queues/ (${env.MQ_ADMIN_TOKEN ? 'admin token set: MQ_ADMIN_TOKEN' : 'read-only; MQ_ADMIN_TOKEN of 16+ characters unlocks replay, delete, pause'})`;
  return [
    '',
    `platform up on ${backend}:`,
    ...services.flatMap((s) => {
      const url = `http://localhost:${s.port}`;
      return [
        `  ${s.name.padEnd(18)} ${url}`,
        `  ${''.padEnd(18)} ${url}/docs (OpenAPI; JSON at /docs-json)   ${url}/health   ${url}/health/ready   ${url}/metrics`,
      ];
    }),
    `  dashboard: ${dashboard}`,
    `  try: curl -s -XPOST localhost:${meeting.port}/meetings -H 'content-type: application/json' -d '{"title":"standup"}'`,
    '  Ctrl-C stops the services (they drain), then Redis.',
    '',
  ];
}
