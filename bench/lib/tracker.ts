/** Counts deliveries per message sequence number, to prove every message was processed exactly once. */
export class DeliveryTracker {
  private counts: Uint8Array;
  /** Handler starts so far (duplicates included). */
  delivered = 0;
  private duplicates = 0;
  private outOfRange = 0;

  constructor(initialSize = 1024) {
    this.counts = new Uint8Array(Math.max(16, initialSize));
  }

  record(i: number): void {
    this.delivered++;
    if (!Number.isInteger(i) || i < 0) {
      this.outOfRange++;
      return;
    }
    if (i >= this.counts.length) this.grow(i + 1);
    const c = this.counts[i];
    if (c >= 1) this.duplicates++;
    if (c < 255) this.counts[i] = c + 1;
  }

  /** Throws a {@link BenchFailure} unless ids 0..published-1 were each delivered exactly once. */
  verify(published: number, label: string): void {
    if (published > this.counts.length) this.grow(published);
    let missing = 0;
    let firstMissing = -1;
    for (let i = 0; i < published; i++) {
      if (this.counts[i] === 0) {
        if (firstMissing < 0) firstMissing = i;
        missing++;
      }
    }
    let extra = this.outOfRange;
    for (let i = published; i < this.counts.length; i++) if (this.counts[i] > 0) extra++;
    if (missing || this.duplicates || extra) {
      throw new BenchFailure(
        `${label}: of ${published} published, ${missing} never processed (first #${firstMissing}), ` +
          `${this.duplicates} processed more than once, ${extra} unknown ids`,
      );
    }
  }

  private grow(size: number): void {
    let n = this.counts.length;
    while (n < size) n *= 2;
    const next = new Uint8Array(n);
    next.set(this.counts);
    this.counts = next;
  }
}

/** A scenario that did not complete correctly (lost, duplicated or stuck messages). */
export class BenchFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchFailure';
  }
}
