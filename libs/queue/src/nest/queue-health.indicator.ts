import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { ReadinessCheck } from '../manager/manager-report';
import { QueueManager } from '../manager/queue-manager';

/**
 * Terminus health indicator of the QueueManager.
 * - `liveness`: up until the manager is stopped (also while stopping; no Redis round trip, so a
 *   Redis outage does not get the process restarted).
 * - `readiness`: this process can serve: the manager is running, Redis answers PING within
 *   `health.ping_timeout_ms` and every owned connection is ready. Backlog is not readiness.
 * - `queues`: every queue at most `health.max_pending` pending (default 1000) and
 *   `health.max_dead_letters` dead letters (default 100); a report for operators, not a probe.
 */
@Injectable()
export class QueueHealthIndicator {
  constructor(
    private readonly manager: QueueManager,
    private readonly indicators: HealthIndicatorService,
  ) {}

  liveness(key = 'queue'): HealthIndicatorResult {
    const indicator = this.indicators.check(key);
    const state = this.manager.state;
    const alive = state !== 'stopped';
    return alive ? indicator.up({ state }) : indicator.down({ state });
  }

  async readiness(key = 'queue'): Promise<HealthIndicatorResult> {
    return this.result(key, await this.manager.readiness());
  }

  async queues(key = 'queues'): Promise<HealthIndicatorResult> {
    return this.result(key, await this.manager.queueHealth());
  }

  private result(key: string, report: { ok: boolean; checks: ReadinessCheck[] }): HealthIndicatorResult {
    const indicator = this.indicators.check(key);
    const detail: Record<string, unknown> = {};
    for (const c of report.checks) detail[c.name] = { status: c.ok ? 'up' : 'down', ...c.detail };
    return report.ok ? indicator.up(detail) : indicator.down(detail);
  }
}
