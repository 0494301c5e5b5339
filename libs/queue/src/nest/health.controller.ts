import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { QueueHealthIndicator } from './queue-health.indicator';

/**
 * `GET /health` (liveness), `GET /health/ready` (readiness: started, Redis reachable) and
 * `GET /health/queues` (backlog and dead letters against the `health` thresholds, for operators;
 * never a probe); 503 with the details when down.
 */
@Controller('health')
export class QueueHealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly queue: QueueHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  live() {
    return this.health.check([() => this.queue.liveness()]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.queue.readiness()]);
  }

  @Get('queues')
  @HealthCheck()
  queues() {
    return this.health.check([() => this.queue.queues()]);
  }
}
