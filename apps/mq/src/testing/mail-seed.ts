/**
 * The `mail` queue both mq.e2e.spec.ts and dashboard.browser.spec.ts seed: dead letters made by
 * handlers that throw, and a worker that runs what a replay puts back.
 */
import type Redis from 'ioredis';
import { createQueue, PublishOptions, StoreBackedQueue } from '@meeting/queue';
import { waitFor } from '@meeting/queue/testing';

/**
 * Publishes `messages` to the `mail` queue (no retries) while a handler per type of `errors` throws
 * that type's message; resolves with their ids once every one is a dead letter.
 */
export async function seedMailDeadLetters(client: Redis, prefix: string, errors: Record<string, string>, messages: PublishOptions[]): Promise<string[]> {
  const mail = createQueue({ name: 'mail', maxRetries: 0, backend: { type: 'redis', client, prefix } });
  try {
    for (const [type, message] of Object.entries(errors)) {
      mail.process(type, async () => {
        throw new Error(message);
      });
    }
    const ids = await mail.publishBatch(messages);
    await waitFor(async () => (await mail.stats()).dead_letter_count === messages.length, `${messages.length} dead letters`);
    return ids;
  } finally {
    await mail.close();
  }
}

/** A worker for the `mail` queue's `send` tasks (the caller closes `queue`): `ran` lists the ids it ran, in order. */
export function mailSendWorker(client: Redis, prefix: string): { queue: StoreBackedQueue; ran: string[] } {
  const ran: string[] = [];
  const queue = createQueue({ name: 'mail', backend: { type: 'redis', client, prefix } });
  queue.process('send', async (m) => {
    ran.push(m.id);
    return 'sent';
  });
  return { queue, ran };
}
