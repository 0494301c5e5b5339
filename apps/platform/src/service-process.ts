import { ChildProcess, spawn } from 'child_process';
import { get } from 'http';
import { createInterface } from 'readline';
import type { PlatformService } from './services';

const COLORS = [36, 35, 33, 32];

/** One service run as a child process; its output lines are prefixed with its name. */
export class ServiceProcess {
  private readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  private stopping = false;

  constructor(
    readonly service: PlatformService,
    env: NodeJS.ProcessEnv,
    index: number,
    private readonly onUnexpectedExit: (service: ServiceProcess, code: number | null, signal: NodeJS.Signals | null) => void,
  ) {
    this.child = spawn(process.execPath, service.args, { cwd: service.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const color = process.stdout.isTTY && !env.NO_COLOR ? COLORS[index % COLORS.length] : 0;
    const prefix = color ? `\u001b[${color}m${service.name.padEnd(17)}|\u001b[0m ` : `${service.name.padEnd(17)}| `;
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${prefix}${line}\n`));
    }
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        if (!this.stopping) this.onUnexpectedExit(this, code, signal);
        resolve(code);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM (the service drains its handlers and closes its connections); SIGKILL after `graceMs`. Resolves when it exited. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (this.running) {
        process.stdout.write(`platform: ${this.service.name} did not stop within ${graceMs} ms: SIGKILL\n`);
        this.child.kill('SIGKILL');
      }
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Polls GET /health until it answers 200 (true) or the process exits / `timeoutMs` passes (false). */
  async waitHealthy(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.running && Date.now() < deadline) {
      if (await healthOk(this.service.port)) return true;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return false;
  }
}

function healthOk(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/health', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}
