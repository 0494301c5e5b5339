import { DynamicModule, Inject, Injectable, Logger, Module, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'http';
import { QueueAdmin } from '../admin/queue-admin';
import type { QueueAppConfig } from '../config/config.types';
import { QueueManager } from '../manager/queue-manager';
import { createDashboardHandler } from '../dashboard/dashboard-handler';
import { NestQueueLogger } from './nest-queue-logger';

export interface QueueDashboardOptions {
  /** Mount path (default `/queues`). */
  path?: string;
  /** Unlocks replay, delete, purge, pause, cancel (header `x-admin-token` or the login form). Without it: read-only. */
  adminToken?: string;
  /** What to show: an admin of your own, else one opened from `config`, else from the QueueModule's configuration. */
  admin?: QueueAdmin;
  config?: QueueAppConfig;
  /** How long an API call may wait for Redis before it is answered 503 (ms, default 5000; `DashboardOptions.deadlineMs`). */
  deadlineMs?: number;
}

const OPTIONS = Symbol('QUEUE_DASHBOARD_OPTIONS');

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
      if (!config) throw new Error('QueueDashboardModule: give `admin` or `config`, or import QueueModule');
      // its outage lines go where the application's logs go (JSON lines in production), not to the console
      admin = this.owned = await QueueAdmin.fromConfig(config, undefined, new NestQueueLogger('Redis'));
    }
    const path = (this.options.path ?? '/queues').replace(/\/+$/, '');
    const handle = createDashboardHandler({
      admin,
      adminToken: this.options.adminToken,
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
  static forRoot(options: QueueDashboardOptions = {}): DynamicModule {
    return {
      module: QueueDashboardModule,
      providers: [{ provide: OPTIONS, useValue: options }, DashboardMount],
    };
  }
}
