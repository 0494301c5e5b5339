import { Registry } from 'prom-client';
import { deferred } from '@meeting/queue/testing';
import { ScrapeRead, scrapeGauge } from './scrape-gauge';

describe('scrape-time gauges over a bounded read', () => {
  it('fills every gauge of a scrape from one read', async () => {
    let reads = 0;
    const read = new ScrapeRead(async () => [++reads, 2, 3], 1000);
    const registry = new Registry();
    scrapeGauge(read, { name: 'items', help: 'Items.', registry }, (g, items) => g.set(items.length));
    scrapeGauge(read, { name: 'items_by_kind', help: 'Items by kind.', labelNames: ['kind'], registry }, (g, items) => g.set({ kind: 'a' }, items[0]));
    const text = await registry.metrics();
    expect(text).toMatch(/^items 3$/m);
    expect(text).toMatch(/^items_by_kind\{kind="a"\} 1$/m);
    expect(reads).toBe(1);
    await registry.metrics();
    expect(reads).toBe(2);
  });

  it('answers within the bound without the samples of a read that hangs or fails, and holds one read while it hangs', async () => {
    const hanging = deferred<number[]>();
    let reads = 0;
    const read = new ScrapeRead(() => {
      reads++;
      return hanging.promise;
    }, 50);
    const registry = new Registry();
    scrapeGauge(read, { name: 'items', help: 'Items.', registry }, (g, items) => g.set(items.length));
    scrapeGauge(read, { name: 'items_by_kind', help: 'Items by kind.', labelNames: ['kind'], registry }, (g, items) => g.set({ kind: 'a' }, items[0]));
    for (let scrape = 0; scrape < 3; scrape++) {
      const text = await registry.metrics();
      expect(text).toContain('# TYPE items gauge');
      expect(text).not.toMatch(/^items(\{.*\})? /m);
      expect(text).not.toMatch(/^items_by_kind(\{.*\})? /m);
    }
    expect(reads).toBe(1);
    hanging.resolve([7]);
    expect(await registry.metrics()).toMatch(/^items 1$/m);

    const failing = new ScrapeRead<number[]>(async () => Promise.reject(new Error('Connection is closed.')), 1000);
    const other = new Registry();
    scrapeGauge(failing, { name: 'items', help: 'Items.', registry: other }, (g, items) => g.set(items.length));
    expect(await other.metrics()).not.toMatch(/^items /m);
  });
});
