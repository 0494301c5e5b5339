import { createServer, Server } from 'http';
import { InvalidOptionError } from '../errors/queue-errors';
import { checkOption, intField, knownKeys } from '../util/fields';
import { isLoopbackName, loopbackHosts } from './allowed-hosts';
import { checkDashboardOptions, createDashboardHandler, DASHBOARD_KEYS, DashboardOptions } from './dashboard-handler';

/** Options of {@link startDashboardServer}: the dashboard's, and where to listen. */
type DashboardServerOptions = DashboardOptions & { port: number; host?: string };

const SERVER_KEYS: readonly string[] = [...DASHBOARD_KEYS, ...knownKeys<Omit<DashboardServerOptions, keyof DashboardOptions>>({ port: true, host: true })];

/**
 * The dashboard alone on an HTTP server, at `/` (what `mq dashboard` runs). Resolves once listening.
 * Listening on a loopback address (the default), its `allowedHosts` are by default the loopback
 * names (`localhost`, `*.localhost`, `127.0.0.1`, `[::1]` and the address it listens on): a page of
 * another site cannot read it through DNS rebinding. On another address every `Host` is served
 * unless `allowedHosts` says otherwise (or a proxy in front checks them).
 * @throws InvalidOptionError naming a bad or unknown option (`dashboard.port`, `dashboard.host`, ...), before listening
 */
export async function startDashboardServer(options: DashboardServerOptions): Promise<Server> {
  checkDashboardOptions(options, SERVER_KEYS);
  const port = checkOption(intField(0, 65535), options.port, 'dashboard.port', InvalidOptionError);
  const { host = '127.0.0.1', port: _port, ...dashboard } = options;
  if (typeof host !== 'string' || host.length === 0) throw new InvalidOptionError('dashboard.host', host, 'a host name or address (a non-empty string)');
  // DNS rebinding: a site pointing its own name at 127.0.0.1 reaches a loopback dashboard with its name as Host
  const allowedHosts = dashboard.allowedHosts ?? (isLoopbackName(host) ? loopbackHosts(host) : undefined);
  const handle = createDashboardHandler({ ...dashboard, allowedHosts });
  const server = createServer((req, res) => void handle(req, res, req.url ?? '/'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
