/**
 * Logging for a loop that retries after failures (fetch loop, scheduler loop, readers of results
 * and replies): a failure is logged once; the same failure again is only counted until a step works,
 * which logs one line with the count. A loop facing a key of the wrong type or a Redis that refuses
 * a command therefore writes two lines, not one per retry.
 */
export class RepeatedFailureLog {
  private last = '';
  private repeats = 0;

  constructor(
    /** Where the first line of a failure goes (`logger.error`). */
    private readonly report: (line: string) => void,
    /** Where the recovery line goes (`logger.log`). */
    private readonly recovered: (line: string) => void,
    /** What the loop does, for the recovery line ("fetch", "scheduler loop"). */
    private readonly what: string,
  ) {}

  /** `line` is logged unless the previous failure had the same `message`. */
  failed(message: string, line: string): void {
    if (message === this.last) {
      this.repeats++;
      return;
    }
    this.last = message;
    this.repeats = 0;
    this.report(line);
  }

  succeeded(): void {
    if (!this.last) return;
    this.recovered(`${this.what} works again (${this.repeats} repeated failure${this.repeats === 1 ? '' : 's'} not logged)`);
    this.last = '';
    this.repeats = 0;
  }
}
