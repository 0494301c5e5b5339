/**
 * `mq dashboard --allowed-host` as an operator runs it: the process on a real Redis answers only
 * the listed Host names (any port); every other one, the loopback names included, gets 403.
 */
import { ChildProcess, spawn } from 'child_process';
import { request } from 'http';
import { join } from 'path';
import { uniquePrefix, useTestRedis, waitFor } from '@meeting/queue/testing';

const ROOT = join(__dirname, '..', '..', '..');
const BIN = join(__dirname, '..', 'bin', 'mq.js');

jest.setTimeout(120_000);

/** The status of GET `path` on 127.0.0.1:`port` with `Host: host`. */
function statusWithHost(port: number, path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('mq dashboard --allowed-host (e2e, Redis)', () => {
  let dashboard: ChildProcess | undefined;
  afterAll(() => {
    dashboard?.kill('SIGKILL');
  });
  const server = useTestRedis({ spawn: true }); // declared after: its afterAll stops Redis once the dashboard is killed

  it('answers the listed names and .domain subdomains, 403 for any other Host (localhost too: the list replaces the loopback default)', async () => {
    const log: string[] = [];
    const args = [BIN, '--prefix', uniquePrefix('hosts'), 'dashboard', '--port', '0', '--allowed-host', 'ops.example.com', '--allowed-host', '.example.org'];
    dashboard = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, REDIS_URL: server.url } });
    dashboard.stderr?.on('data', (d: Buffer) => log.push(d.toString()));
    const port = Number(await waitFor(() => /dashboard on http:\/\/127\.0\.0\.1:(\d+)\//.exec(log.join(''))?.[1], 'the dashboard to listen', 90_000));

    expect(await statusWithHost(port, '/api/overview', `ops.example.com:${port}`)).toBe(200);
    expect(await statusWithHost(port, '/api/overview', 'grafana.example.org')).toBe(200);
    expect(await statusWithHost(port, '/', 'ops.example.com')).toBe(200);
    expect(await statusWithHost(port, '/api/overview', 'rebound.attacker.test')).toBe(403);
    expect(await statusWithHost(port, '/', `localhost:${port}`)).toBe(403);
  });
});
