/**
 * Example producer and worker on the embedded default (REDIS_URL, else a private redis-server,
 * else memory). Publishes a task of a random priority every 300 ms, handles them, prints stats
 * every 5 s. Ctrl-C shuts down gracefully (in-flight tasks finish or are put back).
 */
import { ConsoleQueueLogger, createQueue, createRedisClient, Priority, PRIORITIES, resolveEmbeddedRedis } from '@meeting/queue';

async function main(): Promise<void> {
  const root = new ConsoleQueueLogger();
  const logger = root.child('Example');
  const embedded = await resolveEmbeddedRedis(process.env, root.child('EmbeddedRedis'));
  const client = embedded.kind === 'memory' ? undefined : createRedisClient({ url: embedded.url });
  const queue = createQueue({
    name: 'example',
    backend: client ? { type: 'redis', client } : { type: 'memory' },
    concurrency: 4,
    maxRetries: 2,
    backoff: { baseMs: 500 },
    logger: root,
  });

  queue.process<{ meetingId: string; seconds: number }, { words: number }>('speech_recognition', async (message, ctx) => {
    await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 150));
    if (Math.random() < 0.1) throw new Error('transient ASR failure');
    logger.log(`[${message.priority}] speech_recognition ${message.id} for ${message.payload.meetingId} (attempt ${ctx.attempt})`);
    return { words: Math.round(message.payload.seconds * 2.5) };
  });

  let n = 0;
  const producer = setInterval(() => {
    const priority: Priority = PRIORITIES[Math.floor(Math.random() * PRIORITIES.length)];
    queue
      .publish({ type: 'speech_recognition', priority, payload: { meetingId: `m-${++n}`, seconds: 10 + (n % 50) } })
      .catch((error) => logger.error(`publish failed: ${error.message}`));
  }, 300);
  const reporter = setInterval(() => {
    queue
      .stats()
      .then((s) => logger.log(`stats ${JSON.stringify(s)}`))
      .catch(() => undefined);
  }, 5000);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: draining`);
    clearInterval(producer);
    clearInterval(reporter);
    await queue.close({ drainTimeoutMs: 5000 });
    client?.disconnect();
    await embedded.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  logger.log(`running on the ${embedded.kind === 'memory' ? 'memory' : 'Redis'} backend; Ctrl-C to stop`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
