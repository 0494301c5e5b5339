import type { Command } from 'commander';
import { startDashboardServer } from '@meeting/queue';
import { GlobalOptions, parseIntOption, withAdmin } from '../context';

export function registerDashboard(program: Command, globals: () => GlobalOptions): void {
  program
    .command('dashboard')
    .description('serve the web dashboard (docs/dashboard.md) until interrupted')
    .option('-p, --port <port>', 'TCP port', '8080')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--admin-token <token>', 'unlocks replay, delete, purge, pause, cancel (default: MQ_ADMIN_TOKEN; none: read-only)')
    .action((opts: { port: string; host: string; adminToken?: string }) =>
      withAdmin(
        globals(),
        async (admin) => {
          const port = parseIntOption('--port', opts.port, 0, 65535)!;
          const adminToken = opts.adminToken ?? process.env.MQ_ADMIN_TOKEN ?? undefined;
          const server = await startDashboardServer({
            admin,
            adminToken: adminToken || undefined,
            port,
            host: opts.host,
            audit: (line) => process.stderr.write(`${line}\n`),
          });
          const address = server.address() as { port: number };
          process.stderr.write(
            `dashboard on http://${opts.host}:${address.port}/ (Redis ${admin.description}, ${adminToken ? 'admin token set' : 'read-only'}; Ctrl-C to stop)\n`,
          );
          await new Promise<void>((resolve) => {
            process.once('SIGINT', resolve);
            process.once('SIGTERM', resolve);
          });
          server.closeAllConnections();
          await new Promise<void>((resolve) => server.close(() => resolve()));
        },
        true,
      ),
    );
}
