/**
 * A wait that ends on a wake-up or a timeout. A wake-up that comes while nobody waits is kept
 * (one pending flag), so a change made between two waits is never missed.
 */
export class ChangeWaiter {
  private pending = false;
  private resolvers: Array<() => void> = [];

  wait(timeoutMs: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.resolvers = this.resolvers.filter((r) => r !== done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      this.resolvers.push(done);
    });
  }

  wake(): void {
    if (this.resolvers.length === 0) {
      this.pending = true;
      return;
    }
    for (const r of [...this.resolvers]) r();
  }
}
