import type { RedisClient } from './redis-connection';

/**
 * For a reader of a stream consumer group on a blocking connection: finds the entries a read took
 * whose reply was lost with its connection. Redis hands such a read's entries to the consumer (they
 * are in its pending list) while the reply goes nowhere; ioredis sends the read again after
 * reconnecting, which takes newer entries. Those entries were never received, and would wait for
 * a claim (`claimIdleMs`, counted as a second delivery).
 *
 * {@link watch} the blocking connection and report every entry received ({@link received}); once
 * the connection is ready again after it dropped, {@link readBackFrom} names the id to read the
 * consumer's pending list from (a history XREADGROUP: no BLOCK, nothing new taken): the entries newer
 * than the newest received, except those received since the drop ({@link receivedSinceDrop}: by the
 * read sent again, or a claim; their acknowledgement may be on its way). Entries received and not
 * acknowledged (a handler failed) are older, and still wait for their claim.
 */
export class LostReadTracker {
  /** The highest entry id received (from a read or a claim); '' before the first. */
  private lastReceived = '';
  private from?: string;
  private sinceDrop?: Set<string>;

  /** Watches the reading connection: each 'ready' after the first, with something received, starts a read-back. */
  watch(connection: RedisClient): void {
    let connected = false;
    connection.on('ready', () => {
      if (connected && this.lastReceived && this.from === undefined) {
        this.from = this.lastReceived;
        this.sinceDrop = new Set();
      }
      connected = true;
    });
  }

  /** An entry was received (a read, a claim or a read-back). */
  received(id: string): void {
    if (laterStreamId(id, this.lastReceived)) this.lastReceived = id;
    this.sinceDrop?.add(id);
  }

  /** The highest entry id received so far ('' before the first): pending entries of the consumer above it were never received. */
  get newestReceived(): string {
    return this.lastReceived;
  }

  /** The id to read the pending list back from (exclusive), while a read-back is due. */
  get readBackFrom(): string | undefined {
    return this.from;
  }

  /** Whether `id` was received since the drop (it is not read back). */
  receivedSinceDrop(id: string): boolean {
    return this.sinceDrop?.has(id) ?? false;
  }

  /** The read-back went up to `id`; the next page starts after it. */
  readBackTo(id: string): void {
    if (this.from !== undefined) this.from = id;
  }

  /** The read-back is over (its last page was empty). */
  readBackDone(): void {
    this.from = undefined;
    this.sinceDrop = undefined;
  }
}

/** Whether stream id `a` is later than `b` ('' is earlier than every id). */
export function laterStreamId(a: string, b: string): boolean {
  if (b === '') return true;
  const [am, as] = a.split('-');
  const [bm, bs] = b.split('-');
  return Number(am) !== Number(bm) ? Number(am) > Number(bm) : Number(as) > Number(bs);
}
