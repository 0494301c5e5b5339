import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { QueueManager } from '../manager/queue-manager';

/**
 * Terminus health indicator of the QueueManager.
 * - `liveness`: up while the manager is created, starting or running (no Redis round trip, so a
 *   Redis outage does not get the process restarted).
 * - `readiness`: Redis PING within `health.ping_timeout_ms` and every owned connection ready;
 *   every queue at most `health.max_pending` pending (default 1000) and `health.max_dead_letters`
 *   dead letters (default 100).
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
    const indicator = this.indicators.check(key);
    const { ok, checks } = await this.manager.readiness();
    const detail: Record<string, unknown> = {};
    for (const c of checks) detail[c.name] = { status: c.ok ? 'up' : 'down', ...c.detail };
    return ok ? indicator.up(detail) : indicator.down(detail);
  }
}
