import { DynamicModule, Inject, Injectable, Logger, Module, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'http';
import { QueueAdmin } from '../admin/queue-admin';
import type { QueueAppConfig } from '../config/config.types';
import { QueueManager } from '../manager/queue-manager';
import { checkAllowedHosts } from '../dashboard/allowed-hosts';
import { checkAdminToken } from '../dashboard/dashboard-auth';
import { createDashboardHandler } from '../dashboard/dashboard-handler';
import { checkTokenAttempts, TokenAttemptOptions } from '../dashboard/token-attempts';
import { QueueConfigError } from '../errors';
import { checkKnownKeys, checkOption, knownKeys, timerMsField } from '../util/fields';
import { NestQueueLogger } from './nest-queue-logger';

export interface QueueDashboardOptions {
  /** Mount path (default `/queues`). */
  path?: string;
  /** Unlocks replay, delete, purge, pause, cancel (header `x-admin-token` or the login form); at least 16 characters. Without it: read-only. */
  adminToken?: string;
  /** Host names the dashboard answers (`Host` header, port not compared; `.example.com`: it and its subdomains); others get 403. Default: every host. */
  allowedHosts?: readonly string[];
  /** Failed admin-token attempts allowed per client address (default: 10 within 60 s, then 429 for 60 s; `DashboardOptions.tokenAttempts`). */
  tokenAttempts?: TokenAttemptOptions;
  /** What to show: an admin of your own, else one opened from `config`, else from the QueueModule's configuration. */
  admin?: QueueAdmin;
  config?: QueueAppConfig;
  /** How long an API call may wait for Redis before it is answered 503 (ms, default 5000; `DashboardOptions.deadlineMs`). */
  deadlineMs?: number;
}

const OPTIONS = Symbol('QUEUE_DASHBOARD_OPTIONS');
const DASHBOARD_OPTION_KEYS = knownKeys<QueueDashboardOptions>({
  path: true,
  adminToken: true,
  allowedHosts: true,
  tokenAttempts: true,
  admin: true,
  config: true,
  deadlineMs: true,
});
/** A mount path: `/` then URL path characters (no query, fragment, space or `..`). */
const MOUNT_PATH = /^\/(?!.*\.\.)[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/;

/** Refuses an option the dashboard cannot use when the module is defined; throws QueueConfigError at `queueDashboard.<key>`. */
function checkDashboardOptions(options: QueueDashboardOptions): void {
  if (options === null || typeof options !== 'object') throw new QueueConfigError('queueDashboard', options, 'an options object');
  checkKnownKeys(options, DASHBOARD_OPTION_KEYS, 'queueDashboard');
  const { path, adminToken, allowedHosts, tokenAttempts, admin, deadlineMs } = options;
  if (path !== undefined && (typeof path !== 'string' || !MOUNT_PATH.test(path))) {
    throw new QueueConfigError('queueDashboard.path', path, 'a path starting with / (like /queues), without query, fragment, spaces or ..');
  }
  checkAdminToken(adminToken, 'queueDashboard.adminToken', QueueConfigError);
  checkAllowedHosts(allowedHosts, 'queueDashboard.allowedHosts', QueueConfigError);
  checkTokenAttempts(tokenAttempts, 'queueDashboard.tokenAttempts', QueueConfigError);
  if (admin !== undefined && !(admin instanceof QueueAdmin)) throw new QueueConfigError('queueDashboard.admin', admin, 'a QueueAdmin');
  checkOption(timerMsField(1).optional(), deadlineMs, 'queueDashboard.deadlineMs');
}

@Injectable()
class DashboardMount implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('QueueDashboard');
  private owned?: QueueAdmin;

  constructor(
    @Inject(OPTIONS) private readonly options: QueueDashboardOptions,
    private readonly adapterHost: HttpAdapterHost,
    @Optional() private readonly manager?: QueueManager,
  ) {}

  async onModuleInit(): Promise<void> {
    let admin = this.options.admin;
    if (!admin) {
      const config = this.options.config ?? this.manager?.config;
      if (!config) throw new QueueConfigError('queueDashboard.admin', undefined, 'an `admin` or a `config` option, or QueueModule imported');
      // its outage lines go where the application's logs go (JSON lines in production), not to the console
      admin = this.owned = await QueueAdmin.fromConfig(config, undefined, new NestQueueLogger('Redis'));
    }
    const path = (this.options.path ?? '/queues').replace(/\/+$/, '');
    const handle = createDashboardHandler({
      admin,
      adminToken: this.options.adminToken,
      allowedHosts: this.options.allowedHosts,
      tokenAttempts: this.options.tokenAttempts,
      deadlineMs: this.options.deadlineMs,
      audit: (line) => this.logger.log(line),
    });
    const app = this.adapterHost.httpAdapter.getInstance() as {
      use(path: string, fn: (req: IncomingMessage & { originalUrl?: string }, res: ServerResponse) => void): void;
    };
    app.use(path, (req, res) => {
      // the page's links are relative: /queues must become /queues/
      if ((req.originalUrl ?? '').split('?')[0] === path) {
        res.statusCode = 301;
        res.setHeader('location', `${path}/`);
        res.end();
        return;
      }
      void handle(req, res, req.url ?? '/');
    });
    this.logger.log(`dashboard at ${path}/ (${this.options.adminToken ? 'admin token set' : 'read-only'})`);
  }

  async onModuleDestroy(): Promise<void> {
    await this.owned?.close();
  }
}

/** The queue dashboard in any Nest (Express) application: `QueueDashboardModule.forRoot({ path: '/queues', adminToken })`. See docs/dashboard.md. */
@Module({})
export class QueueDashboardModule {
  /** @throws QueueConfigError naming a bad option (`queueDashboard.path`, ...), an unknown one too. */
  static forRoot(options: QueueDashboardOptions = {}): DynamicModule {
    checkDashboardOptions(options);
    return {
      module: QueueDashboardModule,
      providers: [{ provide: OPTIONS, useValue: options }, DashboardMount],
    };
  }
}
