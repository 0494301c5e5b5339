/** Upper bounds (ms) of the publish-to-start buckets a worker reports in its heartbeat; the last bucket is unbounded. */
export const WAIT_BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 300_000] as const;

const SLOT_MS = 5_000;
const SLOTS = 12;

/**
 * Publish-to-start times of one worker over the last minute, as counts per bucket of
 * {@link WAIT_BUCKETS_MS} (plus one for longer): recording is an array increment, reading sums
 * twelve 5-second slots. Heartbeats carry the counts, so a reader can merge every worker's into
 * percentiles of the whole queue without any write per message.
 */
export class WaitWindow {
  private readonly slots = Array.from({ length: SLOTS }, () => ({ epoch: -1, counts: new Array<number>(WAIT_BUCKETS_MS.length + 1).fill(0) }));

  record(waitMs: number, now = Date.now()): void {
    const epoch = Math.floor(now / SLOT_MS);
    const slot = this.slots[epoch % SLOTS];
    if (slot.epoch !== epoch) {
      slot.epoch = epoch;
      slot.counts.fill(0);
    }
    let bucket = 0;
    while (bucket < WAIT_BUCKETS_MS.length && waitMs > WAIT_BUCKETS_MS[bucket]) bucket++;
    slot.counts[bucket]++;
  }

  /** Counts per bucket over the last minute. */
  counts(now = Date.now()): number[] {
    const epoch = Math.floor(now / SLOT_MS);
    const sum = new Array<number>(WAIT_BUCKETS_MS.length + 1).fill(0);
    for (const slot of this.slots) {
      if (slot.epoch <= epoch - SLOTS || slot.epoch > epoch) continue;
      slot.counts.forEach((n, i) => (sum[i] += n));
    }
    return sum;
  }
}

/**
 * The bucket bound at or under which the `q` quantile (0..1) of the counts lies: an upper bound in
 * ms (null for the unbounded bucket, or no samples). Counts of several workers are summed first.
 */
export function waitQuantileMs(counts: readonly number[], q: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i];
    if (seen >= rank) return i < WAIT_BUCKETS_MS.length ? WAIT_BUCKETS_MS[i] : null;
  }
  return null;
}
