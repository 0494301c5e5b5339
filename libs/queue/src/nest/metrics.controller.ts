import { Controller, Get, Header, NotFoundException } from '@nestjs/common';
import { QueueManager } from '../manager/queue-manager';

/** `GET /metrics`: the manager's registry in the Prometheus text format (404 when `metrics.enabled` is false). */
@Controller()
export class QueueMetricsController {
  constructor(private readonly manager: QueueManager) {}

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async metrics(): Promise<string> {
    if (!this.manager.metrics) throw new NotFoundException('metrics are disabled (metrics.enabled: false)');
    return this.manager.metrics.metrics();
  }
}
