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

/**
 * Logging for a condition a loop meets on every step and works around (a key of the wrong type it
 * skips): logged when it starts or changes, and once when it clears; the same condition again is
 * not logged.
 */
export class ConditionLog {
  private last = '';

  constructor(
    /** Where a new condition goes (`logger.error`), given its text. */
    private readonly report: (condition: string) => void,
    /** Called once when the condition clears (`logger.log`). */
    private readonly cleared: () => void,
  ) {}

  /** The condition as the loop sees it now ('' for none). */
  note(condition: string): void {
    if (condition === this.last) return;
    this.last = condition;
    if (condition) this.report(condition);
    else this.cleared();
  }
}
