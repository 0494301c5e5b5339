/**
 * How long runs may start back to back in one turn of the event loop (ms). Handlers that settle at
 * once (or in microtasks) would otherwise start a whole held batch before the process reads the
 * next fetch reply, which may carry a higher-tier message.
 */
const SLICE_MS = 0.25;

/**
 * Bounds the starts of one turn of the event loop to SLICE_MS (docs/architecture.md, "Look-ahead,
 * preemption and pause"): past it, the rest start on the next turn (setImmediate: after the I/O
 * that came in meanwhile), through `resume`.
 */
export class StartSlice {
  /** When (performance clock) the first start of the current turn happened (-1: none yet). */
  private startedAt = -1;
  private readonly next = (): void => {
    this.startedAt = -1;
    this.resume();
  };

  constructor(private readonly resume: () => void) {}

  /** Whether this turn has started runs for SLICE_MS already; the first start of a turn schedules the next turn. */
  spent(): boolean {
    const now = performance.now();
    if (this.startedAt < 0) {
      this.startedAt = now;
      setImmediate(this.next);
      return false;
    }
    return now - this.startedAt > SLICE_MS;
  }
}
