import { Gauge, Registry } from 'prom-client';

/**
 * A read of shared state (Redis) for gauges computed at scrape time, bounded like the library's own
 * scrape-time reads: `value()` is the read's result, or undefined when the read failed or did not
 * answer within `boundMs` (pass the manager's `health.ping_timeout_ms`), so a scrape answers while
 * Redis is away. Callers share a read under way: the gauges of one scrape read once, and a Redis that
 * does not answer holds one read, not one more per scrape (the next read starts once it settles).
 */
export class ScrapeRead<T> {
  private running?: Promise<T>;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly boundMs: number,
  ) {}

  async value(): Promise<T | undefined> {
    const running = (this.running ??= this.start());
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), this.boundMs)));
    try {
      return await Promise.race([running.catch(() => undefined), bound]);
    } finally {
      clearTimeout(timer);
    }
  }

  private start(): Promise<T> {
    const running = Promise.resolve().then(() => this.read());
    const done = () => {
      if (this.running === running) this.running = undefined;
    };
    running.then(done, done);
    return running;
  }
}

/** A gauge of a service in `registry` (name, help, labels as prom-client takes them). */
export interface ScrapeGaugeOptions<L extends string> {
  name: string;
  help: string;
  labelNames?: L[];
  registry: Registry;
}

/**
 * A gauge filled at scrape time from a bounded read: `fill` sets its samples from the value read.
 * When the read gives nothing (failed, over its bound) the gauge has no samples in that scrape, as
 * the library leaves out its queue series while Redis is away: no stale or made-up value.
 */
export function scrapeGauge<T, L extends string = string>(
  read: ScrapeRead<T>,
  options: ScrapeGaugeOptions<L>,
  fill: (gauge: Gauge<L>, value: T) => void,
): Gauge<L> {
  const labelled = (options.labelNames ?? []).length > 0;
  return new Gauge<L>({
    name: options.name,
    help: options.help,
    labelNames: options.labelNames ?? [],
    registers: [options.registry],
    async collect() {
      const value = await read.value();
      this.reset();
      // reset() leaves a gauge without labels at 0; a sample left out is what "not read" means here
      if (!labelled) this.remove();
      if (value !== undefined) fill(this, value);
    },
  });
}
