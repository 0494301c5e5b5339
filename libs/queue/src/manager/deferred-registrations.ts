type Register = () => Promise<void> | void;

/**
 * Handler registrations made before a manager starts: kept, then run in order by `flush` (at
 * start); after that, run at once (a synchronous failure then throws from `add`). Each `add`
 * settles when its registration ran; the returned promise never causes an unhandled rejection (a
 * failure of a kept registration also rejects `flush`).
 */
export class DeferredRegistrations {
  private readonly pending: Array<{ run: () => Promise<void>; cancel: (error: unknown) => void }> = [];
  private open = false;

  add(register: Register): Promise<void> {
    let promise: Promise<void>;
    if (this.open) {
      promise = Promise.resolve(register()); // a synchronous failure throws to the caller
    } else {
      promise = new Promise<void>((resolve, reject) => {
        this.pending.push({
          run: async () => {
            try {
              await register();
              resolve();
            } catch (error) {
              reject(error);
              throw error;
            }
          },
          cancel: reject,
        });
      });
    }
    promise.catch(() => undefined);
    return promise;
  }

  /**
   * Runs the kept registrations (also those added meanwhile), then runs later ones at once. When
   * one fails, those after it are not run: they reject with the same error (start is all or nothing).
   */
  async flush(): Promise<void> {
    try {
      for (let next = this.pending.shift(); next; next = this.pending.shift()) await next.run();
    } catch (error) {
      for (const skipped of this.pending.splice(0)) skipped.cancel(error);
      throw error;
    }
    this.open = true;
  }
}
