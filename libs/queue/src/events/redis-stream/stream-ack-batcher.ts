import type { RedisClient } from '../../redis/redis-connection';

/**
 * Acknowledges stream entries in batches: the entries whose handlers finished in the same turn of
 * the event loop go in one XACK per stream, and the handler slot is free without waiting for it.
 * A failed XACK leaves the entries pending: they are reclaimed and delivered again (at-least-once).
 */
export class StreamAckBatcher {
  private pending = new Map<string, string[]>();
  private scheduled = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly client: RedisClient,
    private readonly group: string,
    private readonly onError: (error: unknown, stream: string, ids: string[]) => void,
  ) {}

  ack(stream: string, id: string): void {
    const ids = this.pending.get(stream);
    if (ids) ids.push(id);
    else this.pending.set(stream, [id]);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Sends what waits and resolves when every XACK sent so far has answered. */
  async drain(): Promise<void> {
    this.flush();
    await Promise.allSettled([...this.inFlight]);
  }

  private flush(): void {
    this.scheduled = false;
    const batches = this.pending;
    this.pending = new Map();
    for (const [stream, ids] of batches) {
      const sent: Promise<void> = this.client.xack(stream, this.group, ...ids).then(
        () => undefined,
        (error) => this.onError(error, stream, ids),
      );
      this.inFlight.add(sent);
      void sent.finally(() => this.inFlight.delete(sent));
    }
  }
}
