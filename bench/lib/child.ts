import { ChildProcess, fork } from 'child_process';
import { join } from 'path';

/** What every bench child sends besides its own messages: its failure. */
export interface ChildFailed {
  type: 'failed';
  message: string;
}

/**
 * A bench script run in a Node process of its own (ts-node, transpile only), talking over IPC: a
 * part of a scenario that must not share the event loop and the garbage collector of the
 * harness (a consumer, a producer). Its exit or a `failed` message fails every wait.
 */
export class BenchChild<In extends object, Out extends { type: string }> {
  private readonly proc: ChildProcess;
  private failure?: Error;
  private readonly waiters: Array<{ type: string; resolve: (msg: Out) => void; reject: (error: Error) => void }> = [];
  private readonly listeners = new Map<string, (msg: Out) => void>();
  private exited = false;

  constructor(
    script: string,
    private readonly label: string,
  ) {
    this.proc = fork(script, [], {
      cwd: join(__dirname, '..', '..'),
      // BENCH_CHILD_NODE_FLAGS (e.g. "--trace-gc-nvp"): V8 or Node flags for the children only, to look
      // inside one (Node refuses tracing flags in NODE_OPTIONS).
      execArgv: [...(process.env.BENCH_CHILD_NODE_FLAGS?.split(' ').filter(Boolean) ?? []), '-r', 'ts-node/register/transpile-only'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.proc.on('message', (raw) => {
      const msg = raw as Out | ChildFailed;
      if (msg.type === 'failed') return this.fail(new Error(`${this.label}: ${(msg as ChildFailed).message}`));
      this.listeners.get(msg.type)?.(msg as Out);
      const at = this.waiters.findIndex((w) => w.type === msg.type);
      if (at >= 0) this.waiters.splice(at, 1)[0].resolve(msg as Out);
    });
    this.proc.on('exit', (code, signal) => {
      this.exited = true;
      this.fail(new Error(`${this.label} exited (code ${code}, signal ${signal})`));
    });
    this.proc.on('error', (error) => this.fail(new Error(`${this.label}: ${error.message}`)));
  }

  send(msg: In): void {
    if (this.failure) throw this.failure;
    this.proc.send(msg);
  }

  /** Calls `fn` on every message of this type (progress reports). */
  on<T extends Out['type']>(type: T, fn: (msg: Extract<Out, { type: T }>) => void): void {
    this.listeners.set(type, fn as (msg: Out) => void);
  }

  /** The next message of this type; rejects if the child fails or exits first, or after `timeoutMs`. */
  next<T extends Out['type']>(type: T, timeoutMs: number): Promise<Extract<Out, { type: T }>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(new Error(`${this.label}: no ${type} message within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        type,
        resolve: (msg: Out) => {
          clearTimeout(timer);
          resolve(msg as Extract<Out, { type: T }>);
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Set once the child failed or exited unexpectedly. */
  get error(): Error | undefined {
    return this.failure;
  }

  /** Ends the child (it closes what it opened on `disconnect`) and waits for its exit; kills it after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.failure ??= new Error(`${this.label} stopped`);
    if (this.proc.connected) this.proc.disconnect();
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const w of this.waiters.splice(0)) w.reject(this.failure);
  }
}

/** In a child: sends a message to the parent (no-op once the parent is gone). */
export function toParent(msg: object): void {
  // the callback takes a write error (the parent went away between the check and the write)
  if (process.connected) process.send?.(msg, undefined, undefined, () => undefined);
}
