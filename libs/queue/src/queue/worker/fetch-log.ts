import type { QueueLogger } from '../../logger';
import { ConditionLog, RepeatedFailureLog } from '../../util/repeat-log';

/**
 * What a QueueWorker's fetch loop logs: fetch failures (once, repeats counted until a fetch works)
 * and the tier lists a fetch skipped for holding the wrong Redis type (once per change).
 */
export class FetchLog {
  /** Tier lists a fetch reported as holding the wrong type. */
  private readonly brokenTiers: ConditionLog;
  /** What a wait for work said about the wake-up list. */
  private readonly wakeProblem: ConditionLog;
  /** Fetch failures: logged once, repeats counted until a fetch works. */
  private readonly failures: RepeatedFailureLog;

  constructor(private readonly logger: QueueLogger) {
    this.failures = new RepeatedFailureLog(
      (line) => this.logger.error(line),
      (line) => this.logger.log(line),
      'fetch',
    );
    this.wakeProblem = new ConditionLog(
      (problem) =>
        this.logger.error(
          `${problem}: new work does not wake this idle worker, it finds it after each idle wait (idleBlockMs, or the next due time); delete or rename the key`,
        ),
      () => this.logger.log('the wake-up list is usable again'),
    );
    this.brokenTiers = new ConditionLog(
      (keys) =>
        this.logger.error(
          `tier list(s) ${keys} hold the wrong Redis type: skipped (other tiers are served; new messages for them go to another tier); delete or rename the key(s)`,
        ),
      () => this.logger.log('every tier list is usable again'),
    );
  }

  /** A fetch failed; the loop retries in `pause` ms. */
  failed(error: unknown, pause: number): void {
    const message = (error as Error).message;
    this.failures.failed(message, `fetch failed (retrying in ${pause} ms, repeats not logged): ${message}`);
  }

  /** A fetch (or a wait for work) worked. */
  recovered(): void {
    this.failures.succeeded();
  }

  /** Logs once per change whether a wait for work could wait on the wake-up list (from a wait's result only). */
  noteWake(problem: string | undefined): void {
    this.wakeProblem.note(problem ?? '');
  }

  /** Logs once per change which tier lists hold the wrong Redis type (the fetch skips them). */
  noteBrokenTiers(keys: string[] | undefined): void {
    this.brokenTiers.note((keys ?? []).join(', '));
  }
}
