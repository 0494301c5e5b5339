/** Test helper: a TypeScript fixture run as a child process (ts-node), spoken to over IPC. Not public API. */
import { ChildProcess, fork } from 'child_process';
import { join } from 'path';

export const FIXTURES = join(__dirname, '../../../test/fixtures');
const ROOT = join(__dirname, '../../../../..');
/** Longest a fixture may take to start and report ready. */
const READY_TIMEOUT_MS = 90_000;

export class FixtureProcess {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  readonly events: Array<{ event: string; task: Record<string, unknown> }> = [];

  private constructor(readonly child: ChildProcess) {
    child.on('message', (m: { id?: number; ok?: boolean; value?: unknown; error?: unknown; event?: string; task?: Record<string, unknown> }) => {
      if (m.event) this.events.push({ event: m.event, task: m.task! });
      if (m.id === undefined) return;
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.ok) p?.resolve(m.value);
      else p?.reject(Object.assign(new Error('remote'), { detail: m.error }));
    });
  }

  /** Starts `fixture` (a file in libs/queue/test/fixtures) and waits for its { ready: true }. */
  static async start(fixture: string, env: Record<string, string>): Promise<FixtureProcess> {
    const child = fork(join(FIXTURES, fixture), [], {
      cwd: ROOT,
      execArgv: ['-r', 'ts-node/register/transpile-only'],
      env: { ...process.env, ...env, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json') },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const proc = new FixtureProcess(child);
    await new Promise<void>((resolve, reject) => {
      // Generous: a child compiles its imports with ts-node first, which takes tens of seconds on a busy machine.
      const timer = setTimeout(() => {
        child.kill('SIGKILL'); // never leave a child behind (it would hold the test run's output open)
        reject(new Error(`${fixture} not ready within ${READY_TIMEOUT_MS / 1000} s`));
      }, READY_TIMEOUT_MS);
      child.on('message', (m: { ready?: boolean }) => {
        if (m?.ready) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${fixture} exited with ${code} before it was ready`));
      });
    });
    return proc;
  }

  request<T = unknown>(op: string, body: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, op, ...body });
    });
  }

  /** Remote error details of a rejected request. */
  static detail(error: unknown): { name: string; message: string; ctor: string } {
    return (error as { detail: { name: string; message: string; ctor: string } }).detail;
  }

  /** Clean exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send('exit');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  /** SIGKILL: no cleanup at all. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}
