/**
 * mq.e2e.spec.ts, failures: a Redis lost while `stats --watch` and `events tail` run (exit 3, one
 * masked line), usage errors found before connecting (exit 2 with Redis unreachable), the
 * dashboard's listen address (exit 2 naming it) and its one line when Redis is unreachable, and the
 * commands naming a queue that refuse an unknown one.
 */
import { spawn } from 'child_process';
import { createServer, Server } from 'net';
import { spawnRedis, waitFor } from '@meeting/queue/testing';
import { BIN, collect, freePort, MqE2e, ROOT } from './mq-e2e-context';

/** The bin as a long-running child process: its output so far and its exit code once it ended. */
function follow(args: string[]): { out: { stdout: string; stderr: string }; code: () => number | null | undefined; kill: () => void } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env } });
  const out = collect(child);
  let code: number | null | undefined;
  child.on('exit', (c) => (code = c));
  return { out, code: () => code, kill: () => void (code === undefined && child.kill('SIGKILL')) };
}

/** Listens on a free port of 127.0.0.1 (the port taken). */
function occupyPort(): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => resolve(server));
  });
}

/** Registers the failure tests in the calling describe. */
export function failureScenarios(e2e: () => MqE2e): void {
  it('a Redis lost while stats --watch and events tail run ends each with exit 3 and one masked line', async () => {
    const { prefix } = e2e();
    const lost = await spawnRedis({ password: 'gone-pass' });
    const url = `redis://:gone-pass@127.0.0.1:${lost.port}`;
    const runs = [
      ['stats', '--watch', '--interval', '1', '--json'],
      ['events', 'tail', 'room'],
      ['events', 'tail', 'room', '--mode', 'stream'],
    ].map((args) => follow(['--prefix', prefix, '--redis-url', url, '--timeout', '2000', ...args]));
    try {
      await waitFor(
        () => runs[0].out.stdout.trim().split('\n').length >= 2 && runs.slice(1).every((r) => r.out.stderr.includes('tailing')),
        'two refreshes of the watch, both tails live',
        60_000,
      );
      await lost.kill();
      // without a bound on the outage they wait for a reconnect for ever
      await waitFor(() => runs.every((r) => r.code() !== undefined), 'every command to end', 60_000);
      for (const { code, out } of runs) {
        const lines = out.stderr
          .trim()
          .split('\n')
          .filter((l) => !l.startsWith('tailing '));
        expect({ code: code(), lines }).toEqual({
          code: 3,
          lines: [expect.stringMatching(new RegExp(`^mq: Redis redis://:\\*\\*\\*@127\\.0\\.0\\.1:${lost.port} not reachable for 2000 ms`))],
        });
        expect(out.stderr).not.toContain('gone-pass');
      }
    } finally {
      runs.forEach((r) => r.kill());
      await lost.cleanup();
    }
  });

  it('usage errors are found before connecting: exit 2 with Redis unreachable; a bad --redis-url is named as the flag', async () => {
    const { mq } = e2e();
    // with Redis unreachable, a check made after connecting would exit 3 once the 5 s are over
    const down = ['--redis-url', `redis://127.0.0.1:${await freePort()}`, '--timeout', '5000'];
    for (const args of [
      ['peek', 'orders', '--tier', 'bogus'],
      ['publish', 'orders', 't', '--payload', '{bad'],
      ['dashboard', '--port', '99999'],
      ['dlq', 'purge', 'mail', '--since', 'yesterday-ish'],
      ['stats', '--watch', '--interval', '0'],
      ['events', 'tail', 'room', '--mode', 'sideways'],
    ]) {
      const run = await mq([...down, ...args]);
      expect({ args, code: run.code, lines: run.stderr.trim().split('\n').length }).toEqual({ args, code: 2, lines: 1 });
    }
    const bad = await mq(['--redis-url', 'notaurl', 'queues']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('mq: --redis-url: expected a redis:// or rediss:// URL, got "notaurl"\n');
  });

  it('dashboard: an address it cannot listen on exits 2 naming it; an unreachable Redis is one line, exit 3', async () => {
    const { mq } = e2e();
    const taken = await occupyPort();
    const port = (taken.address() as { port: number }).port;
    try {
      const inUse = await mq(['dashboard', '--port', String(port)]);
      expect({ code: inUse.code, stderr: inUse.stderr }).toEqual({
        code: 2,
        stderr: `mq: dashboard: cannot listen on 127.0.0.1:${port}: address already in use (EADDRINUSE); see --host, --port\n`,
      });
    } finally {
      taken.close();
    }
    const unknown = await mq(['dashboard', '--host', 'no.such.host.invalid', '--port', '0']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^mq: dashboard: cannot listen on no\.such\.host\.invalid:0: [^\n]+; see --host, --port\n$/);
    const closed = await freePort();
    const down = await mq(['--redis-url', `redis://127.0.0.1:${closed}`, '--timeout', '500', 'dashboard', '--port', '0']);
    expect(down.code).toBe(3);
    expect(down.stderr.trim().split('\n')).toEqual([expect.stringMatching(`^mq: Redis redis://127.0.0.1:${closed} not reachable within 500 ms`)]);
  });

  it('status, dlq show and dlq replay refuse an unknown queue (exit 1, nothing on stdout)', async () => {
    const { mq, prefix } = e2e();
    for (const args of [
      ['status', 'nosuch', 'x'],
      ['dlq', 'show', 'nosuch', 'x'],
      ['dlq', 'replay', 'nosuch', 'x'],
    ]) {
      const run = await mq(args);
      expect({ args, code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({
        args,
        code: 1,
        stdout: '',
        stderr: `mq: queue "nosuch" under prefix "${prefix}" not found\n`,
      });
    }
    // a name no queue can have is a usage error (exit 2), not "not found"
    const bad = await mq(['status', 'no such', 'x']);
    expect({ code: bad.code, stdout: bad.stdout, stderr: bad.stderr }).toEqual({
      code: 2,
      stdout: '',
      stderr: 'mq: <queue>: expected a queue name of 1..100 characters from [A-Za-z0-9_.:-], got "no such"\n',
    });
  });
}
