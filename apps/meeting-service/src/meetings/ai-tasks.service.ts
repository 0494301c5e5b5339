import { BadGatewayException, GatewayTimeoutException, Injectable, Logger, OnModuleInit, ServiceUnavailableException } from '@nestjs/common';
import { CompletedTask, DispatchTimeoutError, FailedTask, QueueManager, RemoteTaskError } from '@meeting/queue';
import { MeetingEventsPublisher } from './meeting-events.publisher';
import { MeetingRepository } from './meeting.repository';
import type { Transcript } from './meeting.types';

/** Result of the ai-service's `speech_recognition` (it echoes meetingId and participantId). */
interface SpeechResult {
  meetingId: string;
  participantId?: string;
  text: string;
  words: number;
  confidence: number;
}

export const EMOTION_TIMEOUT_MS = 5000;

/**
 * Work for the ai-service through the dispatcher (routes in apps/meeting-service/config.yaml):
 * `speech_recognition` is dispatched and its result recorded by an onCompleted callback (once per
 * task, even if this process restarted meanwhile); `emotion_detection` is request/reply.
 */
@Injectable()
export class AiTasks implements OnModuleInit {
  private readonly logger = new Logger('AiTasks');

  constructor(
    private readonly queues: QueueManager,
    private readonly repository: MeetingRepository,
    private readonly events: MeetingEventsPublisher,
  ) {}

  onModuleInit(): void {
    if (!this.crossService) return;
    this.queues.dispatcher.onCompleted<SpeechResult>('speech_recognition', (task) => this.onTranscript(task));
    this.queues.dispatcher.onFailed('speech_recognition', (task) => this.onTranscriptFailed(task));
  }

  /** Dispatches speech recognition of one audio clip; the transcript is recorded as pending. */
  async requestTranscript(meetingId: string, input: { participantId?: string; audio: string; durationMs?: number }): Promise<Transcript> {
    this.requireCrossService('speech recognition');
    const meeting = this.repository.get(meetingId);
    const taskId = await this.queues.dispatcher.dispatch('speech_recognition', { meetingId, ...input });
    const transcript: Transcript = { taskId, participantId: input.participantId, state: 'pending', requestedAt: new Date().toISOString() };
    meeting.transcripts.push(transcript);
    this.logger.log(`meeting ${meetingId}: speech_recognition dispatched as ${taskId}`);
    return transcript;
  }

  /** Request/reply: waits for the ai-service's emotion detection. 504 on timeout, 502 when the task failed. */
  async detectEmotion(meetingId: string, input: { participantId?: string; sample: string }): Promise<unknown> {
    this.requireCrossService('emotion detection');
    this.repository.get(meetingId);
    try {
      return await this.queues.dispatcher.dispatchAndWait('emotion_detection', { meetingId, ...input }, { timeoutMs: EMOTION_TIMEOUT_MS });
    } catch (error) {
      if (error instanceof DispatchTimeoutError)
        throw new GatewayTimeoutException(`emotion detection got no answer from the ai-service within ${EMOTION_TIMEOUT_MS} ms`);
      if (error instanceof RemoteTaskError) throw new BadGatewayException(`emotion detection failed in the ai-service: ${error.message}`);
      throw error;
    }
  }

  /** Where a task dispatched by this service is (null when unknown). */
  status(taskId: string) {
    this.requireCrossService('task status');
    return this.queues.dispatcher.getStatus(taskId);
  }

  private get crossService(): boolean {
    return this.queues.config.message_queue.type === 'redis';
  }

  private requireCrossService(what: string): void {
    if (!this.crossService) {
      throw new ServiceUnavailableException(
        `${what} runs in the ai-service and needs Redis; this service runs on the memory backend (set REDIS_URL or put redis-server on PATH)`,
      );
    }
  }

  private async onTranscript(task: CompletedTask<SpeechResult>): Promise<void> {
    const { meetingId, participantId, text, words, confidence } = task.result;
    const transcript = this.findTranscript(meetingId, task.taskId);
    if (!transcript) {
      this.logger.warn(`transcript ${task.taskId} for unknown meeting ${meetingId} (restarted service?) dropped`);
      return;
    }
    Object.assign(transcript, { state: 'completed', text, words, confidence, completedAt: new Date(task.finishedAt).toISOString() });
    this.logger.log(`meeting ${meetingId}: transcript ${task.taskId} recorded (${words} words)`);
    const meeting = this.repository.get(meetingId);
    await this.events.publish('transcript.recorded', { meetingId, seq: meeting.seq, taskId: task.taskId, participantId, words });
  }

  private onTranscriptFailed(task: FailedTask): void {
    for (const meeting of this.repository.list()) {
      const transcript = meeting.transcripts.find((t) => t.taskId === task.taskId);
      if (!transcript) continue;
      Object.assign(transcript, { state: 'failed', error: `${task.error.name}: ${task.error.message}`, completedAt: new Date(task.finishedAt).toISOString() });
      this.logger.warn(`meeting ${meeting.meetingId}: transcript ${task.taskId} failed after ${task.attempts} attempts: ${task.error.message}`);
      return;
    }
  }

  private findTranscript(meetingId: string, taskId: string): Transcript | undefined {
    return this.repository.find(meetingId)?.transcripts.find((t) => t.taskId === taskId);
  }
}
