/**
 * A consumer of the packed @meeting/queue with Nest (copied into a scratch project by
 * package.spec.ts): QueueModule, a handler decorated with @OnTask, /health/ready over HTTP.
 * Env: REDIS_URL. Prints one JSON line with what it saw.
 */
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { QueueManager } from '@meeting/queue';
import type { DispatchHandlerContext } from '@meeting/queue';
import { OnTask, QueueModule } from '@meeting/queue/nest';

let resolveHandled: (value: string) => void = () => undefined;
const handled = new Promise<string>((resolve) => (resolveHandled = resolve));

@Injectable()
class ShoutHandlers {
  @OnTask('shout')
  shout(payload: { word: string }, context: DispatchHandlerContext): string {
    resolveHandled(`${payload.word.toUpperCase()}:${context.attempt}`);
    return payload.word.toUpperCase();
  }
}

@Module({
  imports: [
    QueueModule.forRoot({
      config: {
        service_name: 'pack_nest',
        redis: { url: process.env.REDIS_URL },
        message_queue: { queue_name: 'pack_nest' },
        event_bus: { enabled: false },
        task_dispatcher: { routes: { shout: { queue: 'pack_nest' } } },
      },
      drainTimeoutMs: 2000,
    }),
  ],
  providers: [ShoutHandlers],
})
class AppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: ['log', 'warn', 'error'] });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const manager = app.get(QueueManager);
  const dispatched = await manager.dispatcher.dispatchAndWait<string>('shout', { word: 'nest' }, { timeoutMs: 10_000 });
  const seen = await handled;
  const ready = await fetch(`http://127.0.0.1:${address.port}/health/ready`);
  await app.close();
  process.stdout.write(`${JSON.stringify({ result: { dispatched, seen, readyStatus: ready.status } })}\n`);
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
