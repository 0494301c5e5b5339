/**
 * Webhook delivery against a real local HTTP server: which answers are tried again (network
 * errors, 408, 429, 5xx, honouring a bounded Retry-After), which fail at once (another 4xx, a
 * redirect, never followed), the answer's body discarded unread, and the Standard Webhooks headers
 * (`webhook-id` stable across tries, `webhook-attempt`, `webhook-signature` a receiver can check).
 */
import { createHmac } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { QueueLogger } from '../logger';
import { quietLogger, waitFor } from '../testing';
import { memoryDispatcherKit } from './testing/dispatcher-test-kit';
import { Received, receiver, WebhookReceiver } from './testing/webhook-receiver';
import { postWebhook, WebhookDeliveryError, WebhookOptions } from './webhook';

const FAST: WebhookOptions = { attempts: 5, backoffMs: 5, timeoutMs: 5000 };
const status =
  (code: number, headers: Record<string, string> = {}) =>
  (_req: Received, res: ServerResponse) =>
    res.writeHead(code, headers).end();

describe('postWebhook', () => {
  let server: WebhookReceiver | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('tries a 404 (and any 4xx but 408 and 429) once, saying it is not retried', async () => {
    for (const code of [400, 401, 404, 410, 422]) {
      server = await receiver(status(code));
      const error = await postWebhook(`${server.url}/hook`, 'q:1', { n: 1 }, FAST).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WebhookDeliveryError);
      expect(error).toMatchObject({ tries: 1, final: true, message: `HTTP ${code} (not retried: only 408, 429 and 5xx are)` });
      expect(server.received).toHaveLength(1);
      await server.close();
    }
    server = undefined;
  });

  it('tries a 503, 500, 408 and 429 again, with the same webhook-id and the attempt number on each try', async () => {
    const codes = [503, 500, 408, 429, 200];
    server = await receiver((req, res, n) => res.writeHead(codes[n - 1]).end());
    await expect(postWebhook(`${server.url}/hook`, 'jobs:1700000000000-0', { n: 1 }, FAST)).resolves.toBe(5);
    expect(server.received.map((r) => r.headers['webhook-id'])).toEqual(Array(5).fill('jobs:1700000000000-0'));
    expect(server.received.map((r) => r.headers['webhook-attempt'])).toEqual(['1', '2', '3', '4', '5']);
    for (const r of server.received) {
      expect(r.method).toBe('POST');
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['webhook-timestamp']).toMatch(/^\d+$/);
      expect(Math.abs(Number(r.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
      expect(r.headers['webhook-signature']).toBeUndefined();
      expect(JSON.parse(r.body)).toEqual({ n: 1 });
    }
  });

  it('gives up after `attempts` tries of a 503 with its status', async () => {
    server = await receiver(status(503));
    await expect(postWebhook(`${server.url}/hook`, 'q:1', {}, { ...FAST, attempts: 3 })).rejects.toMatchObject({ tries: 3, final: false, message: 'HTTP 503' });
    expect(server.received).toHaveLength(3);
  });

  it('waits the Retry-After seconds of a 429 or 503 (when at most 30) before the next try', async () => {
    for (const code of [429, 503]) {
      server = await receiver((_req, res, n) => res.writeHead(n === 1 ? code : 204, n === 1 ? { 'retry-after': '1' } : {}).end());
      await expect(postWebhook(`${server.url}/hook`, 'q:1', {}, FAST)).resolves.toBe(2);
      expect(server.received).toHaveLength(2);
      expect(server.received[1].at - server.received[0].at).toBeGreaterThanOrEqual(900);
      await server.close();
    }
    server = undefined;
  });

  it('ignores a Retry-After over 30 s (the normal backoff applies)', async () => {
    server = await receiver((_req, res, n) => res.writeHead(n === 1 ? 503 : 200, n === 1 ? { 'retry-after': '3600' } : {}).end());
    await expect(postWebhook(`${server.url}/hook`, 'q:1', {}, FAST)).resolves.toBe(2);
    expect(server.received).toHaveLength(2);
  });

  it('does not follow a redirect: a 302 fails at once and its target gets no request', async () => {
    server = await receiver((req, res) => (req.path === '/hook' ? res.writeHead(302, { location: '/elsewhere' }).end() : res.writeHead(200).end()));
    await expect(postWebhook(`${server.url}/hook`, 'q:1', {}, FAST)).rejects.toMatchObject({
      tries: 1,
      message: 'HTTP 302: redirects are not followed (not retried)',
    });
    expect(server.received.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /hook']);
  });

  it('tries again after a dropped connection', async () => {
    server = await receiver((req, res, n) => (n === 1 ? res.socket?.destroy() : res.writeHead(200).end()));
    await expect(postWebhook(`${server.url}/hook`, 'q:1', {}, FAST)).resolves.toBe(2);
  });

  it('discards a 50 MB answer without reading it: the sender closes the connection before the body is sent', async () => {
    let finished = false;
    let closed = false;
    const chunk = Buffer.alloc(64 * 1024, 120);
    server = await receiver((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(800 * chunk.length) });
      let sent = 0;
      const more = () => {
        while (sent < 800 && !res.destroyed) {
          sent++;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        if (!res.destroyed) res.end();
      };
      res.on('finish', () => (finished = true));
      res.on('close', () => (closed = true));
      more();
    });
    await expect(postWebhook(`${server.url}/hook`, 'q:1', {}, FAST)).resolves.toBe(1);
    await waitFor(() => closed, 'the answer closed');
    expect(finished).toBe(false);
  });

  it('a signal that fires aborts the running try (its connection closed) and makes no further try', async () => {
    server = await receiver(() => undefined); // holds every request
    const controller = new AbortController();
    const reason = new Error('closing');
    const post = postWebhook(`${server.url}/hook`, 'q:9', {}, { attempts: 5, backoffMs: 5, timeoutMs: 60_000 }, controller.signal);
    await waitFor(() => server!.received.length === 1, 'the held request');
    controller.abort(reason);
    await expect(post).rejects.toBe(reason);
    await waitFor(() => server!.received[0].closed, 'the held request closed by the abort');
    expect(server.received).toHaveLength(1);
  });

  it('a signal that fires during the backoff ends it: no further try', async () => {
    server = await receiver(status(503));
    const controller = new AbortController();
    const reason = new Error('closing');
    const post = postWebhook(`${server.url}/hook`, 'q:10', {}, { attempts: 3, backoffMs: 60_000, timeoutMs: 5000 }, controller.signal);
    await waitFor(() => server!.received[0]?.closed, 'the first try answered');
    controller.abort(reason);
    await expect(post).rejects.toBe(reason);
    expect(server.received).toHaveLength(1);
  });

  it('signs each try (Standard Webhooks): the receiver recomputes webhook-signature from its secret', async () => {
    const secret = 'a-receiver-secret-of-some-length';
    server = await receiver((_req, res, n) => res.writeHead(n === 1 ? 500 : 200).end());
    await expect(postWebhook(`${server.url}/hook`, 'q:7', { taskId: 'q:7', state: 'completed' }, { ...FAST, secret })).resolves.toBe(2);
    for (const r of server.received) {
      const [id, timestamp] = [r.headers['webhook-id'], r.headers['webhook-timestamp']];
      const expected = createHmac('sha256', secret).update(`${id}.${timestamp}.${r.body}`).digest('base64');
      expect(r.headers['webhook-signature']).toBe(`v1,${expected}`);
      expect(id).toBe('q:7');
    }
  });

  it('keys a whsec_ secret with its base64-decoded bytes, as the Standard Webhooks libraries do', async () => {
    const key = Buffer.alloc(32, 9);
    server = await receiver(status(204));
    await postWebhook(`${server.url}/hook`, 'q:8', { a: 1 }, { ...FAST, secret: `whsec_${key.toString('base64')}` });
    const r = server.received[0];
    const expected = createHmac('sha256', key).update(`q:8.${r.headers['webhook-timestamp']}.${r.body}`).digest('base64');
    expect(r.headers['webhook-signature']).toBe(`v1,${expected}`);
  });
});

describe('dispatcher webhooks', () => {
  it('posts the outcome signed with webhook.secret as delivery <taskId>; a 404 is logged once as not retried, the secret never', async () => {
    const lines: string[] = [];
    const logger: QueueLogger = { ...quietLogger, error: (line) => void lines.push(line), warn: (line) => void lines.push(line), child: () => logger };
    const secret = 'dispatcher-secret-0123456789';
    const server = await receiver((req, res) => res.writeHead(req.path === '/gone' ? 404 : 200).end());
    const kit = memoryDispatcherKit();
    try {
      const svc = kit.dispatcher({ service: 'svc', routingEnabled: false, webhook: { backoffMs: 5, secret }, logger });
      svc.handle('t', (payload: number) => payload * 2);
      const ok = await svc.dispatch('t', 21, { webhookUrl: `${server.url}/ok?token=x` });
      const gone = await svc.dispatch('t', 1, { webhookUrl: `${server.url}/gone` });
      await waitFor(() => server.received.length === 2 && lines.length === 1, 'both webhooks and the log line');
      const delivered = server.received.find((r) => r.path.startsWith('/ok'))!;
      expect(JSON.parse(delivered.body)).toMatchObject({ taskId: ok, state: 'completed', result: 42 });
      expect(delivered.headers['webhook-id']).toBe(ok);
      const expected = createHmac('sha256', secret).update(`${ok}.${delivered.headers['webhook-timestamp']}.${delivered.body}`).digest('base64');
      expect(delivered.headers['webhook-signature']).toBe(`v1,${expected}`);
      expect(lines).toEqual([`webhook ${server.url}/gone for task ${gone} failed after 1 try: HTTP 404 (not retried: only 408, 429 and 5xx are)`]);
      expect(server.received.filter((r) => r.path === '/gone')).toHaveLength(1);
    } finally {
      await kit.close();
      await server.close();
    }
  });
});
