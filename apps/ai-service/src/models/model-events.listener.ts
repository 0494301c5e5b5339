import { Injectable, Logger } from '@nestjs/common';
import { EventEnvelope } from '@meeting/queue';
import { OnLocalEvent } from '@meeting/queue/nest';
import type { ModelEvent } from './model-registry.service';

/** Reacts to the registry's in-process events: logs them and counts them (shown by GET /models). */
@Injectable()
export class ModelEventsListener {
  private readonly logger = new Logger('Models');
  readonly counts = { model_loaded: 0, model_unloaded: 0 };

  @OnLocalEvent('model_loaded')
  onLoaded(event: EventEnvelope<ModelEvent>): void {
    this.counts.model_loaded++;
    this.logger.log(`model ${event.data.name} ${event.data.version} loaded`);
  }

  @OnLocalEvent('model_unloaded')
  onUnloaded(event: EventEnvelope<ModelEvent>): void {
    this.counts.model_unloaded++;
    this.logger.log(`model ${event.data.name} ${event.data.version} unloaded`);
  }
}
