import { ChildProcess, execFile, spawn } from 'child_process';
import { mkdirSync } from 'fs';
import { hostname } from 'os';
import { join } from 'path';
import type Redis from 'ioredis';
import { Browser, chromium, Page } from 'playwright-core';
import { createEventBus, createQueue, EventBus, QueueInfo, StoreBackedQueue } from '@meeting/queue';
import { chromiumPath, deferred, RedisServerHandle, spawnRedis, uniquePrefix, waitFor } from '@meeting/queue/testing';
import { mailSendWorker, seedMailDeadLetters } from './testing/mail-seed';

/**
 * The dashboard of `mq dashboard` in Debian's chromium (playwright-core): the overview matches
 * `mq queues --json`, a dead letter is replayed with the admin token and runs (then listed as completed,
 * with its result and no payload column), without the token the same call is refused, and a
 * `<script>` payload stays text. Screenshots go to tmp/screenshots/.
 */
jest.setTimeout(240_000);

const BIN = join(__dirname, '..', 'bin', 'mq.js');
const ROOT = join(__dirname, '..', '..', '..');
const SHOTS = join(ROOT, 'tmp', 'screenshots');
const TOKEN = 'test-admin-token-4f1c';

describe('dashboard in a browser', () => {
  let server: RedisServerHandle;
  let client: Redis;
  let prefix: string;
  let dashboard: ChildProcess;
  let base: string;
  let browser: Browser;
  let page: Page;
  let dead: string[];
  const log: string[] = [];
  const queues: StoreBackedQueue[] = [];
  const buses: EventBus[] = [];

  const mqJson = <T>(args: string[]): Promise<T> =>
    new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        [BIN, '--prefix', prefix, '--json', ...args],
        { cwd: ROOT, env: { ...process.env, REDIS_URL: server.url } },
        (error, stdout, stderr) => (error ? reject(new Error(`${error.message}: ${stderr}`)) : resolve(JSON.parse(stdout) as T)),
      );
    });
  const shot = async (name: string) => {
    mkdirSync(SHOTS, { recursive: true });
    const file = join(SHOTS, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    console.log(`screenshot: ${file}`);
  };

  beforeAll(async () => {
    // a prerequisite (README): without it every test here fails with ChromiumMissingError saying how to get it
    const executablePath = chromiumPath();
    server = await spawnRedis();
    client = server.client();
    prefix = uniquePrefix('dash');
    const orders = createQueue({ name: 'orders', backend: { type: 'redis', client, prefix } });
    await orders.publishBatch([{ type: 'a', priority: 'critical' }, { type: 'a' }, { type: 'a' }, { type: 'b', priority: 'low' }]);
    await orders.publish({ type: 'later', delayMs: 600_000 });
    await orders.close();
    dead = await seedMailDeadLetters(client, prefix, { send: 'smtp <b>down</b>' }, [
      { type: 'send', payload: { to: 'x' } },
      { type: 'send', payload: '<script>window.__xss = 1</script>' },
    ]);

    dashboard = spawn(process.execPath, [BIN, '--prefix', prefix, 'dashboard', '--port', '0', '--admin-token', TOKEN], {
      cwd: ROOT,
      env: { ...process.env, REDIS_URL: server.url },
    });
    dashboard.stderr?.on('data', (d: Buffer) => log.push(d.toString()));
    const url = await waitFor(() => /dashboard on (http:\/\/\S+\/)/.exec(log.join(''))?.[1], 'the dashboard to listen', 60_000);
    base = url;
    browser = await chromium.launch({
      executablePath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
      ],
    });
    page = await browser.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    dashboard?.kill('SIGTERM');
    await Promise.all(queues.map((q) => q.close({ drainTimeoutMs: 200 })));
    await Promise.all(buses.map((b) => b.close({ drainTimeoutMs: 200 })));
    client?.disconnect();
    await server?.cleanup();
  });

  it('overview shows the numbers of mq queues --json', async () => {
    const expected = await mqJson<{ queues: QueueInfo[] }>(['queues']);
    await page.goto(`${base}#/`);
    for (const q of expected.queues) {
      const row = page.locator(`tr[data-queue="${q.name}"]`);
      await row.waitFor();
      const cell = (field: string) => row.locator(`[data-field="${field}"]`).innerText();
      for (const tier of ['critical', 'high', 'normal', 'low'] as const) expect(await cell(tier)).toBe(String(q.tiers[tier]));
      expect(await cell('inflight')).toBe(String(q.inflight));
      expect(await cell('delayed')).toBe(String(q.delayed));
      expect(await cell('deadLetters')).toBe(String(q.deadLetters));
      expect(await cell('processed')).toBe(String(q.processed));
      expect(await cell('paused')).toBe(q.paused ? 'paused' : 'no');
      expect(await cell('workers')).toBe(String(q.workers));
      // latency: the oldest waiting message's age (changes every second; present exactly when something waits)
      expect((await cell('oldest')) === '-').toBe(q.latency.oldestMs === null);
    }
    expect(expected.queues.find((q) => q.name === 'orders')?.tiers).toEqual({ critical: 1, high: 0, normal: 2, low: 1 });
    await shot('overview');
  });

  it('without the token the dead letters are read-only and a replay is refused; a <script> payload stays text', async () => {
    await page.goto(`${base}#/dlq/mail`);
    const row = page.locator(`tr[data-id="${dead[1]}"]`);
    await row.waitFor();
    expect(await row.locator('[data-field="payload"]').innerText()).toContain('<script>window.__xss = 1</script>');
    expect(await page.evaluate('typeof window.__xss')).toBe('undefined');
    expect(await page.locator('button.replay').count()).toBe(0);
    const refused = await page.evaluate(async (id) => (await fetch(`api/queues/mail/dead-letters/${id}/replay`, { method: 'POST' })).status, dead[0]);
    expect(refused).toBe(403);
    expect((await mqJson<{ total: number }>(['dlq', 'list', 'mail'])).total).toBe(2);
    await shot('dead-letters-read-only');
  });

  it('with the token a replayed dead letter leaves the list and completes', async () => {
    const { queue: mail, ran } = mailSendWorker(client, prefix);
    queues.push(mail);
    await page.fill('#login input[name="token"]', TOKEN);
    await page.click('#login button');
    const row = page.locator(`tr[data-id="${dead[0]}"]`);
    await row.locator('button.replay').waitFor();
    await shot('dead-letters-admin');
    await row.locator('button.replay').click();
    await row.waitFor({ state: 'detached' });
    await waitFor(() => ran.includes(dead[0]), 'the replayed dead letter to run', 30_000);
    await waitFor(async () => (await mqJson<{ state: string }>(['status', 'mail', dead[0]])).state === 'completed', 'completed', 30_000, 200);
    expect(await page.locator(`tr[data-id="${dead[1]}"]`).count()).toBe(1);
    expect(log.join('')).toMatch(new RegExp(`admin \\(login cookie\\) from \\S+: POST /api/queues/mail/dead-letters/${dead[0]}/replay`));
    expect(log.join('')).toMatch(/refused POST .*replay .*no admin token/);
    expect(log.join('')).not.toContain(TOKEN);
    await page.goto(`${base}#/queue/mail`);
    await page.locator(`tr[data-id="${dead[0]}"]`).waitFor();
    // a completed message keeps its record only: its result, no payload or priority column
    const completed = page.locator('#completed');
    expect(await completed.locator('th').allTextContents()).toEqual(['Id', 'Type', 'Attempts', 'Created', 'Finished', 'Result']);
    expect(await completed.locator(`tr[data-id="${dead[0]}"] [data-field="result"]`).textContent()).toBe('"sent"');
    await shot('queue-mail');
  });

  it('hostile text in a dead letter (payload, reason, error, stack), a result and a progress is shown as text and runs nothing', async () => {
    // markup that would run script or fetch a same-origin marker (allowed by the CSP) if it ever became HTML
    const hostile =
      '<img src=xss-marker-img onerror=window.__xss=1> </script><script>window.__xss=2</script> <svg onload=window.__xss=3>' +
      ' <a href=javascript:window.__xss=4>x</a> <iframe src=xss-marker-frame></iframe>';
    const markers: string[] = [];
    const onRequest = (r: { url(): string }) => void (r.url().includes('xss-marker') && markers.push(r.url()));
    page.on('request', onRequest);
    const q = createQueue({ name: 'hostile', maxRetries: 0, backend: { type: 'redis', client, prefix } });
    queues.push(q);
    const release = deferred();
    q.process('bad', async () => {
      throw new Error(hostile);
    });
    q.process('good', async () => hostile);
    q.process('slow', async (_m, ctx) => {
      await ctx.progress({ note: hostile });
      await release.promise;
    });
    try {
      const [bad, good] = await q.publishBatch([
        { type: 'bad', payload: { note: hostile, long: 'A'.repeat(50_000) } },
        { type: 'good', payload: hostile },
      ]);
      await waitFor(async () => (await q.getStatus(bad))?.state === 'dead' && (await q.getStatus(good))?.state === 'completed', 'dead and completed');
      const slow = await q.publish({ type: 'slow', payload: hostile });
      await page.goto(`${base}#/dlq/hostile`);
      const row = page.locator(`tr[data-id="${bad}"]`);
      await row.waitFor();
      // reason, error line, stack and payload: the markup as characters
      expect((await row.innerText()).split(hostile).length - 1).toBe(4);
      await page.goto(`${base}#/queue/hostile`);
      expect(await page.locator(`#completed tr[data-id="${good}"] [data-field="result"]`).textContent()).toBe(JSON.stringify(hostile));
      await page.locator(`tr[data-id="${slow}"] [data-field="progress"]`, { hasText: hostile }).waitFor({ timeout: 30_000 });
      expect(await page.evaluate('document.querySelectorAll("#view img, #view svg, #view script, #view iframe, #view a[href^=javascript]").length')).toBe(0);
      expect(await page.evaluate('typeof window.__xss')).toBe('undefined');
      expect(markers).toEqual([]);
      // and the CSP holds in the browser: an inline script, however it got in, does not run
      expect(
        await page.evaluate(
          `(() => { const s = document.createElement('script'); s.textContent = 'window.__inline = 1'; document.body.append(s); return typeof window.__inline; })()`,
        ),
      ).toBe('undefined');
      await shot('hostile-text');
    } finally {
      page.off('request', onRequest);
      release.resolve();
    }
  });

  it('a queue shows its messages in flight with the worker holding them, its workers and wait times', async () => {
    const release = deferred();
    const slow = createQueue({ name: 'slow', backend: { type: 'redis', client, prefix } });
    queues.push(slow);
    const id = await slow.publish({ type: 'long', payload: { n: 1 } });
    slow.process(
      'long',
      async (_m, ctx) => {
        await ctx.progress({ percent: 40 });
        await release.promise;
      },
      { concurrency: 1 },
    );
    await page.goto(`${base}#/queue/slow`);
    const row = page.locator(`tr[data-id="${id}"]`);
    await row.locator('[data-field="worker"]', { hasText: `pid ${process.pid}` }).waitFor({ timeout: 30_000 });
    expect(await row.locator('[data-field="worker"]').innerText()).toContain(hostname());
    expect(await row.locator('[data-field="held"]').innerText()).toMatch(/^\d+\.\d s$/);
    await row.locator('[data-field="progress"]', { hasText: '"percent": 40' }).waitFor({ timeout: 30_000 });
    const [worker] = await mqJson<{ workers: Array<{ id: string; pid: number }> }>(['workers', 'slow']).then((r) => r.workers);
    expect(worker.pid).toBe(process.pid);
    await page.locator(`tr[data-worker="${worker.id}"]`).waitFor();
    await shot('queue-in-flight');
    // the overview: one worker, and once its heartbeat carried the start, publish-to-start figures
    await page.goto(`${base}#/`);
    const overview = page.locator('tr[data-queue="slow"]');
    await overview.locator('[data-field="workers"]', { hasText: '1' }).waitFor();
    await overview.locator('[data-field="waitP95"]', { hasText: '≤' }).waitFor({ timeout: 30_000 });
    const info = (await mqJson<{ queues: QueueInfo[] }>(['queues'])).queues.find((q) => q.name === 'slow');
    expect(info).toMatchObject({ workers: 1, inflight: 1, latency: { starts: 1 } });
    release.resolve();
    await shot('overview-latency');
  });

  it('a queue shows its rate limits with tokens and the messages parked behind them per type; the overview too', async () => {
    const limited = createQueue({ name: 'limited', rateLimits: { transcribe: { max: 2, perMs: 60_000 } }, backend: { type: 'redis', client, prefix } });
    queues.push(limited);
    await limited.publishBatch([...Array.from({ length: 5 }, () => ({ type: 'transcribe' })), { type: 'thumbnail', priority: 'high' as const }]);
    let done = 0;
    limited.process('transcribe', async () => void done++);
    limited.process('thumbnail', async () => void done++);
    await waitFor(
      async () => done === 3 && (await mqJson<{ parked: { total: number } }>(['limits', 'limited'])).parked.total === 3,
      'three parked',
      30_000,
      200,
    );
    await page.goto(`${base}#/queue/limited`);
    const row = page.locator('tr[data-limit="transcribe"]');
    // the worker's heartbeat names the limit (the page refreshes itself)
    await row.locator('[data-field="from"]', { hasText: '1 worker' }).waitFor({ timeout: 30_000 });
    expect(await row.locator('[data-field="max"]').innerText()).toBe('2');
    expect(await row.locator('[data-field="per"]').innerText()).toBe('1.0 min');
    expect(await row.locator('[data-field="tokens"]').innerText()).toBe('0');
    expect(await row.locator('[data-field="next"]').innerText()).toMatch(/^\d+\.\d s$/);
    expect(await row.locator('[data-field="parked"]').innerText()).toBe('3');
    expect(await page.locator('#rate-limits [data-field="parked-summary"]').innerText()).toContain(
      'Parked behind a limit: 3 (critical 0 · high 0 · normal 3 · low 0) · per type: transcribe 3',
    );
    await shot('queue-rate-limits');
    await page.goto(`${base}#/`);
    const overview = page.locator('tr[data-queue="limited"]');
    await overview.locator('[data-field="parked"]', { hasText: '3' }).waitFor();
    expect(await overview.locator('[data-field="limits"]').innerText()).toBe('transcribe 0/2');
    expect(await page.locator('tr[data-queue="orders"] [data-field="limits"]').innerText()).toBe('-');
  });

  it('a queue lists its groups (waiting, in flight, blocked, oldest) and the overview counts them', async () => {
    const grouped = createQueue({ name: 'grouped', groupConcurrency: 1, backend: { type: 'redis', client, prefix } });
    queues.push(grouped);
    await grouped.publishBatch([
      ...Array.from({ length: 3 }, () => ({ type: 'call', group: 'meeting-a' })),
      { type: 'call', group: 'meeting-b', priority: 'high' as const },
    ]);
    const release = deferred();
    grouped.process('call', () => release.promise, { concurrency: 4 });
    await page.goto(`${base}#/queue/grouped`);
    const a = page.locator('#groups tr[data-group="meeting-a"]');
    // the worker holds one of each; meeting-a, at groupConcurrency 1, is blocked with 2 waiting
    await a.locator('[data-field="blocked"]', { hasText: 'blocked' }).waitFor({ timeout: 30_000 });
    expect(await a.locator('[data-field="normal"]').innerText()).toBe('2');
    expect(await a.locator('[data-field="running"]').innerText()).toBe('1');
    expect(await a.locator('[data-field="oldest"]').innerText()).toMatch(/\d/);
    const b = page.locator('#groups tr[data-group="meeting-b"]');
    expect(await b.locator('[data-field="waiting"]').innerText()).toBe('0');
    expect(await b.locator('[data-field="running"]').innerText()).toBe('1');
    expect(await b.locator('[data-field="blocked"]').innerText()).toBe('no');
    expect(await page.locator('#groups h3').innerText()).toBe('Groups (0 ready, 1 blocked, 2 in flight; no groupConcurrency)');
    expect(await page.locator('td[data-field="groups"]').innerText()).toBe('0/1/2');
    await shot('queue-groups');
    await page.goto(`${base}#/`);
    const overview = page.locator('tr[data-queue="grouped"]');
    await overview.locator('[data-field="groups"]', { hasText: '0/1/2' }).waitFor();
    // the grouped messages are in no tier list, yet the oldest waiting age sees them
    expect(await overview.locator('[data-field="oldest"]').innerText()).not.toBe('-');
    expect(await page.locator('tr[data-queue="orders"] [data-field="groups"]').innerText()).toBe('-');
    release.resolve();
    await page.goto(`${base}#/queue/grouped`);
    await page.locator('#groups', { hasText: 'Groups: none ready or in flight' }).waitFor({ timeout: 30_000 });
  });

  it('the pub/sub page shows channels with subscribers and the rate of their messages', async () => {
    const bus = createEventBus({ type: 'redis_pubsub', client, prefix: `${prefix}:ev`, serviceName: 'svc' });
    buses.push(bus);
    await bus.subscribe('chat.lobby', async () => undefined);
    await page.goto(`${base}#/channels`);
    const row = page.locator('tr[data-channel="chat.lobby"]');
    await row.locator('[data-field="subscribers"]', { hasText: '1' }).waitFor();
    // the dashboard samples from its first look at the page: publish until its count shows them
    let sent = 0;
    await waitFor(
      async () => {
        await bus.publish('chat.lobby', 'chat.said', { n: ++sent });
        return Number(await row.locator('[data-field="published"]').innerText()) >= 3;
      },
      'three messages counted on the page',
      30_000,
      300,
    );
    expect(Number(await row.locator('[data-field="rate"]').innerText())).toBeGreaterThan(0);
    await shot('pubsub');
  });
});
