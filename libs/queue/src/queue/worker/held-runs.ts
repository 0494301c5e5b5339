import type { HandlerRun } from './handler-run';

/**
 * Every delivery one worker holds (buffered or running): an intrusive doubly-linked list through
 * the runs' own `heldPrev`/`heldNext` fields, so adding and removing a run (once each per message)
 * neither hashes its id nor allocates.
 *
 * Not a Map keyed by id: under add/remove churn V8 rebuilds a Map's table every `capacity`
 * insertions, and the replaced table keeps its entries and a link to its successor. Once one table
 * had been promoted to the old generation, each successor survived the next scavenge with every run
 * it held, and so on until a mark-compact: most of what a scavenge copied in the worker
 * (docs/benchmarks.md, "eighth session"). A null-prototype object instead spent 5 % of the
 * worker's time inserting. A removed run's links are cleared, so a dead run never keeps a live one.
 */
export class HeldRuns {
  private head: HandlerRun | null = null;
  private tail: HandlerRun | null = null;
  private count = 0;

  /** How many runs are held. */
  get size(): number {
    return this.count;
  }

  add(run: HandlerRun): void {
    if (run.held) return;
    run.held = true;
    run.heldPrev = this.tail;
    run.heldNext = null;
    if (this.tail) this.tail.heldNext = run;
    else this.head = run;
    this.tail = run;
    this.count++;
  }

  /** Removes `run` (the object, not its id: the same id may be held again by a redelivery); false when it was not held. */
  remove(run: HandlerRun): boolean {
    if (!run.held) return false;
    const { heldPrev: prev, heldNext: next } = run;
    if (prev) prev.heldNext = next;
    else this.head = next;
    if (next) next.heldPrev = prev;
    else this.tail = prev;
    run.held = false;
    run.heldPrev = run.heldNext = null;
    this.count--;
    return true;
  }

  /** A snapshot of the held runs, oldest first. */
  values(): HandlerRun[] {
    const runs: HandlerRun[] = [];
    for (let run = this.head; run; run = run.heldNext) runs.push(run);
    return runs;
  }

  /** Removes every run; returns them, oldest first. */
  clear(): HandlerRun[] {
    const runs = this.values();
    for (const run of runs) {
      run.held = false;
      run.heldPrev = run.heldNext = null;
    }
    this.head = this.tail = null;
    this.count = 0;
    return runs;
  }
}
