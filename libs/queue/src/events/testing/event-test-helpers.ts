/** Helpers for the event bus tests (not part of the public API). */

export { sleep, waitFor } from '../../testing/wait';

/** A promise handlers can wait on until the test opens it. */
export class Gate {
  readonly promise: Promise<void>;
  open!: () => void;
  constructor() {
    this.promise = new Promise<void>((resolve) => (this.open = resolve));
  }
}
