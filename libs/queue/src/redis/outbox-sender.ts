import type { QueueLogger } from '../logger';
import { Outbox, FlushOptions } from '../util/outbox';
import { RepeatedFailureLog } from '../util/repeat-log';
import { FailureBackoff, settleWithin } from '../util/retry';
import { onClientReady } from './client-ready';
import type { RedisClient } from './redis-connection';

/** What an {@link OutboxSender} is told about its outbox's items. */
export interface OutboxSenderSettings<T> {
  /** Sends one batch (one Redis command or a few); resolves once Redis stored it. */
  send: (batch: T[]) => Promise<void>;
  /** How batches are cut (batchSize, sameBatch, sizeOf). */
  batches: FlushOptions<T>;
  /** What an item is, for log lines: `message`, `event`. */
  noun: string;
  /** An item's id, for the line that names what close() could not send. */
  idOf: (item: T) => string;
  /** How many ids that line names at most. */
  idsLogged: number;
}

/**
 * Sends a producer's outbox (a queue's publish outbox, a stream bus's event outbox) whenever its
 * Redis client can take it: when the client becomes ready, when items are added while it is
 * ready, and, after a flush that stopped while the client stayed ready (a reply such as `BUSY` from
 * a long script, `CLUSTERDOWN`, `OOM`: no 'ready' follows them), again after a pause (100 ms,
 * doubling to 5 s) until it goes through. A failure is logged once, not at every retry.
 */
export class OutboxSender<T> {
  private readonly backoff = new FailureBackoff(100);
  private readonly failures: RepeatedFailureLog;
  private retryTimer?: NodeJS.Timeout;
  private closed = false;
  /** Whether the client has been ready since this sender was made (before its first 'ready', commands wait in its own offline queue). */
  private everReady: boolean;
  private readonly offReady: () => void;

  constructor(
    private readonly outbox: Outbox<T>,
    private readonly client: RedisClient,
    private readonly settings: OutboxSenderSettings<T>,
    private readonly logger: QueueLogger,
  ) {
    this.failures = new RepeatedFailureLog(
      (line) => this.logger.warn(line),
      (line) => this.logger.log(line),
      'outbox flush',
    );
    this.everReady = client.status === 'ready';
    this.offReady = onClientReady(client, () => {
      this.everReady = true;
      void this.flush();
    });
  }

  /** True once the client was ready (at construction or since). */
  get clientWasReady(): boolean {
    return this.everReady;
  }

  /** Sends what waits (in order) if the client is ready; stops at the first failure and tries again later. */
  async flush(): Promise<void> {
    if (this.outbox.size === 0 || this.client.status !== 'ready') return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    try {
      const sent = await this.outbox.flush(this.settings.send, this.settings.batches);
      this.backoff.succeeded();
      this.failures.succeeded();
      if (sent > 0) this.logger.log(`sent ${sent} ${this.settings.noun}(s) from the outbox`);
    } catch (error) {
      const message = (error as Error).message;
      const ready = this.client.status === 'ready';
      this.failures.failed(message, `outbox flush stopped, will retry ${ready ? 'shortly' : 'when Redis is back'}: ${message}`);
      // no 'ready' will come while the client is ready: retry on a timer
      if (ready && !this.closed && this.retryTimer === undefined) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          void this.flush();
        }, this.backoff.failed());
        this.retryTimer.unref();
      }
    }
  }

  /** Stops retrying; sends what waits if the client is ready (at most `timeoutMs`); returns and logs what is left. */
  async close(timeoutMs: number): Promise<T[]> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.offReady();
    // a flush after close sets no retry timer; one still running goes on after the bound
    if (this.outbox.size > 0 && this.client.status === 'ready') await settleWithin(this.flush(), timeoutMs);
    const unsent = this.outbox.takeAll();
    if (unsent.length > 0) {
      const { idOf, idsLogged, noun } = this.settings;
      const ids = unsent.slice(0, idsLogged).map(idOf).join(', ');
      this.logger.error(`${unsent.length} ${noun}(s) could not be sent before close (Redis unreachable): ${ids}${unsent.length > idsLogged ? ', ...' : ''}`);
    }
    return unsent;
  }
}
