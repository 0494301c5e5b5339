import type { Server } from 'http';
import type { Command } from 'commander';
import { ADMIN_TOKEN_MIN_LENGTH, checkAllowedHosts, DashboardOptions, startDashboardServer } from '@meeting/queue';
import { usage } from '../cli-errors';
import { usageOfLibraryError } from '../cli-names';
import { GlobalOptions, parseIntOption, refuseEmpty, withAdmin } from '../context';

/** What a failed listen means to an operator (by the error code of `listen` / `getaddrinfo`). */
const LISTEN_PROBLEMS: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied',
  EADDRNOTAVAIL: 'not an address of this machine',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'host name lookup failed',
};

/**
 * The admin token: `--admin-token`, else `MQ_ADMIN_TOKEN` (empty: none). Given empty, or shorter
 * than {@link ADMIN_TOKEN_MIN_LENGTH} characters (the library would refuse it; checked here, before
 * connecting, to name the flag or variable), it is a usage error naming where it came from (its
 * length shown, never its text).
 * @throws CliError (usage, exit 2)
 */
export function adminTokenOf(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  refuseEmpty('--admin-token', flag, 'a token (not empty; leave the flag out for a read-only dashboard)');
  const [name, token] = flag !== undefined ? ['--admin-token', flag] : ['MQ_ADMIN_TOKEN', env.MQ_ADMIN_TOKEN || undefined];
  const length = token === undefined ? ADMIN_TOKEN_MIN_LENGTH : [...token].length;
  if (length < ADMIN_TOKEN_MIN_LENGTH) throw usage(`${name}: expected a token of at least ${ADMIN_TOKEN_MIN_LENGTH} characters, got ${length} characters`);
  return token;
}

/**
 * The `--allowed-host` names (none given: undefined, the dashboard's default: on a loopback address
 * the loopback names, elsewhere every host), checked by the library's rule before connecting; a bad
 * one is a usage error naming `--allowed-host`.
 * @throws CliError (usage, exit 2)
 */
export function allowedHostsOf(names: readonly string[]): string[] | undefined {
  if (names.length === 0) return undefined;
  try {
    checkAllowedHosts(names, 'dashboard.allowedHosts');
  } catch (error) {
    throw usageOfLibraryError(error) ?? error;
  }
  return [...names];
}

/** `host:port`, the IPv6 host in brackets. */
const hostPort = (host: string, port: number) => `${host.includes(':') ? `[${host}]` : host}:${port}`;

/**
 * Starts the HTTP server; an address it cannot listen on (in use, not local, unknown host, a
 * privileged port) is a usage error naming `--host`/`--port`, not a Redis problem.
 */
async function listen(options: DashboardOptions & { port: number; host: string }): Promise<Server> {
  try {
    return await startDashboardServer(options);
  } catch (error) {
    const { code, syscall } = error as NodeJS.ErrnoException;
    if (!code || (syscall !== 'listen' && syscall !== 'getaddrinfo')) throw error;
    throw usage(`dashboard: cannot listen on ${hostPort(options.host, options.port)}: ${LISTEN_PROBLEMS[code] ?? code} (${code}); see --host, --port`);
  }
}

export function registerDashboard(program: Command, globals: () => GlobalOptions): void {
  program
    .command('dashboard')
    .description('serve the web dashboard (docs/dashboard.md) until interrupted')
    .option('-p, --port <port>', 'TCP port', '8080')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option(
      '--admin-token <token>',
      `unlocks replay, delete, purge, pause, cancel; at least ${ADMIN_TOKEN_MIN_LENGTH} characters (default: MQ_ADMIN_TOKEN; none: read-only)`,
    )
    .option(
      '--allowed-host <name>',
      'a Host name the dashboard answers, others get 403 (repeatable; .example.com: a domain and its subdomains; default: on a loopback address the loopback names, elsewhere any)',
      (name: string, names: string[]) => [...names, name],
      [] as string[],
    )
    .action((opts: { port: string; host: string; adminToken?: string; allowedHost: string[] }) => {
      const port = parseIntOption('--port', opts.port, 0, 65535)!;
      const adminToken = adminTokenOf(opts.adminToken);
      const allowedHosts = allowedHostsOf(opts.allowedHost);
      return withAdmin(
        globals(),
        async (admin) => {
          const server = await listen({
            admin,
            adminToken,
            allowedHosts,
            port,
            host: opts.host,
            audit: (line) => process.stderr.write(`${line}\n`),
          });
          const address = server.address() as { port: number };
          process.stderr.write(
            `dashboard on http://${hostPort(opts.host, address.port)}/ (Redis ${admin.description}, ${adminToken ? 'admin token set' : 'read-only'}; Ctrl-C to stop)\n`,
          );
          await new Promise<void>((resolve) => {
            process.once('SIGINT', resolve);
            process.once('SIGTERM', resolve);
          });
          server.closeAllConnections();
          await new Promise<void>((resolve) => server.close(() => resolve()));
        },
        true,
      );
    });
}
