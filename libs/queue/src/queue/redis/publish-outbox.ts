import { isConnectionError, RedisClient } from '../../redis/redis-connection';
import { refusalOf } from '../../redis/permanent-error-guard';
import { Outbox } from '../../util/outbox';
import { OutboxSender } from '../../redis/outbox-sender';
import { loggerFor, QueueLogger } from '../../logger';
import { publishChars } from '../publish-validation';
import type { StoredPublish } from '../queue-store';

/**
 * Backup producer for a Redis queue: while Redis is unreachable, publishes wait in a bounded
 * in-process outbox and are sent in order once the client is ready again. Such a publish resolves
 * at once with the message's id (chosen by the producer like every id). A full outbox rejects with
 * OutboxFullError and accepts nothing of the call. A batch re-sent after a failed flush is stored
 * once (the store skips ids it already has).
 *
 * Limits: the outbox lives in process memory (a crash of this process loses it); an offline
 * publish with an idempotency key that Redis already knows is dropped at flush (the first id
 * stays the valid one).
 *
 * While the client's connection attempts are refused for good (`WRONGPASS` after a password was
 * rotated, see `refusalOf`), a publish rejects at once with that typed error instead of waiting
 * in the outbox; what already waits there is sent once Redis accepts again. A flush that fails
 * while the client stays ready (a `BUSY` script, `CLUSTERDOWN`) is retried on a timer
 * ({@link OutboxSender}).
 */
export class PublishOutbox {
  private readonly outbox: Outbox<StoredPublish>;
  private readonly sender: OutboxSender<StoredPublish>;
  private readonly logger: QueueLogger;

  constructor(
    private readonly client: RedisClient,
    maxSize: number,
    queueName: string,
    private readonly send: (batch: StoredPublish[]) => Promise<string[]>,
    logger?: QueueLogger,
  ) {
    this.outbox = new Outbox<StoredPublish>(maxSize, `publish outbox of queue "${queueName}"`);
    this.logger = loggerFor(`Queue:${queueName}:outbox`, logger);
    this.sender = new OutboxSender(
      this.outbox,
      client,
      {
        send: async (batch) => void (await this.send(batch)),
        batches: { batchSize: 500, sizeOf: publishChars },
        noun: 'message',
        idOf: (m) => m.id,
        idsLogged: 20,
      },
      this.logger,
    );
  }

  get size(): number {
    return this.outbox.size;
  }

  async publish(messages: StoredPublish[]): Promise<string[]> {
    // the outbox bridges outages; a refusal (a rotated password, an ACL change) needs an operator:
    // the caller learns it at once (RedisAuthError, RedisPermissionError) instead
    const refused = refusalOf(this.client);
    if (refused) throw refused;
    // until the client's first 'ready', commands wait in its own offline queue (first connect)
    if (this.outbox.size === 0 && (this.client.status === 'ready' || !this.sender.clientWasReady)) {
      try {
        return await this.send(messages);
      } catch (error) {
        // Only an outage keeps them: a DurabilityTimeoutError is an answer (stored on the master),
        // and no other QueueError is a connection error either.
        if (!isConnectionError(error)) throw error;
        this.logger.warn(`Redis unreachable (${(error as Error).message}); keeping ${messages.length} message(s) in the outbox`);
      }
    }
    this.outbox.add(messages);
    void this.sender.flush();
    return messages.map((m) => m.id);
  }

  /** Flushes for up to `timeoutMs`; returns and logs what could not be sent. */
  close(timeoutMs: number): Promise<StoredPublish[]> {
    return this.sender.close(timeoutMs);
  }
}
