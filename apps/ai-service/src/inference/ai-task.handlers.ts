import { Inject, Injectable, Logger } from '@nestjs/common';
import { parseTaskResult, TaskType } from '@meeting/contracts';
import { DispatchHandlerContext } from '@meeting/queue';
import { OnTask } from '@meeting/queue/nest';
import { RESULT_REPOSITORY, ResultRepository } from '../results/result-repository';
import { InferenceService } from './inference.service';

/**
 * The AI task types, consumed from this service's queue (`ai_tasks`). Other services dispatch
 * them through their dispatcher (route in their config); the return value is the task's result.
 * Payloads and results follow @meeting/contracts: a bad payload fails at once (ContractError, not retryable,
 * naming the field), a result is checked before it is returned; a timeout aborts the simulated work.
 */
@Injectable()
export class AiTaskHandlers {
  private readonly logger = new Logger('AiTasks');

  constructor(
    private readonly inference: InferenceService,
    @Inject(RESULT_REPOSITORY) private readonly results: ResultRepository,
  ) {}

  @OnTask('speech_recognition', { timeoutMs: 60_000 })
  async speechRecognition(payload: unknown, ctx: DispatchHandlerContext) {
    const result = await this.inference.recognizeSpeech(payload, ctx.signal);
    this.logger.log(`speech_recognition ${ctx.taskId} from ${ctx.origin}: meeting ${result.meetingId}, ${result.words} words`);
    return this.keep('speech_recognition', ctx, parseTaskResult('speech_recognition', result));
  }

  @OnTask('emotion_detection', { timeoutMs: 10_000 })
  async emotionDetection(payload: unknown, ctx: DispatchHandlerContext) {
    const result = await this.inference.detectEmotion(payload, ctx.signal);
    this.logger.log(`emotion_detection ${ctx.taskId} from ${ctx.origin}: ${result.emotion} (${result.confidence})`);
    return this.keep('emotion_detection', ctx, parseTaskResult('emotion_detection', result));
  }

  @OnTask('audio_denoising', { timeoutMs: 60_000 })
  async audioDenoising(payload: unknown, ctx: DispatchHandlerContext) {
    const result = await this.inference.denoiseAudio(payload, ctx.signal);
    this.logger.log(`audio_denoising ${ctx.taskId} from ${ctx.origin}: -${result.noiseReductionDb} dB`);
    return this.keep('audio_denoising', ctx, parseTaskResult('audio_denoising', result));
  }

  @OnTask('video_enhancement', { timeoutMs: 120_000 })
  async videoEnhancement(payload: unknown, ctx: DispatchHandlerContext) {
    const result = await this.inference.enhanceVideo(payload, ctx.signal);
    this.logger.log(`video_enhancement ${ctx.taskId} from ${ctx.origin}: ${result.resolution}`);
    return this.keep('video_enhancement', ctx, parseTaskResult('video_enhancement', result));
  }

  /** Keeps the result of a meeting's task (GET /meetings/:id/results, any replica) and returns it. */
  private async keep<R extends { meetingId?: string }>(type: TaskType, ctx: DispatchHandlerContext, result: R): Promise<R> {
    if (result.meetingId)
      await this.results.record(result.meetingId, { taskId: ctx.taskId, type, origin: ctx.origin, result, finishedAt: new Date().toISOString() });
    return result;
  }
}
