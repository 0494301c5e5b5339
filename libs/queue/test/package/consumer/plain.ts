/**
 * A consumer of the packed @meeting/queue without Nest (copied into a scratch project by
 * package.spec.ts; compiled there against the package's own type declarations). Env: REDIS_URL.
 * Prints one JSON line with what it saw.
 */
import { ConsoleQueueLogger, createQueue, createRedisClient, QueueManager } from '@meeting/queue';

async function main(): Promise<void> {
  const url = process.env.REDIS_URL ?? '';
  const logger = new ConsoleQueueLogger({ format: 'json' });

  // A queue on its own.
  const client = createRedisClient({ url });
  const queue = createQueue({ name: 'pack_plain', backend: { type: 'redis', client }, logger });
  const handled = new Promise<number>((resolve) => {
    queue.process<{ n: number }, number>('double', (message) => {
      resolve(message.payload.n * 2);
      return message.payload.n * 2;
    });
  });
  const id = await queue.publish({ type: 'double', payload: { n: 21 }, priority: 'high' });
  const queueResult = await handled;
  let status = await queue.getStatus(id);
  for (let i = 0; i < 100 && status?.state !== 'completed'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    status = await queue.getStatus(id);
  }
  await queue.close();
  await client.quit();

  // The QueueManager from a configuration.
  const manager = await QueueManager.create(
    { service_name: 'pack_plain', redis: { url }, message_queue: { queue_name: 'pack_manager' }, event_bus: { enabled: false }, metrics: { enabled: false } },
    { env: {} },
  );
  const managed = new Promise<string>((resolve) => {
    manager.registerTaskHandler<{ word: string }, string>('shout', (payload) => {
      resolve(payload.word.toUpperCase());
      return payload.word.toUpperCase();
    });
  });
  await manager.start();
  await manager.publishTask({ type: 'shout', payload: { word: 'hello' } });
  const managerResult = await managed;
  await manager.shutdown({ drainTimeoutMs: 2000 });

  let internalsHidden = false;
  try {
    require.resolve('@meeting/queue/queue/redis/queue-keys');
  } catch (error) {
    internalsHidden = (error as { code?: string }).code === 'ERR_PACKAGE_PATH_NOT_EXPORTED';
  }
  const nestLoaded = Object.keys(require.cache).some((file) => file.includes('@nestjs'));
  process.stdout.write(`${JSON.stringify({ result: { queueResult, status: status?.state, managerResult, internalsHidden, nestLoaded } })}\n`);
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
