import { Injectable, NotFoundException } from '@nestjs/common';
import { QueueManager } from '@meeting/queue';

/** The models the simulated AI runs; one per task type. */
export const MODELS = {
  speech_recognition: 'whisper-sim',
  emotion_detection: 'emotion-net-sim',
  audio_denoising: 'rnnoise-sim',
  video_enhancement: 'esrgan-sim',
} as const;

export type ModelName = (typeof MODELS)[keyof typeof MODELS];

export interface ModelInfo {
  name: ModelName;
  version: string;
  state: 'unloaded' | 'loading' | 'loaded';
  loadedAt?: string;
}

/** Payload of the local events `model_loaded` and `model_unloaded`. */
export interface ModelEvent {
  name: ModelName;
  version: string;
}

/**
 * Which models are in memory. Loads a model on first use (or on request) and announces
 * `model_loaded` / `model_unloaded` on the service's in-process bus, so other components react
 * without knowing the registry.
 */
@Injectable()
export class ModelRegistry {
  private readonly models = new Map<ModelName, ModelInfo>(Object.values(MODELS).map((name) => [name, { name, version: '1.0.0', state: 'unloaded' as const }]));
  private readonly loading = new Map<ModelName, Promise<void>>();

  constructor(private readonly queues: QueueManager) {}

  list(): ModelInfo[] {
    return [...this.models.values()].map((m) => ({ ...m }));
  }

  /** The model; 404 for an unknown name. */
  get(name: string): ModelInfo {
    const model = this.models.get(name as ModelName);
    if (!model) throw new NotFoundException(`unknown model "${name}" (known: ${[...this.models.keys()].join(', ')})`);
    return model;
  }

  /** Loads the model once (concurrent callers share the load) and emits `model_loaded`. */
  ensureLoaded(name: ModelName): Promise<void> {
    const model = this.get(name);
    if (model.state === 'loaded') return Promise.resolve();
    let pending = this.loading.get(name);
    if (!pending) {
      model.state = 'loading';
      pending = (async () => {
        await new Promise((resolve) => setTimeout(resolve, 10)); // "reading the weights"
        model.state = 'loaded';
        model.loadedAt = new Date().toISOString();
        await this.queues.localEvents.emit('model_loaded', { name, version: model.version } satisfies ModelEvent);
      })().finally(() => this.loading.delete(name));
      this.loading.set(name, pending);
    }
    return pending;
  }

  /** Unloads the model (the next task loads it again) and emits `model_unloaded`; false when it was not loaded. */
  async unload(name: string): Promise<boolean> {
    const model = this.get(name);
    if (model.state !== 'loaded') return false;
    model.state = 'unloaded';
    model.loadedAt = undefined;
    await this.queues.localEvents.emit('model_unloaded', { name: model.name, version: model.version } satisfies ModelEvent);
    return true;
  }
}
