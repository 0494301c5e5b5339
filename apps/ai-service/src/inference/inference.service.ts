import { Injectable } from '@nestjs/common';
import { parseTaskPayload, TaskResult } from '@meeting/contracts';
import { ModelRegistry, MODELS } from '../models/model-registry.service';
import { hashOf, scoreOf, simulateWork } from './simulated-work';

const VOCABULARY = ['let', 'us', 'review', 'the', 'agenda', 'next', 'sprint', 'demo', 'looks', 'good', 'thanks', 'everyone', 'any', 'questions', 'ship', 'it'];
const EMOTIONS = ['neutral', 'happy', 'focused', 'surprised', 'confused', 'sad'] as const;
const NOISE_REDUCTION_DB = { low: 6, medium: 12, high: 20 } as const;

/**
 * The simulated models. Results are derived from the payload (same input, same output), the work
 * takes tens of milliseconds and stops when the task's AbortSignal fires (timeout or shutdown).
 * Bad payloads throw ContractError (not retryable: the task goes to the dead-letter queue).
 */
@Injectable()
export class InferenceService {
  constructor(private readonly models: ModelRegistry) {}

  async recognizeSpeech(input: unknown, signal: AbortSignal): Promise<TaskResult<'speech_recognition'>> {
    const p = parseTaskPayload('speech_recognition', input);
    await this.models.ensureLoaded(MODELS.speech_recognition);
    const durationMs = p.durationMs ?? 2000;
    let words: string[];
    if (p.audio.startsWith('text:')) {
      words = p.audio.slice(5).trim().split(/\s+/).filter(Boolean);
    } else {
      const count = Math.min(50, Math.max(1, Math.round(durationMs / 400)));
      const seed = hashOf(p.audio);
      words = Array.from({ length: count }, (_, i) => VOCABULARY[(seed + i * 7) % VOCABULARY.length]);
    }
    await simulateWork(Math.min(20 + words.length * 5, 300), signal);
    return {
      meetingId: p.meetingId,
      participantId: p.participantId,
      text: words.join(' '),
      words: words.length,
      confidence: scoreOf(p.audio, 0.8, 0.99),
      language: p.language ?? 'en',
      model: MODELS.speech_recognition,
    };
  }

  async detectEmotion(input: unknown, signal: AbortSignal): Promise<TaskResult<'emotion_detection'>> {
    const p = parseTaskPayload('emotion_detection', input);
    await this.models.ensureLoaded(MODELS.emotion_detection);
    await simulateWork(30, signal);
    return {
      meetingId: p.meetingId,
      participantId: p.participantId,
      emotion: EMOTIONS[hashOf(p.sample) % EMOTIONS.length],
      confidence: scoreOf(p.sample, 0.55, 0.97),
      model: MODELS.emotion_detection,
    };
  }

  async denoiseAudio(input: unknown, signal: AbortSignal): Promise<TaskResult<'audio_denoising'>> {
    const p = parseTaskPayload('audio_denoising', input);
    const level = p.level ?? 'medium';
    await this.models.ensureLoaded(MODELS.audio_denoising);
    await simulateWork(40, signal);
    return {
      meetingId: p.meetingId,
      audio: `denoised/${level}/${p.audio}`,
      noiseReductionDb: NOISE_REDUCTION_DB[level],
      snrDb: scoreOf(p.audio, 15, 35),
      model: MODELS.audio_denoising,
    };
  }

  async enhanceVideo(input: unknown, signal: AbortSignal): Promise<TaskResult<'video_enhancement'>> {
    const p = parseTaskPayload('video_enhancement', input);
    const resolution = p.targetResolution ?? '1080p';
    await this.models.ensureLoaded(MODELS.video_enhancement);
    await simulateWork(60, signal);
    return {
      meetingId: p.meetingId,
      video: `enhanced/${resolution}/${p.video}`,
      resolution,
      sharpnessGain: scoreOf(p.video, 1.1, 1.8),
      model: MODELS.video_enhancement,
    };
  }
}
