/** A local webhook receiver for the dispatcher specs (not public API). */
import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the receiver got it. */
export interface Received {
  path: string;
  method: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
  /** Set once its response was sent or its connection closed (a held request whose sender aborted it). */
  closed: boolean;
}

/** How the receiver answers its `count`-th request; an answer that never ends `res` holds the request. */
export type Answer = (req: Received, res: ServerResponse, count: number) => void;

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>` (append a path). */
  url: string;
  received: Received[];
  /** Drops the connections still open (held requests included) and stops listening. */
  close(): Promise<void>;
}

/** A server on 127.0.0.1:<free port> answering each request with `answer` (its n-th request gets count n). */
export async function receiver(answer: Answer): Promise<WebhookReceiver> {
  const received: Received[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const r: Received = { path: req.url ?? '', method: req.method ?? '', headers: req.headers, body, at: performance.now(), closed: false };
      res.on('close', () => (r.closed = true));
      received.push(r);
      answer(r, res, received.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
