import { QueueClosedError } from '../../errors';
import { RateLimit } from '../queue-options';
import { TaskHandler } from '../queue.types';
import { WorkerLoop } from './worker-loop';

/**
 * The worker pool of one queue in one process: handlers registered per task type, pause and
 * resume, close with a drain. The message path (the fetch loop, starting runs in free handler
 * slots, settling them) is {@link WorkerLoop} (worker-loop.ts); the lease renewal and the heartbeat
 * start with the first handler.
 */
export class QueueWorker extends WorkerLoop {
  private loop?: Promise<void>;
  private renewTimer?: NodeJS.Timeout;

  register(type: string, fn: TaskHandler, concurrency: number, timeoutMs = 0, rateLimit: RateLimit | null = null): void {
    this.handlers.set(type, { fn, concurrency, timeoutMs, running: 0, waiting: [[], [], [], []] });
    if (rateLimit) this.rateLimits.push({ name: type, ...rateLimit });
    this.gate.capacity += concurrency;
    this.slotWaiter?.();
    if (this.loop) this.heartbeat.refresh();
    if (!this.loop && !this.closing) {
      this.startedAt = Date.now();
      // Start on the next turn, so handlers registered in the same tick are known to the first fetch.
      this.loop = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.run());
      this.renewTimer = setInterval(() => void this.settlement.renewLeases(), Math.max(50, Math.floor(this.options.visibilityTimeoutMs / 3)));
      this.renewTimer.unref();
      this.heartbeat.start();
    }
  }

  handles(type: string): boolean {
    return this.handlers.has(type);
  }

  /** Handlers running or buffered in this process. */
  get heldCount(): number {
    return this.held.size;
  }

  /**
   * Pauses the queue for every process. This one starts nothing from the call on; the store is
   * marked paused, and what this process held without starting goes back to the head of its tier
   * (attempt not counted) before the promise resolves. Other processes see the pause with their
   * next fetch reply (see docs/queue.md).
   */
  async pause(): Promise<void> {
    this.pauseEpoch++;
    this.paused = true;
    await this.store.setPaused(true);
    await this.fetching?.catch(() => undefined);
    await this.releaseWaiting(() => true);
    await this.settlement.releasesSettled();
  }

  async resume(): Promise<void> {
    this.pauseEpoch++;
    this.paused = false;
    await this.store.setPaused(false);
    this.slotWaiter?.();
  }

  async close(drainTimeoutMs: number): Promise<void> {
    if (this.closing) return this.loop;
    this.closing = true;
    this.store.interruptWait();
    this.slotWaiter?.();
    await this.loop;
    const deadline = Date.now() + drainTimeoutMs;
    // Buffered deliveries never started: put them back at once.
    await this.releaseWaiting(() => true);
    while (this.held.size > 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.slotWaiter = resolve;
        setTimeout(resolve, Math.min(50, Math.max(1, deadline - Date.now())));
      });
    }
    // Past the drain timeout: abort the handlers and put their messages back, attempt not counted.
    const unfinished = this.held.clear();
    for (const run of unfinished) run.cancel(new QueueClosedError(this.options.name));
    await this.settlement.release(unfinished);
    // also deliveries refused after closing began (a fetch reply that arrived late)
    await this.settlement.releasesSettled();
    if (this.renewTimer) clearInterval(this.renewTimer);
    await this.heartbeat.stop();
    await this.settlement.close(deadline);
  }
}
