import { Injectable, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { QueueManager } from '@meeting/queue';
import { ModelRegistry } from './model-registry.service';

/** Domain gauge in the manager's registry (GET /metrics), read at scrape time: models loaded (1) or not (0). */
@Injectable()
export class ModelMetrics implements OnModuleInit {
  constructor(
    private readonly queues: QueueManager,
    private readonly models: ModelRegistry,
  ) {}

  onModuleInit(): void {
    const registry = this.queues.metrics?.registry;
    if (!registry) return;
    const models = this.models;
    new Gauge({
      name: 'ai_model_loaded',
      help: 'Whether a model is loaded (1) or not (0).',
      labelNames: ['model'],
      registers: [registry],
      collect() {
        for (const m of models.list()) this.set({ model: m.name }, m.state === 'loaded' ? 1 : 0);
      },
    });
  }
}
