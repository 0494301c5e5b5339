/**
 * The four real apps of the platform as child processes for the soak, started as the platform
 * launcher starts them (apps/platform/src/services.ts: `node -r ts-node/register/transpile-only
 * -r tsconfig-paths/register apps/<name>/src/main.ts` from the repository), each on a free port
 * with REDIS_URL, its overlay as CONFIG_FILE (the app's own apps/<name>/config.yaml with the soak's
 * short retention merged over it), a shared JOIN_TOKEN_SECRET, RATE_LIMIT=off and JSON logs. Their
 * log lines are parsed: handler runs (by task id) and warnings/errors go to the soak's ledger.
 */
import { ChildProcess, spawn } from 'child_process';
import { existsSync, readFileSync, writeFileSync } from 'fs';
import { dump, load } from 'js-yaml';
import { join } from 'path';
import { createInterface } from 'readline';
import { freePort } from '@meeting/queue/testing';
import { platformServices, SERVICE_NAMES } from '../../apps/platform/src/services';

export type AppName = (typeof SERVICE_NAMES)[number];
export const APP_NAMES: readonly AppName[] = SERVICE_NAMES;

/** The retention the apps run with (merged into their overlays), and that the key check judges against. */
export interface SoakRetention {
  completedCount: number;
  completedAgeSeconds: number;
  idempotencyTtlSeconds: number;
  statusRetentionSeconds: number;
  streamMaxLen: number;
  streamMaxAgeSeconds: number;
}

/** One JSON log line of an app (ServiceLogger). */
export interface AppLogLine {
  app: AppName;
  level: string;
  context: string;
  message: string;
}

export interface AppSettings {
  redisUrl: string;
  retention: SoakRetention;
  /** Folder for the overlays the apps get. */
  dir: string;
  /** `sources`: under ts-node from apps/<name>/src (as `npm start`); `dist`: the build, dist/apps/<name>/main.js with plain node (as CI has it after its build step). */
  from: 'sources' | 'dist';
  /** Interval of the media-service's recurring `media_cleanup` task. */
  cleanupIntervalMs: number;
  joinSecret: string;
  onLog: (line: AppLogLine) => void;
  /** An app exited without being asked to. */
  onUnexpectedExit: (app: AppName, code: number | null, signal: NodeJS.Signals | null) => void;
}

const ROOT = join(__dirname, '../..');

/** One app process; `restart()` starts it again on the same port. */
export class AppProcess {
  private child?: ChildProcess;
  private stopping = false;
  private exited: Promise<void> = Promise.resolve();
  /** How many times it was started. */
  starts = 0;

  constructor(
    readonly name: AppName,
    readonly port: number,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv,
    private readonly settings: AppSettings,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    this.stopping = false;
    this.starts++;
    const child = spawn(process.execPath, this.args, { cwd: ROOT, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    createInterface({ input: child.stdout! }).on('line', (line) => this.line(line));
    createInterface({ input: child.stderr! }).on('line', (line) => this.line(line, 'error'));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        if (!this.stopping) this.settings.onUnexpectedExit(this.name, code, signal);
        resolve();
      }),
    );
  }

  /** SIGTERM (the app drains and closes), SIGKILL after `graceMs`. */
  async stop(graceMs = 20_000): Promise<void> {
    this.stopping = true;
    if (!this.running) return this.exited;
    this.child!.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGKILL: no drain, no goodbye. */
  async kill(): Promise<void> {
    this.stopping = true;
    if (this.running) this.child!.kill('SIGKILL');
    await this.exited;
  }

  /** Waits until GET /health/ready answers 200 (false when the process exits or `timeoutMs` passes). */
  async waitReady(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.running && Date.now() < deadline) {
      const ok = await fetch(`${this.url}/health/ready`, { signal: AbortSignal.timeout(2000) }).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) return true;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return false;
  }

  /** Resident set size in bytes (Linux /proc; NaN elsewhere or when not running). */
  rss(): number {
    return processRss(this.pid);
  }

  private line(text: string, fallbackLevel = 'log'): void {
    let parsed: { level?: unknown; context?: unknown; message?: unknown } | undefined;
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      parsed = undefined;
    }
    if (parsed && typeof parsed === 'object' && typeof parsed.level === 'string') {
      const message = typeof parsed.message === 'string' ? parsed.message : JSON.stringify(parsed.message);
      this.settings.onLog({ app: this.name, level: parsed.level, context: String(parsed.context ?? ''), message });
    } else if (text.trim()) {
      this.settings.onLog({ app: this.name, level: fallbackLevel, context: 'stdio', message: text });
    }
  }
}

/** Resident set size of a process in bytes (Linux /proc; NaN elsewhere, for no pid or when it is gone). */
export function processRss(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? NaN : Number(kb) * 1024;
  } catch {
    return NaN;
  }
}

/** Writes each app's overlay (its own config.yaml with the soak's retention merged over it) and creates the four processes (not started). */
export async function createApps(settings: AppSettings): Promise<Record<AppName, AppProcess>> {
  const apps = {} as Record<AppName, AppProcess>;
  for (const service of platformServices({})) {
    const name = service.name as AppName;
    const overlay = withRetention(load(readFileSync(join(ROOT, service.configFile!), 'utf8')) as Record<string, unknown>, settings.retention);
    const file = join(settings.dir, `${name}.yaml`);
    writeFileSync(file, dump(overlay));
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      REDIS_URL: settings.redisUrl,
      PORT: String(port),
      CONFIG_FILE: file,
      JOIN_TOKEN_SECRET: settings.joinSecret,
      RATE_LIMIT: 'off',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'log',
      MEDIA_CLEANUP_INTERVAL_MS: String(settings.cleanupIntervalMs),
      TS_NODE_PROJECT: join(ROOT, 'tsconfig.base.json'),
    };
    for (const variable of ['SERVICE_NAME', 'QUEUE_TYPE', 'EVENT_BUS_TYPE', 'CONFIG_DIR', 'NODE_ENV', 'MQ_ADMIN_TOKEN']) delete env[variable];
    apps[name] = new AppProcess(name, port, settings.from === 'dist' ? [distMain(name)] : service.args, env, settings);
  }
  return apps;
}

/** The built entry point of an app. @throws Error naming the file and the build command when it is missing */
export function distMain(name: AppName): string {
  const main = join(ROOT, 'dist/apps', name, 'main.js');
  if (!existsSync(main))
    throw new Error(`${main} not found: build the apps first (npx nx run-many -t build -p ${APP_NAMES.join(',')}), or run the soak from the sources`);
  return main;
}

/** The compiled `@meeting/queue` of an app's build (what the apps from dist run). @throws Error naming the file and the build command when it is missing */
export function distQueueLibrary(): string {
  const entry = join(ROOT, 'dist/apps/ai-service/libs/queue/src/index.js');
  if (!existsSync(entry))
    throw new Error(`${entry} not found: build the apps first (npx nx run-many -t build -p ${APP_NAMES.join(',')}), or run the soak from the sources`);
  return entry;
}

function withRetention(overlay: Record<string, unknown>, r: SoakRetention): Record<string, unknown> {
  const section = (key: string) => (overlay[key] ?? {}) as Record<string, unknown>;
  const bus = section('event_bus');
  return {
    ...overlay,
    retention: {
      ...section('retention'),
      completed_count: r.completedCount,
      completed_age_seconds: r.completedAgeSeconds,
      idempotency_ttl_seconds: r.idempotencyTtlSeconds,
    },
    task_dispatcher: { ...section('task_dispatcher'), status_retention_seconds: r.statusRetentionSeconds },
    event_bus: { ...bus, stream: { ...((bus.stream ?? {}) as Record<string, unknown>), max_len: r.streamMaxLen, max_age_seconds: r.streamMaxAgeSeconds } },
  };
}
