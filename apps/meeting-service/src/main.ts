/** meeting-service: `node -r ts-node/register/transpile-only -r tsconfig-paths/register apps/meeting-service/src/main.ts` (PORT, default 3002). */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { loadServiceConfig } from './service-config';

const DEFAULT_PORT = 3002;

async function bootstrap(): Promise<void> {
  const config = loadServiceConfig();
  const app = await NestFactory.create(AppModule.register({ config }));
  app.enableShutdownHooks();
  const port = Number(process.env.PORT || DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`PORT must be a TCP port number, got "${process.env.PORT}"`);
  await app.listen(port);
  new Logger('Bootstrap').log(`${config.service_name} listening on http://localhost:${port} (queue ${config.message_queue.type}, events ${config.event_bus.type})`);
}

bootstrap().catch((error) => {
  new Logger('Bootstrap').error(`meeting-service failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
