import { ChildProcess, execFileSync, spawn } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { createServer } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import Redis from 'ioredis';
import { parseInfo } from './redis-info';

export interface RedisServerOptions {
  /** appendonly yes with fsync always (default false: no persistence at all). */
  aof?: boolean;
  password?: string;
  /** Extra `--flag value` arguments, e.g. ['--maxmemory', '10mb']. */
  args?: string[];
  /** Port to use (default: a free one). */
  port?: number;
  /** Data directory (default: a new temp dir, removed by `cleanup`). */
  dir?: string;
  /**
   * Text of a config file, written to `<dir>/server.conf` and given as the first argument (a
   * `--sentinel` process needs a config file it can rewrite).
   */
  config?: string;
  /**
   * TLS only: the server listens with `--tls-port <port> --port 0` using these PEM files, and asks
   * clients for a certificate signed by `ca` unless `authClients` is false. `client` (cert and key
   * PEM files) is what the harness's own probe presents.
   */
  tls?: { cert: string; key: string; ca: string; authClients?: boolean; client?: { cert: string; key: string } };
}

/** Path of `redis-server` on PATH (or REDIS_SERVER_BIN), or null. */
export function findRedisServerBinary(): string | null {
  const candidates = [process.env.REDIS_SERVER_BIN, 'redis-server', '/usr/bin/redis-server', '/usr/local/bin/redis-server'];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      execFileSync(candidate, ['--version'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // try the next one
    }
  }
  return null;
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * A throwaway `redis-server` process on a free port in its own data directory. It can be killed
 * (SIGKILL), stopped cleanly and restarted on the same port and data directory.
 */
export class RedisServerProcess {
  readonly host = '127.0.0.1';
  readonly port: number;
  readonly dir: string;
  private child?: ChildProcess;
  private readonly clients = new Set<Redis>();
  private readonly ownsDir: boolean;

  private constructor(
    private readonly binary: string,
    private readonly options: RedisServerOptions,
    port: number,
  ) {
    this.port = port;
    this.ownsDir = !options.dir;
    this.dir = options.dir ?? mkdtempSync(join(tmpdir(), 'mq-redis-'));
  }

  /**
   * Starts a server on `options.port`, or on a free port. A free port can be taken by another
   * process between the check and redis-server's bind, and a Cluster node also binds port + 10000
   * (its bus), which nothing checked: when the server exits at start for one of those reasons
   * (its log says so), it is started again on another free port, up to 5 times.
   */
  static async start(binary: string, options: RedisServerOptions = {}): Promise<RedisServerProcess> {
    for (let attempt = 1; ; attempt++) {
      const server = new RedisServerProcess(binary, options, options.port ?? (await freePort()));
      try {
        await server.restart();
        return server;
      } catch (error) {
        const retry = options.port === undefined && attempt < 5 && server.portRefused();
        await server.cleanup();
        if (!retry) throw error;
      }
    }
  }

  /** Whether the server's log says it could not listen on its port or its cluster bus port. */
  private portRefused(): boolean {
    try {
      return /Address already in use|port number too high/i.test(readFileSync(join(this.dir, 'redis.log'), 'utf8'));
    } catch {
      return false;
    }
  }

  get url(): string {
    const scheme = this.options.tls ? 'rediss' : 'redis';
    return this.options.password
      ? `${scheme}://:${encodeURIComponent(this.options.password)}@${this.host}:${this.port}`
      : `${scheme}://${this.host}:${this.port}`;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the server (again) with the same port, data dir and options. */
  async restart(): Promise<void> {
    if (this.running) return;
    const configFile = join(this.dir, 'server.conf');
    if (this.options.config !== undefined && !existsSync(configFile)) writeFileSync(configFile, this.options.config);
    const tls = this.options.tls;
    const args = [
      ...(this.options.config !== undefined ? [configFile] : []),
      ...(tls
        ? ['--port', '0', '--tls-port', String(this.port), '--tls-cert-file', tls.cert, '--tls-key-file', tls.key, '--tls-ca-cert-file', tls.ca]
        : ['--port', String(this.port)]),
      ...(tls ? ['--tls-auth-clients', tls.authClients === false ? 'no' : 'yes'] : []),
      '--bind',
      this.host,
      '--dir',
      this.dir,
      '--save',
      '',
      '--daemonize',
      'no',
      '--appendonly',
      this.options.aof ? 'yes' : 'no',
      '--appendfsync',
      'always',
      '--logfile',
      join(this.dir, 'redis.log'),
    ];
    if (this.options.password) args.push('--requirepass', this.options.password);
    args.push(...(this.options.args ?? []));
    const child = spawn(this.binary, args, { stdio: 'ignore' });
    this.child = child;
    running.add(child);
    child.once('exit', () => running.delete(child));
    await this.waitUntilUp();
  }

  /** SIGKILL: no shutdown, no final fsync beyond what the fsync policy already did. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SIGSTOP: the process stops answering (and replicating) until {@link thaw}; its sockets stay open. */
  async freeze(): Promise<void> {
    if (this.running) this.child?.kill('SIGSTOP');
  }

  /** SIGCONT after {@link freeze}. */
  async thaw(): Promise<void> {
    if (this.running) this.child?.kill('SIGCONT');
  }

  /** SIGTERM: a clean shutdown. */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /** Stops the server and removes its temp data directory. */
  async cleanup(): Promise<void> {
    for (const client of this.clients) client.disconnect();
    this.clients.clear();
    await this.kill();
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }

  /** A new client for this server (disconnected by `cleanup` if the caller did not close it). */
  client(): Redis {
    // disconnectTimeout: ioredis keeps a fallback timer that only a later socket 'close' clears;
    // a socket already closed by a killed server would keep the test process alive for 2 s.
    const client = new Redis(this.url, {
      maxRetriesPerRequest: null,
      retryStrategy: (n) => Math.min(n * 50, 500),
      disconnectTimeout: 50,
      // the same for the ready check ioredis repeats while the server loads its AOF (1 s by default)
      maxLoadingRetryTime: 50,
      ...(this.options.tls ? { tls: this.tlsClientOptions() } : {}),
    });
    this.clients.add(client);
    client.once('end', () => this.clients.delete(client));
    return client;
  }

  /** What the harness's own clients present to a TLS server: its CA, and the client certificate when given. */
  tlsClientOptions(): { ca: string; cert?: string; key?: string } {
    const tls = this.options.tls;
    if (!tls) return { ca: '' };
    const client = tls.client ? { cert: readFileSync(tls.client.cert, 'utf8'), key: readFileSync(tls.client.key, 'utf8') } : {};
    return { ca: readFileSync(tls.ca, 'utf8'), ...client };
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }

  private async waitUntilUp(): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`redis-server exited at start (port ${this.port}); see ${join(this.dir, 'redis.log')}`);
      const probe = new Redis({
        host: this.host,
        port: this.port,
        password: this.options.password,
        lazyConnect: true,
        retryStrategy: () => null,
        maxRetriesPerRequest: 0,
        disconnectTimeout: 10,
        ...(this.options.tls ? { tls: this.tlsClientOptions() } : {}),
      });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        // Ours, not another server that took the port while ours was down (a restart reuses the
        // port): that one would answer PING while ours fails to bind and exits (seen then above).
        if ((await probe.ping()) === 'PONG' && Number(parseInfo(await probe.info('server')).process_id) === this.child?.pid) return;
      } catch {
        // not up yet (or still loading its AOF)
      } finally {
        probe.disconnect();
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`redis-server did not answer on port ${this.port} within 10 s`);
  }
}
