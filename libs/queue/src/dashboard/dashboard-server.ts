import { createServer, Server } from 'http';
import { InvalidOptionError } from '../errors/queue-errors';
import { checkOption, intField, knownKeys } from '../util/fields';
import { checkDashboardOptions, createDashboardHandler, DashboardOptions, sendHttpError } from './dashboard-handler';

/** Options of {@link startDashboardServer}: the dashboard's, and where to listen. */
type DashboardServerOptions = DashboardOptions & { port: number; host?: string };

const SERVER_KEYS = knownKeys<DashboardServerOptions>({ admin: true, adminToken: true, audit: true, deadlineMs: true, port: true, host: true });

/** `localhost`, an address of 127.0.0.0/8 or `::1` (with or without brackets). */
function isLoopbackName(name: string): boolean {
  const bare = name.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return bare === 'localhost' || bare.endsWith('.localhost') || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare);
}

/** Whether a request's Host header names the loopback (absent: not a browser, which always sends one). */
function loopbackHostHeader(header: string | undefined): boolean {
  if (header === undefined) return true;
  try {
    return isLoopbackName(new URL(`http://${header}`).hostname);
  } catch {
    return false;
  }
}

/**
 * The dashboard alone on an HTTP server, at `/` (what `mq dashboard` runs). Resolves once listening.
 * Listening on a loopback address (the default), it answers only requests whose `Host` names the
 * loopback (`localhost`, `127.0.0.1`, `[::1]`): a page of another site cannot read it through DNS
 * rebinding. On another address every `Host` is served (a proxy in front should check them).
 * @throws InvalidOptionError naming a bad or unknown option (`dashboard.port`, `dashboard.host`, ...), before listening
 */
export async function startDashboardServer(options: DashboardServerOptions): Promise<Server> {
  checkDashboardOptions(options, SERVER_KEYS);
  const port = checkOption(intField(0, 65535), options.port, 'dashboard.port', InvalidOptionError);
  const { host = '127.0.0.1', port: _port, ...dashboard } = options;
  if (typeof host !== 'string' || host.length === 0) throw new InvalidOptionError('dashboard.host', host, 'a host name or address (a non-empty string)');
  const handle = createDashboardHandler(dashboard);
  const loopback = isLoopbackName(host);
  const server = createServer((req, res) => {
    // DNS rebinding: a site pointing its own name at 127.0.0.1 reaches a loopback dashboard with its name as Host
    if (loopback && !loopbackHostHeader(req.headers.host))
      return sendHttpError(res, 403, `host not allowed: the dashboard listens on ${host}; use localhost or the loopback address`);
    void handle(req, res, req.url ?? '/');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
