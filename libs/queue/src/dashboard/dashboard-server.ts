import { createServer, Server } from 'http';
import { InvalidOptionError } from '../errors/queue-errors';
import { checkOption, intField, knownKeys } from '../util/fields';
import { checkDashboardOptions, createDashboardHandler, DashboardOptions } from './dashboard-handler';

/** Options of {@link startDashboardServer}: the dashboard's, and where to listen. */
type DashboardServerOptions = DashboardOptions & { port: number; host?: string };

const SERVER_KEYS = knownKeys<DashboardServerOptions>({ admin: true, adminToken: true, audit: true, deadlineMs: true, port: true, host: true });

/**
 * The dashboard alone on an HTTP server, at `/` (what `mq dashboard` runs). Resolves once listening.
 * @throws InvalidOptionError naming a bad or unknown option (`dashboard.port`, `dashboard.host`, ...), before listening
 */
export async function startDashboardServer(options: DashboardServerOptions): Promise<Server> {
  checkDashboardOptions(options, SERVER_KEYS);
  const port = checkOption(intField(0, 65535), options.port, 'dashboard.port', InvalidOptionError);
  const { host = '127.0.0.1', port: _port, ...dashboard } = options;
  if (typeof host !== 'string' || host.length === 0) throw new InvalidOptionError('dashboard.host', host, 'a host name or address (a non-empty string)');
  const handle = createDashboardHandler(dashboard);
  const server = createServer((req, res) => void handle(req, res, req.url ?? '/'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
