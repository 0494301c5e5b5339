/** One step of the demo as it happened. */
export interface TimelineEntry {
  step: string;
  /** Milliseconds since the demo started. */
  atMs: number;
  durationMs: number;
  ok: boolean;
  detail: string;
}

/** A step failed: the demo stops there (`npm run demo` exits 1). */
export class DemoStepError extends Error {
  override readonly name = 'DemoStepError';

  constructor(
    readonly step: string,
    cause: unknown,
  ) {
    super(`step "${step}" failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** Runs the demo's steps one by one, timing each, and prints them as a readable timeline. */
export class Timeline {
  readonly entries: TimelineEntry[] = [];
  private readonly started = Date.now();

  constructor(private readonly print: (line: string) => void = () => undefined) {}

  /** Runs a step; its resolved string is the detail printed beside it. @throws DemoStepError when it fails */
  async step(step: string, run: () => Promise<string>): Promise<void> {
    const start = Date.now();
    try {
      const detail = await run();
      this.add({ step, atMs: start - this.started, durationMs: Date.now() - start, ok: true, detail });
    } catch (error) {
      this.add({ step, atMs: start - this.started, durationMs: Date.now() - start, ok: false, detail: error instanceof Error ? error.message : String(error) });
      throw new DemoStepError(step, error);
    }
  }

  /** A line of the timeline. */
  static format(e: TimelineEntry): string {
    const at = `+${(e.atMs / 1000).toFixed(3)}s`.padStart(9);
    const took = `${e.durationMs} ms`.padStart(8);
    return `${at} ${took}  ${e.ok ? 'ok  ' : 'FAIL'} ${e.step.padEnd(50)} ${e.detail}`;
  }

  private add(entry: TimelineEntry): void {
    this.entries.push(entry);
    this.print(Timeline.format(entry));
  }
}
