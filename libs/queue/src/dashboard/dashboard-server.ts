import { createServer, Server } from 'http';
import { createDashboardHandler, DashboardOptions } from './dashboard-handler';

/** The dashboard alone on an HTTP server, at `/` (what `mq dashboard` runs). Resolves once listening. */
export async function startDashboardServer(options: DashboardOptions & { port: number; host?: string }): Promise<Server> {
  const handle = createDashboardHandler(options);
  const server = createServer((req, res) => void handle(req, res, req.url ?? '/'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  return server;
}
