import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { QueueHealthIndicator } from './queue-health.indicator';

/** `GET /health` (liveness) and `GET /health/ready` (readiness); 503 with the details when down. */
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
}
